"""Facts of a product's row cited as answers: a value cell, or "the agent checks" when the row lacks it.

A cell is quoted verbatim (a bare price gets 元), never reworded: an agent pastes the reply, so it must say what
the sheet says. Several products sharing the answer (五香 and 麻辣 牛肉干, 保质期 9个月) are answered together;
when they differ the buyer is asked which one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...corpus.products import Product, fold, format_size_chart
from .lexicon import Concept
from .replies import Builder, ProductAnswer, ask, unknown

PRICE_COLUMNS = ("价格", "售价", "单价", "到手价")
LOW_STOCK = 5  # this many or fewer left: the reply says 仅剩 N 件


def display_value(column: str, value: str) -> str:
    """A price cell that is a bare number is cited with 元, a stock count as 有货 / 缺货 (with 仅剩 N 件 when few
    are left: buyers ask 还有吗, not how many); every other cell exactly as written."""
    if column in PRICE_COLUMNS and re.fullmatch(r"\d+(?:\.\d+)?", value):
        return f"{value}元"
    if column == "库存" and value.isdigit():
        count = int(value)
        return "缺货" if count == 0 else f"有货，仅剩{count}件" if count <= LOW_STOCK else "有货"
    return value


def lookup(product: Product, concept: Concept, clause: str = "") -> tuple[str, str] | None:
    """(column, display value) for a concept from a product's row, size chart or SKUs — None when absent. A
    presence question (「有口袋吗」) is answered by the first cell naming the part (「侧边拉链口袋」)."""
    for column in concept.columns:
        value = product.attribute(column)
        if value:
            return column, display_value(column, value)
    if concept.name == "尺码表" and product.size_chart:
        return "尺码表", format_size_chart(product.size_chart)
    if concept.name == "颜色" and product.colors:
        return "颜色", "、".join(product.colors)
    if concept.name == "尺码" and product.sizes:
        return "尺码", "、".join(product.sizes)
    if concept.mentions and concept.cue.search(clause):
        for column, value in product.attributes.items():
            if any(word in fold(value) for word in concept.mentions):
                return column, value
    return None


def short(product: Product) -> str:
    """What a product is called in a comparison: its first alias, else its name."""
    return product.aliases[0] if product.aliases else product.name


def short_common(products: Sequence[Product]) -> str:
    """What several products sharing an answer are called together: the words their names have in common."""
    names = [p.name for p in products]
    first = names[0]
    for size in range(len(first), 1, -1):
        for start in range(len(first) - size + 1):
            piece = first[start:start + size]
            if all(piece in n for n in names[1:]):
                return piece
    return first


def attribute(build: Builder, products: Sequence[Product], ambiguous: bool, concept: Concept, confidence: float,
              clause: str = "") -> list[ProductAnswer]:
    """The concept's value for each product meant; for an ambiguous name, one shared value or a question."""
    found = [lookup(p, concept, clause) for p in products]
    if ambiguous:
        if len(set(found)) == 1 and found[0]:
            column, value = found[0]
            return build.make("value", "value", {"商品名": short_common(products), "属性": column, "值": value},
                              [p.id for p in products], column, value, confidence - 0.1,
                              "可能是：" + "、".join(p.name for p in products) + "（这一项都一样）")
        if all(f is None for f in found):  # whichever is meant, the sheet does not say
            return [] if concept.fallthrough else unknown(build, products, concept.name, confidence)
        return ask(build, [p.id for p in products], "可能是：" + "、".join(p.name for p in products))
    out: list[ProductAnswer] = []
    for product, hit in zip(products[:3], found[:3]):
        if hit:
            column, value = hit
            out += build.make("value", "value", {"商品名": product.name, "属性": column, "值": value}, [product.id],
                              column, value, confidence)
        elif not concept.fallthrough:
            out += unknown(build, [product], concept.name, confidence)
    return out

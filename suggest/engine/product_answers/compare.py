"""Two products side by side (「A和B有什么区别」, 「哪个薄」): the columns where their cells differ.

Only differing cells are listed, at most five, in the order buyers weigh them (material and warmth first); an
attribute asked about (「哪个热量低」) is compared alone. Nothing in the sheet telling them apart leaves the question
to the scripted replies rather than saying "no difference".
"""

from __future__ import annotations

from ...corpus.products import Product
from .facts import display_value, lookup, short
from .lexicon import Concept
from .replies import Builder, ProductAnswer, unknown

_ORDER = ("材质", "厚度", "版型", "价格", "重量", "充绒量", "保质期", "净含量", "规格", "配料", "热量", "产地", "卖点")
_MAX_COMPARED = 5
_NOT_COMPARED = ("颜色", "尺码", "库存")  # variants, not differences between two products


def compare(build: Builder, a: Product, b: Product, concept: Concept | None,
            confidence: float) -> list[ProductAnswer]:
    ids = [a.id, b.id]
    names = {"商品1": short(a), "商品2": short(b)}
    if concept is not None:
        hit_a, hit_b = lookup(a, concept), lookup(b, concept)
        lacking = [p for p, hit in ((a, hit_a), (b, hit_b)) if hit is None]
        if lacking:
            return unknown(build, lacking, concept.name, confidence)
        if hit_a[1] == hit_b[1]:
            return build.make("compare_same", "compare", {**names, "属性": hit_a[0], "值": hit_a[1]}, ids,
                              hit_a[0], hit_a[1], confidence)
        text = f"{hit_a[0]}：{short(a)}{hit_a[1]}，{short(b)}{hit_b[1]}"
        return build.make("compare", "compare", {**names, "对比": text}, ids, hit_a[0], None, confidence)
    columns = [c for c in _ORDER if c in a.attributes or c in b.attributes]
    columns += [c for c in dict.fromkeys([*a.attributes, *b.attributes]) if c not in columns and c not in _NOT_COMPARED]
    parts = []
    for column in columns:
        va, vb = a.attribute(column), b.attribute(column)
        if va and vb and va != vb:
            parts.append(f"{column}：{short(a)}{display_value(column, va)}，{short(b)}{display_value(column, vb)}")
        if len(parts) == _MAX_COMPARED:
            break
    if not parts:
        return []  # nothing in the sheet tells them apart: the scripted replies answer
    return build.make("compare", "compare", {**names, "对比": "；".join(parts)}, ids, None, None, confidence)

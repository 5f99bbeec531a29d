"""Colours and sizes: which the buyer names, whether they are in stock, what they cost.

Buyers ask 「黑色M还有吗」 far more often than anything else about a variant, so the answer is 有货 / 缺货 for what
they named — and 仅剩 N 件 when few are left (≤ LOW_STOCK), since that is what makes a buyer order now. A colour or
size the product does not come in is said so, with the ones it does come in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...corpus.products import Product, Sku, fold
from .facts import LOW_STOCK, lookup
from .lexicon import BASE_COLOR, BY_NAME, SIZE_NUMBER, SIZE_WORD, STOCK_ASK
from .replies import Builder, ProductAnswer, unknown


def canon_size(size: str) -> str:
    size = fold(size).strip().removesuffix("码").removesuffix("号")
    return {"xxl": "2xl", "xxxl": "3xl", "xxxxl": "4xl", "f": "均码", "free": "均码"}.get(size, size)


def size_label(size: str) -> str:
    return size if size.endswith("码") else f"{size}码"


def size_tokens(text: str, product: Product | None) -> list[str]:
    """Sizes named in the text, as the product's chart spells them when it has them."""
    tokens = [m.group(0) for m in SIZE_WORD.finditer(text)] + [m.group(0) for m in SIZE_NUMBER.finditer(text)]
    if product:
        for size in product.sizes:
            if re.fullmatch(r"\d{2,3}", size):
                tokens += re.findall(rf"(?<![\d.]){size}(?![\d.]|\s*(?:cm|厘米|kg|公斤|斤|元|块|g|克|%))", text)
    unique: dict[str, str] = {}
    for token in tokens:
        unique.setdefault(canon_size(token), token)
    return list(unique.values())


def color_tokens(text: str, product: Product | None) -> list[tuple[str, tuple[str, ...]]]:
    """(buyer's word, the product colours it means) — an empty tuple when the product has no such colour."""
    found: list[tuple[str, tuple[str, ...]]] = []
    taken: list[tuple[int, int]] = []
    colors = product.colors if product else ()
    for color in sorted(colors, key=len, reverse=True):
        for word in dict.fromkeys([color, color.removesuffix("色")]):
            if len(word) >= 2:
                at = text.find(word)
                if at >= 0 and not any(s <= at < e for s, e in taken):
                    found.append((word, (color,)))
                    taken.append((at, at + len(word)))
                    break
    for match in BASE_COLOR.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        base = match.group(0)[:-1]
        hits = tuple(c for c in colors if base in c or base[-1] in c) if len(base) > 1 else \
            tuple(c for c in colors if base in c)
        found.append((match.group(0), hits))
        taken.append(match.span())
    return found


def asks_sku(clauses: Sequence[str], product: Product | None, price_asked: bool) -> bool:
    """A stock or price question in a clause naming a colour or size, or in the clause right after one
    (「黑色M码 还有吗」)."""
    named = [bool(size_tokens(c, product) or color_tokens(c, product)) for c in clauses]
    for i, clause in enumerate(clauses):
        if (STOCK_ASK.search(clause) or (price_asked and BY_NAME["价格"].cue.search(clause))) \
                and (named[i] or (i and named[i - 1])):
            return True
    return False


def sku_missing(build: Builder, product: Product, asked: str, attribute: str, options: Sequence[str],
                confidence: float) -> list[ProductAnswer]:
    return build.make("sku_missing", "sku", {"商品名": product.name, "规格": asked, "可选": "、".join(options)},
                      [product.id], attribute, None, confidence,
                      f"商品表里「{product.name}」没有{asked}")


def _product_skus(product: Product) -> tuple[Sku, ...]:
    """The SKUs, or — when the sheet lists colours and sizes without SKUs — every colour × size it offers."""
    if product.skus:
        return product.skus
    return tuple(Sku(c, s) for c in (product.colors or ("",)) for s in (product.sizes or ("",)))


def _stock_phrase(matched: Sequence[Sku]) -> tuple[str, str]:
    """(value, phrase for the reply): the value says 有货 / 缺货 / which are in and which out; the phrase adds
    仅剩 N 件 for the variants few are left of."""
    in_stock = [s for s in matched if s.in_stock]
    out_stock = [s for s in matched if not s.in_stock]
    if not in_stock:
        return "缺货", "暂时缺货"
    vary_size = len({s.size for s in matched}) > 1
    vary_color = len({s.color for s in matched}) > 1

    def name(sku: Sku) -> str:
        if vary_size and not vary_color:
            return sku.size
        if vary_color and not vary_size:
            return sku.color
        return sku.label

    value = "有货"
    if out_stock:
        value = f"{'、'.join(name(s) for s in in_stock)}有货，{'、'.join(name(s) for s in out_stock)}缺货"
    low = [s for s in in_stock if s.stock is not None and s.stock <= LOW_STOCK]
    phrase = "：" + value if out_stock else value
    if len(matched) == 1 and low:
        phrase += f"，仅剩{low[0].stock}件"
    elif low:
        phrase += "（" + "、".join(f"{name(s)}仅剩{s.stock}件" for s in low) + "）"
    return value, phrase


def _price(build: Builder, product: Product, matched: Sequence[Sku], asked: str,
           confidence: float) -> list[ProductAnswer]:
    prices = list(dict.fromkeys(s.price for s in matched if s.price is not None))
    if not prices:
        hit = lookup(product, BY_NAME["价格"])
        if not hit:
            return unknown(build, [product], "价格", confidence)
        value = hit[1]
    elif len(prices) == 1:
        value = f"{prices[0]}元"
    else:
        value = "、".join(f"{s.label}{s.price}元" for s in matched if s.price is not None)
    return build.make("sku_price", "sku", {"商品名": product.name, "规格": asked, "价格": value}, [product.id],
                      "价格", value, confidence)


def sku(build: Builder, product: Product, sizes: Sequence[str], colors: Sequence[tuple[str, tuple[str, ...]]],
        price: bool, confidence: float) -> list[ProductAnswer]:
    """Stock (or price) of the colours and sizes named — of every variant when none is named."""
    skus = _product_skus(product)
    wanted_colors: set[str] = set()
    for word, hits in colors:
        if not hits:
            return sku_missing(build, product, word.removesuffix("的"), "颜色", product.colors, confidence)
        wanted_colors.update(hits)
    wanted_sizes = {canon_size(s) for s in sizes}
    known_sizes = {canon_size(s.size) for s in skus}
    for size in sizes:
        if canon_size(size) not in known_sizes:
            return sku_missing(build, product, size.upper().removesuffix("码"), "尺码", product.sizes, confidence)
    matched = [s for s in skus if (not wanted_colors or s.color in wanted_colors)
               and (not wanted_sizes or canon_size(s.size) in wanted_sizes)]
    asked = "/".join(part for part in ("、".join(c for c in product.colors if c in wanted_colors),
                                       "、".join(s.upper().removesuffix("码") for s in sizes)) if part)
    if not matched:
        options = [s.label for s in skus if s.color in wanted_colors] if wanted_colors else list(product.sizes)
        return sku_missing(build, product, asked, "尺码", [o.split("/")[-1] for o in options] or options, confidence)
    if price:
        return _price(build, product, matched, asked, confidence)
    value, phrase = _stock_phrase(matched)
    return build.make("sku_stock", "sku", {"商品名": product.name, "规格": asked, "库存": phrase}, [product.id],
                      "库存", value, confidence)

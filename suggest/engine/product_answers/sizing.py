"""The size chart: a measurement of a size (「M码多长」, 「胸围多少」) and which size fits a body (「我165 52kg穿什么码」).

A recommendation rests on the chart's height and weight ranges only. When height and weight point to sizes more
than one apart, when the body lies outside the chart, or when the chart has no ranges, the reply says the agent
will check rather than guess (size_outside): a wrong size costs a return.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...corpus.products import Product, SizeRow, format_range
from .body import Body
from .lexicon import LENGTHS, MEASURE_NAMES, WIDTHS
from .replies import Builder, ProductAnswer, unknown
from .skus import canon_size, size_label, sku_missing


def measurement(build: Builder, product: Product, text: str, sizes: Sequence[str],
                confidence: float) -> list[ProductAnswer]:
    """The measurement(s) named — or the length (width for 多宽) when the buyer just asks 多长 — of the sizes
    named, of every size when none is; a cell of the row (裤长 98) answers when no size is named."""
    names = [n for n in MEASURE_NAMES if n in text]
    chart_names = list(dict.fromkeys(n for row in product.size_chart for n, _ in row.measurements))
    names += [n for n in chart_names if n in text and n not in names]
    if not names:
        wanted = WIDTHS if re.search(r"多宽", text) else LENGTHS
        names = [next((n for n in wanted if n in chart_names or product.attribute(n)), wanted[0])]
    out: list[ProductAnswer] = []
    for name in names[:2]:
        cell = product.attribute(name)
        if cell and not sizes:
            out += build.make("value", "value", {"商品名": product.name, "属性": name, "值": cell}, [product.id],
                              name, cell, confidence)
            continue
        if name not in chart_names:
            out += unknown(build, [product], name, confidence)
            continue
        rows: list[SizeRow] = []
        for size in sizes:
            row = next((r for r in product.size_chart if canon_size(r.size) == canon_size(size)), None)
            if row is None:
                return sku_missing(build, product, size.upper().removesuffix("码"), "尺码", product.sizes, confidence)
            rows.append(row)
        rows = rows or list(product.size_chart)
        rows = [r for r in rows if r.measurement(name)]
        if len(rows) == 1:
            value = f"{rows[0].measurement(name)}cm"
            label = f"{size_label(rows[0].size)}的{name}" if len(product.size_chart) > 1 else name
        else:
            value = "、".join(f"{r.size} {r.measurement(name)}cm" for r in rows)
            label = f"各尺码{name}"
        out += build.make("value", "value", {"商品名": product.name, "属性": label, "值": value}, [product.id],
                          name, value, confidence)
    return out


def _fits(row: SizeRow, body: Body) -> tuple[bool | None, bool | None]:
    height = None if body.height is None or row.height is None else row.height[0] <= body.height <= row.height[1]
    weight = None if body.weight is None or row.weight is None else row.weight[0] <= body.weight <= row.weight[1]
    return height, weight


def recommend(build: Builder, product: Product, body: Body, confidence: float) -> list[ProductAnswer]:
    """The size whose height and weight ranges hold the body; two neighbouring sizes when it lies between."""
    chart = list(product.size_chart)
    described = body.describe()
    values = {"商品名": product.name, "身材": described}

    def outside(note: str) -> list[ProductAnswer]:
        return build.make("size_outside", "size", values, [product.id], "尺码", None, min(confidence, 0.7), note)

    if not chart or not any(r.height or r.weight for r in chart):
        return outside(f"商品表里「{product.name}」没有带身高体重的尺码表，请人工推荐尺码")
    fits = [_fits(row, body) for row in chart]
    by_height = [i for i, (h, _) in enumerate(fits) if h] if any(h is not None for h, _ in fits) else None
    by_weight = [i for i, (_, w) in enumerate(fits) if w] if any(w is not None for _, w in fits) else None
    if by_height is not None and by_weight is not None:
        if not by_height or not by_weight:
            return outside("买家的身高或体重超出了尺码表的范围，请人工确认")
        both = [i for i in by_height if i in by_weight]
        if both:
            pick = both
        else:
            span = sorted(set(by_height) | set(by_weight))
            if span[-1] - span[0] != 1:
                return outside("买家的身高和体重对应的尺码相差较大，请人工确认")
            pick = span
    else:
        pick = by_height if by_height is not None else by_weight
        if not pick:
            return outside("买家的身高或体重超出了尺码表的范围，请人工确认")
    if len(pick) > 2:
        return outside("只凭身高或体重对应多个尺码，请问清另一项再推荐")
    rows = [chart[i] for i in (pick[0], pick[-1])] if len(pick) > 1 else [chart[pick[0]]]

    def basis(row: SizeRow) -> str:
        items = ([f"身高{format_range(*row.height)}cm"] if row.height else []) + \
                ([f"体重{format_range(*row.weight)}kg"] if row.weight else [])
        return f"{size_label(row.size)}适合" + " ".join(items)

    evidence = "；".join(basis(r) for r in rows)
    if len(rows) == 1:
        return build.make("size", "size", {**values, "尺码": rows[0].size, "依据": evidence}, [product.id], "尺码",
                          rows[0].size, confidence)
    value = f"{rows[0].size}和{rows[1].size}"
    return build.make("size_between", "size", {**values, "尺码": value, "依据": evidence}, [product.id], "尺码", value,
                      confidence - 0.05, "买家介于两个尺码之间")

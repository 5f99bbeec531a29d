"""The compact cells of the product sheet: a size chart and SKUs written in one cell, read and written back.

Why apart from products.py: the editor's product form checks these cells with exactly the parsers a file is
read with (suggest.authoring.product_sheet), and an answer quotes them as written; the sheet's rows and files
are another job. Every problem is a Problem naming the column, the entry (`values["part"]`) and the value.

  size chart  ``S: 衣长66 胸围112 身高150-158 体重40-50kg; M: …``: entries split by ; or ；, the size before : or ：,
              items by spaces; a measurement may be a range (腰围68-78); 体重 in kg unless written with 斤 (90-100斤
              is read as 45-50kg); cm/kg suffixes optional.
  SKUs        ``黑色/S: 价格129 库存23; 黑色/M: 价格129 库存0`` (colour/size; either part may be empty); 库存 is a
              whole number, 缺货/无货/售罄 mean 0, and a blank 库存 (or 有货/现货/充足) means the shop does not count
              stock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import CorpusError
from ..records import Problem

_ZERO_STOCK = {"缺货", "无货", "售罄", "没货", "卖完"}
_COUNTED_ELSEWHERE = {"有货", "充足", "现货"}
_NUMBER = r"\d+(?:\.\d+)?"
_CHART_ITEM = re.compile(rf"^(?P<name>[^\d.\-~～]+?)(?P<lo>{_NUMBER})(?:\s*[-~～]\s*(?P<hi>{_NUMBER}))?"
                         r"(?P<unit>cm|厘米|kg|公斤|千克|斤)?$", re.IGNORECASE)
_RANGE = re.compile(rf"^(?P<lo>{_NUMBER})(?:\s*[-~～]\s*(?P<hi>{_NUMBER}))?\s*(?P<unit>cm|厘米|kg|公斤|千克|斤)?$",
                    re.IGNORECASE)


def fold(text: str) -> str:
    """The form names, ids and messages are compared in: full-width letters and digits folded, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class SizeRow:
    """One size of a size chart: measurements in cm as the shop wrote them (a number or a range like 68-78)."""

    size: str
    measurements: tuple[tuple[str, str], ...] = ()
    height: tuple[float, float] | None = None  # cm
    weight: tuple[float, float] | None = None  # kg

    def measurement(self, name: str) -> str | None:
        return next((value for key, value in self.measurements if key == name), None)


@dataclass(frozen=True)
class Sku:
    """A colour × size variant. `stock` None means the shop does not count stock: the variant is on sale."""

    color: str = ""
    size: str = ""
    price: str | None = None  # as written, a plain number of yuan
    stock: int | None = None

    @property
    def label(self) -> str:
        return "/".join(part for part in (self.color, self.size) if part)

    @property
    def in_stock(self) -> bool:
        return self.stock is None or self.stock > 0


# ---- reading ----------------------------------------------------------------------------------------------------

def _number(text: str, where: str, column: str, part: str = "") -> float:
    try:
        return float(text)
    except ValueError:
        raise CorpusError([Problem(column, "not_a_number", {"value": text, "part": part}, where)]) from None


def parse_range(text: str, where: str, column: str, part: str = "", *, weight: bool = False) -> tuple[float, float]:
    """A number or a range (155-160) as (low, high); a weight in 斤 is given in kg."""
    match = _RANGE.match(text.strip())
    if not match:
        raise CorpusError([Problem(column, "bad_range", {"value": text, "part": part}, where)])
    lo = float(match.group("lo"))
    hi = float(match.group("hi") or match.group("lo"))
    if lo > hi:
        raise CorpusError([Problem(column, "range_backwards", {"value": text, "part": part}, where)])
    if weight and match.group("unit") == "斤":
        lo, hi = lo / 2, hi / 2
    return lo, hi


def parse_measurement(text: str, where: str, column: str) -> str:
    """A measurement as the shop wrote it (68 or 68-78), without its unit."""
    match = _RANGE.match(text)
    if not match:
        raise CorpusError([Problem(column, "bad_measurement", {"value": text}, where)])
    return text if not match.group("unit") else text[:match.start("unit")].strip()


def parse_stock(text: str, where: str, column: str, part: str = "") -> int | None:
    """A stock count; None when the shop does not count it."""
    text = text.strip()
    if not text or text in _COUNTED_ELSEWHERE:
        return None
    if text in _ZERO_STOCK:
        return 0
    value = _number(text.rstrip("件个"), where, column, part)
    if value < 0 or not value.is_integer():
        raise CorpusError([Problem(column, "bad_stock", {"value": text, "part": part}, where)])
    return int(value)


def parse_price(text: str, where: str, column: str, part: str = "") -> str | None:
    """A price as written, without ¥ or 元; None when blank."""
    text = text.strip().lstrip("¥￥").removesuffix("元").strip()
    if not text:
        return None
    if _number(text, where, column, part) < 0:
        raise CorpusError([Problem(column, "negative_price", {"part": part}, where)])
    return text


def _entries(cell: str) -> Iterator[tuple[str, str, str]]:
    """The `head: body` entries of a compact cell (``S: 衣长66 …; M: …``) as (head, body, entry); head is ""
    for an entry written without one."""
    for entry in re.split(r"[;；\n]+", cell):
        if not entry.strip():
            continue
        parts = re.split(r"[:：]", entry, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip():
            yield "", "", entry.strip()
        else:
            yield parts[0].strip(), parts[1], entry.strip()


def parse_size_chart(cell: str, where: str, column: str = "尺码表") -> tuple[SizeRow, ...]:
    """A size chart from its compact cell; CorpusError names the entry at fault."""
    rows = []
    for size, body, entry in _entries(cell):
        if not size:
            raise CorpusError([Problem(column, "size_first", {"value": entry}, where)])
        measurements: list[tuple[str, str]] = []
        height = weight = None
        for item in body.replace("，", " ").replace(",", " ").replace("、", " ").split():
            match = _CHART_ITEM.match(item)
            if not match:
                raise CorpusError([Problem(column, "bad_size_item", {"size": size, "value": item}, where)])
            name, lo, hi = match.group("name").strip(), match.group("lo"), match.group("hi")
            if name == "身高":
                height = parse_range(item[len(match.group("name")):], where, column, f"{size} 身高")
            elif name == "体重":
                weight = parse_range(item[len(match.group("name")):], where, column, f"{size} 体重", weight=True)
            else:
                measurements.append((name, f"{lo}-{hi}" if hi else lo))
        rows.append(SizeRow(size, tuple(measurements), height, weight))
    sizes = [fold(r.size) for r in rows]
    if len(set(sizes)) != len(sizes):
        raise CorpusError([Problem(column, "size_twice", {}, where)])
    return tuple(rows)


def parse_skus(cell: str, where: str, column: str = "SKU") -> tuple[Sku, ...]:
    """SKUs from their compact cell: ``黑色/S: 价格129 库存23; …``."""
    skus = []
    for label, body, entry in _entries(cell):
        if not label:
            raise CorpusError([Problem(column, "sku_label_first", {"value": entry}, where)])
        color, _, size = label.partition("/")
        price = stock = None
        for item in body.replace("，", " ").replace(",", " ").split():
            match = re.match(r"^(价格|库存)[:：]?(.*)$", item)
            if not match:
                raise CorpusError([Problem(column, "bad_sku_item", {"label": label.strip(), "value": item}, where)])
            if match.group(1) == "价格":
                price = parse_price(match.group(2), where, column, f"{label.strip()} 价格")
            else:
                stock = parse_stock(match.group(2), where, column, f"{label.strip()} 库存")
        skus.append(Sku(color.strip(), size.strip(), price, stock))
    return tuple(skus)


# ---- writing ----------------------------------------------------------------------------------------------------

def format_range(lo: float, hi: float, unit: str = "") -> str:
    return f"{_num(lo)}{unit}" if lo == hi else f"{_num(lo)}-{_num(hi)}{unit}"


def format_size_row(row: SizeRow) -> str:
    items = [f"{name}{value}" for name, value in row.measurements]
    if row.height:
        items.append("身高" + format_range(*row.height))
    if row.weight:
        items.append("体重" + format_range(*row.weight, "kg"))
    return f"{row.size}: " + " ".join(items)


def format_size_chart(chart: tuple[SizeRow, ...]) -> str:
    """The compact cell of a size chart: what a CSV holds, and what an answer quotes for 尺码表."""
    return "; ".join(format_size_row(row) for row in chart)


def format_skus(skus: tuple[Sku, ...]) -> str:
    parts = []
    for sku in skus:
        label = sku.color + (f"/{sku.size}" if sku.size else "")
        items = ([f"价格{sku.price}"] if sku.price is not None else []) + \
                ([f"库存{sku.stock}"] if sku.stock is not None else [])
        parts.append(f"{label}: " + " ".join(items))
    return "; ".join(parts)

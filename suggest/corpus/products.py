"""The shop's product sheet (corpus/products.csv or corpus/products.xlsx): the facts product answers cite.

Why a sheet: about one buyer message in six asks about the product itself (size, material, shelf life, price),
and no scripted reply can answer that. Shops keep these facts in Excel already, so the format is a plain table
they can fill in there; answers quote its cells verbatim and never invent a value.

Columns (one product per row; Chinese or English headers, any order):
  商品ID / id (required, unique)  商品名 / name (required)  链接 / link  类目 / category
  别名 / aliases — other names buyers use, separated by 、 or ，(「加绒卫衣、连帽卫衣」)
  尺码表 / size_chart and SKU / skus — compact cells, below
  every other column is an attribute (材质, 颜色, 尺码, 重量, 规格, 净含量, 产地, 保质期, 生产日期, 配料, 价格 …),
  kept in sheet order; an empty cell means "the sheet does not say".

A size chart (sizes × measurements in cm, with height and weight ranges) and the SKUs (colour × size, with
price and stock) are written in one cell each in a CSV (suggest.corpus.product_cells says how); an xlsx may
instead give them sheets: 尺码表 (商品ID, 尺码, one column per measurement, 身高, 体重) and SKU (商品ID, 颜色,
尺码, 价格, 库存).
The xlsx main sheet is 商品 (or the first sheet). Writing uses the same layout, so files round-trip.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from ..records import Problem
from .files import atomic_write
# SizeRow, Sku, fold and the formatters stay importable from here, as a product's parts (product answers do).
from .product_cells import (SizeRow, Sku, fold, format_range, format_size_chart, format_skus, parse_measurement,
                            parse_price, parse_range, parse_size_chart, parse_skus, parse_stock)
from .spreadsheet import _append_text_row, _open_workbook, _openpyxl, _save_atomically, _style_sheet, read_text_file

PRODUCT_FILES = ("products.xlsx", "products.csv")  # looked for in this order inside a corpus directory
PRODUCTS_SHEET = "商品"
SIZE_SHEET = "尺码表"
SKU_SHEET = "SKU"
MAX_ROWS = 20_000

_MAIN_ALIASES = {
    "商品id": "id", "商品编号": "id", "宝贝id": "id", "货号": "id", "id": "id", "product_id": "id",
    "商品名": "name", "商品名称": "name", "宝贝名称": "name", "名称": "name", "name": "name",
    "链接": "link", "商品链接": "link", "宝贝链接": "link", "link": "link", "url": "link",
    "类目": "category", "分类": "category", "category": "category",
    "别名": "aliases", "aliases": "aliases",
    "尺码表": "size_chart", "size_chart": "size_chart",
    "sku": "skus", "skus": "skus",
}
_MAIN_HEADERS = {"id": "商品ID", "name": "商品名", "link": "链接", "category": "类目", "aliases": "别名",
                 "size_chart": "尺码表", "skus": "SKU"}
_SIZE_ALIASES = {"商品id": "id", "id": "id", "商品编号": "id", "尺码": "size", "size": "size", "码数": "size",
                 "身高": "height", "height": "height", "体重": "weight", "weight": "weight"}
_SKU_ALIASES = {"商品id": "id", "id": "id", "商品编号": "id", "颜色": "color", "color": "color", "颜色分类": "color",
                "尺码": "size", "size": "size", "价格": "price", "price": "price", "库存": "stock", "stock": "stock"}
_LIST_SPLIT = re.compile(r"[、，,;；|/]+")
_TOKEN = re.compile(r"[0-9a-z]+")
# Name fragments shared by many products say nothing about which one a buyer means.
_MAX_FRAGMENT_PRODUCTS = 3
_FRAGMENT_STOP = frozenset({"新款", "款式", "正品", "男女", "女装", "男装", "春秋", "夏季", "冬季", "秋冬", "春夏",
                            "包邮", "特价", "爆款", "同款", "官方", "旗舰", "礼盒装"})


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    link: str = ""
    category: str = ""
    attributes: dict[str, str] = field(default_factory=dict)  # column -> cell, sheet order, empty cells left out
    size_chart: tuple[SizeRow, ...] = ()
    skus: tuple[Sku, ...] = ()
    aliases: tuple[str, ...] = ()

    def attribute(self, name: str) -> str | None:
        return self.attributes.get(name) or None

    def size_row(self, size: str) -> SizeRow | None:
        wanted = fold(size)
        return next((row for row in self.size_chart if fold(row.size) == wanted), None)

    @property
    def colors(self) -> tuple[str, ...]:
        """Colours on offer: the SKUs' colours, else the 颜色 cell split into its items."""
        found = [s.color for s in self.skus if s.color] or _LIST_SPLIT.split(self.attributes.get("颜色", ""))
        return tuple(dict.fromkeys(c.strip() for c in found if c.strip()))

    @property
    def sizes(self) -> tuple[str, ...]:
        """Sizes on offer: the size chart's, else the SKUs', else the 尺码 cell split into its items."""
        found = ([r.size for r in self.size_chart] or [s.size for s in self.skus if s.size]
                 or _LIST_SPLIT.split(self.attributes.get("尺码", "")))
        return tuple(dict.fromkeys(s.strip() for s in found if s.strip()))


@dataclass(frozen=True)
class Mention:
    """A stretch of a message naming products: one id when the words are unique to it, several when shared."""

    start: int
    end: int
    term: str
    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class ProductSheet:
    products: dict[str, Product] = field(default_factory=dict)  # id -> product, sheet order
    source: str = ""  # the file read, for messages
    _terms: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _longest: list[int] = field(default_factory=lambda: [0], init=False, repr=False, compare=False)
    _folded_ids: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    exact_terms: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)
    _lengths: dict[str, tuple[int, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The term index is built once: mentions() is on the hot path of every buyer message.
        terms: dict[str, set[str]] = {}
        exact: dict[str, set[str]] = {}
        for product in self.products.values():
            for whole in (product.name, *product.aliases):
                whole = fold(whole).strip()
                if len(whole) >= 2:
                    exact.setdefault(whole, set()).add(product.id)
                for size in range(2, len(whole)):
                    for start in range(len(whole) - size + 1):
                        piece = whole[start:start + size]
                        if piece.strip() == piece and piece not in _FRAGMENT_STOP:
                            terms.setdefault(piece, set()).add(product.id)
        # A fragment that is part of a colour (燕麦 of 燕麦酥 and of 燕麦白) would read "燕麦白的大衣" as the snack.
        colors = {fold(c) for product in self.products.values() for c in product.colors}
        index = {t: ids for t, ids in terms.items()
                 if len(ids) <= _MAX_FRAGMENT_PRODUCTS and not any(t in c for c in colors)}
        index.update(exact)  # a whole name or alias always counts, however many products share it
        order = {pid: i for i, pid in enumerate(self.products)}
        self._terms.update({t: tuple(sorted(ids, key=order.get)) for t, ids in index.items()})
        self._longest[0] = max((len(t) for t in self._terms), default=0)
        lengths: dict[str, set[int]] = {}
        for term in self._terms:
            lengths.setdefault(term[0], set()).add(len(term))
        self._lengths.update({ch: tuple(sorted(sizes, reverse=True)) for ch, sizes in lengths.items()})
        self._folded_ids.update({fold(pid): pid for pid in self.products})
        object.__setattr__(self, "exact_terms", frozenset(exact) | frozenset(self._folded_ids))

    def __len__(self) -> int:
        return len(self.products)

    def __iter__(self) -> Iterator[Product]:
        return iter(self.products.values())

    def get(self, product_id: str) -> Product | None:
        return self.products.get(product_id)

    def _ids_in(self, text: str) -> list[tuple[int, int, str]]:
        """Product ids standing alone in the text (inside a link too): never a part of a longer number."""
        found = []
        for match in _TOKEN.finditer(text):
            if match.group(0) in self._folded_ids:
                found.append((match.start(), match.end(), self._folded_ids[match.group(0)]))
        return found

    def search(self, query: str, limit: int = 20) -> list[Product]:
        """Products whose id, name or category contains `query` (all of them for an empty query), for an agent
        choosing the product a conversation is about; the one `find` resolves comes first."""
        key = fold(query.strip())
        found = [p for p in self.products.values()
                 if not key or key in fold(p.id) or key in fold(p.name) or key in fold(p.category or "")]
        best = self.find(query) if key else None
        if best is not None:
            found = [best] + [p for p in found if p.id != best.id]
        return found[:limit]

    def find(self, ref: str) -> Product | None:
        """The product a caller means by `ref`: its id, a link carrying the id (淘宝 ?id=…, 京东 /….html) or equal
        to its 链接, its name or alias, or a part of a name that only one product has. None when unknown or
        ambiguous (see `candidates`)."""
        found = self.candidates(ref)
        return found[0] if len(found) == 1 else None

    def candidates(self, ref: str) -> list[Product]:
        """Every product `ref` could mean, best first (one when it is unambiguous)."""
        text = fold(ref or "").strip()
        if not text:
            return []
        if text in self._folded_ids:
            return [self.products[self._folded_ids[text]]]
        ids = list(dict.fromkeys(pid for _, _, pid in self._ids_in(text)))
        if ids:
            return [self.products[pid] for pid in ids]
        for product in self.products.values():
            if product.link and fold(product.link).strip() == text:
                return [product]
        if text in self._terms:
            return [self.products[pid] for pid in self._terms[text]]
        mentioned = self.mentions(text)
        if mentioned:
            best = max(mentioned, key=lambda m: m.end - m.start)
            return [self.products[pid] for pid in best.product_ids]
        return []

    def mentions(self, text: str) -> list[Mention]:
        """Where the text names products, longest first; a shorter name inside a longer one is not counted
        again. Ids count only as whole tokens, so an order number never names a product by accident."""
        text = fold(text)
        spans: list[Mention] = [Mention(s, e, text[s:e], (pid,)) for s, e, pid in self._ids_in(text)]
        taken = set().union(*(range(m.start, m.end) for m in spans)) if spans else set()
        position = 0
        while position < len(text) - 1:
            sizes = self._lengths.get(text[position])
            if not sizes or position in taken:
                position += 1
                continue
            for size in sizes:
                piece = text[position:position + size]
                ids = self._terms.get(piece) if len(piece) == size else None
                if ids and not (taken and taken.intersection(range(position, position + size))):
                    spans.append(Mention(position, position + size, piece, ids))
                    position += size
                    break
            else:
                position += 1
        return sorted(spans, key=lambda m: (-(m.end - m.start), m.start))

    def mentioned(self, text: str) -> list[Product]:
        """Products the text names unambiguously, longest match first (a name several products share, like
        牛肉干 for 五香牛肉干 and 麻辣牛肉干, is left to `mentions`)."""
        ids = [m.product_ids[0] for m in self.mentions(text) if len(m.product_ids) == 1]
        return [self.products[pid] for pid in dict.fromkeys(ids)]


# ---- reading ----------------------------------------------------------------------------------------------------

def _key(header: str) -> str:
    return fold(str(header or "")).strip().replace(" ", "")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime) and value.time() == _dt.time():
        return value.date().isoformat()
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of a CSV file: each record numbered by the line it starts on."""
    text, _ = read_text_file(path)
    reader = csv.reader(io.StringIO(text))
    rows = []
    line = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((line, [c.strip() for c in cells]))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CorpusError([Problem("", "bad_csv", {"problem": str(exc)}, f"{path}:{reader.line_num}")]) from None
    return rows


def _sheet_rows(sheet, label: str) -> list[tuple[int, list[str]]]:
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            raise CorpusError([Problem("", "too_many_rows", {"limit": MAX_ROWS}, label)])
        cells = [_cell(v) for v in values]
        if any(cells):
            rows.append((number, cells))
    return rows


def _products_from_rows(path: Path, label: str, rows: list[tuple[int, list[str]]]) -> dict[str, dict]:
    """Raw products (id -> fields) from the main table, every problem collected before raising."""
    if not rows:
        raise CorpusError([Problem("", "empty_product_sheet", {}, label)])
    header_line, header = rows[0]
    columns = [_MAIN_ALIASES.get(_key(h)) for h in header]
    missing = [name for name in ("id", "name") if name not in columns]
    if missing:
        raise CorpusError([Problem("", "missing_product_columns", {"columns": tuple(_MAIN_HEADERS[m] for m in missing),
                                                                   "fields": tuple(missing)}, f"{label}:{header_line}")])
    problems: list[Problem] = []
    products: dict[str, dict] = {}
    first_line: dict[str, int] = {}
    for line, cells in rows[1:]:
        where = f"{label}:{line}"
        raw: dict = {"attributes": {}, "where": where}
        for index, header_cell in enumerate(header):
            value = cells[index].strip() if index < len(cells) else ""
            name = columns[index]
            if name:
                raw[name] = value
            elif value and header_cell.strip():
                raw["attributes"][header_cell.strip()] = value
        pid = raw.get("id", "")
        if not pid:
            problems.append(Problem(_MAIN_HEADERS["id"], "empty_cell", {}, where))
            continue
        if not raw.get("name"):
            problems.append(Problem(_MAIN_HEADERS["name"], "empty_name", {"product": pid}, where))
            continue
        if pid in products:
            problems.append(Problem(_MAIN_HEADERS["id"], "duplicate_product", {"id": pid, "line": first_line[pid]},
                                    where))
            continue
        try:
            raw["size_chart"] = parse_size_chart(raw.get("size_chart", ""), where)
            raw["skus"] = parse_skus(raw.get("skus", ""), where)
        except CorpusError as exc:
            problems.extend(exc.problems)
            continue
        products[pid] = raw
        first_line[pid] = line
    if problems:
        raise CorpusError(problems)
    return products


def _side_sheet(label: str, rows: list[tuple[int, list[str]]], aliases: dict[str, str]):
    if not rows:
        return [], []
    header = rows[0][1]
    columns = [aliases.get(_key(h)) for h in header]
    if "id" not in columns:
        raise CorpusError([Problem("", "missing_column", {"column": _MAIN_HEADERS["id"]}, f"{label}:{rows[0][0]}")])
    return header, columns


def _size_chart_sheet(label: str, rows, products: dict[str, dict]) -> None:
    header, columns = _side_sheet(label, rows, _SIZE_ALIASES)
    if rows and "size" not in columns:
        raise CorpusError([Problem("", "missing_column", {"column": "尺码"}, f"{label}:{rows[0][0]}")])
    problems: list[Problem] = []
    charts: dict[str, list[SizeRow]] = {}
    for line, cells in rows[1:]:
        where = f"{label}:{line}"
        row = {columns[i] or header[i].strip(): (cells[i] if i < len(cells) else "").strip()
               for i in range(len(header))}
        pid = row.get("id", "")
        if pid not in products:
            problems.append(Problem(_MAIN_HEADERS["id"], "unknown_product", {"id": pid}, where))
            continue
        if not row.get("size"):
            problems.append(Problem("尺码", "empty_cell", {}, where))
            continue
        try:
            height = parse_range(row["height"], where, "身高") if row.get("height") else None
            weight = parse_range(row["weight"], where, "体重", weight=True) if row.get("weight") else None
            measurements = []
            for i, name in enumerate(columns):
                value = (cells[i] if i < len(cells) else "").strip()
                if name is None and value and header[i].strip():
                    measurements.append((header[i].strip(), parse_measurement(value, where, header[i].strip())))
        except CorpusError as exc:
            problems.extend(exc.problems)
            continue
        charts.setdefault(pid, []).append(SizeRow(row["size"], tuple(measurements), height, weight))
    for pid, chart in charts.items():
        if products[pid]["size_chart"]:
            problems.append(Problem("", "chart_twice", {"product": pid}, label))
        products[pid]["size_chart"] = tuple(chart)
    if problems:
        raise CorpusError(problems)


def _sku_sheet(label: str, rows, products: dict[str, dict]) -> None:
    header, columns = _side_sheet(label, rows, _SKU_ALIASES)
    problems: list[Problem] = []
    found: dict[str, list[Sku]] = {}
    for line, cells in rows[1:]:
        where = f"{label}:{line}"
        row = {name: (cells[i] if i < len(cells) else "").strip() for i, name in enumerate(columns) if name}
        pid = row.get("id", "")
        if pid not in products:
            problems.append(Problem(_MAIN_HEADERS["id"], "unknown_product", {"id": pid}, where))
            continue
        try:
            sku = Sku(row.get("color", ""), row.get("size", ""), parse_price(row.get("price", ""), where, "价格"),
                      parse_stock(row.get("stock", ""), where, "库存"))
        except CorpusError as exc:
            problems.extend(exc.problems)
            continue
        found.setdefault(pid, []).append(sku)
    for pid, skus in found.items():
        if products[pid]["skus"]:
            problems.append(Problem("", "skus_twice", {"product": pid}, label))
        products[pid]["skus"] = tuple(skus)
    if problems:
        raise CorpusError(problems)


def _label(path: Path, sheet: str | None = None) -> str:
    """Where a problem of `path` stands before its line: the file, and for an xlsx the sheet ("p.xlsx [SKU]")."""
    return f"{path} [{sheet}]" if sheet else str(path)


def place_of(where: str, path: Path) -> tuple[str | None, int | None] | None:
    """(sheet, line) of a problem's `where` in `path`, read back from the form `_label` writes ("file [sheet]:line");
    None when the problem is not placed in that file. For an interface naming the file its own way."""
    if not where.startswith(str(path)):
        return None
    rest, line = where[len(str(path)):], None
    head, colon, tail = rest.rpartition(":")
    if colon and tail.isdigit():
        rest, line = head, int(tail)
    if rest.startswith(" [") and rest.endswith("]"):
        return rest[2:-1], line
    return (None, line) if not rest else None


def _aliases(cell: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.strip() for a in re.split(r"[、，,;；|\n]+", cell or "") if a.strip()))


def read_products(path: Path) -> ProductSheet:
    """A product sheet from .xlsx or .csv (UTF-8, UTF-8 with BOM, or GBK). CorpusError names file, line (or
    sheet and row) and column of every problem."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        workbook = _open_workbook(path)
        try:
            names = workbook.sheetnames
            main = workbook[PRODUCTS_SHEET] if PRODUCTS_SHEET in names else workbook.worksheets[0]
            label = _label(path, main.title)
            raws = _products_from_rows(path, label, _sheet_rows(main, label))
            if SIZE_SHEET in names:
                label = _label(path, SIZE_SHEET)
                _size_chart_sheet(label, _sheet_rows(workbook[SIZE_SHEET], label), raws)
            if SKU_SHEET in names:
                label = _label(path, SKU_SHEET)
                _sku_sheet(label, _sheet_rows(workbook[SKU_SHEET], label), raws)
        finally:
            workbook.close()
    elif path.suffix.lower() == ".csv":
        raws = _products_from_rows(path, _label(path), _table_rows(path))
    else:
        raise CorpusError([Problem("", "product_format", {"suffix": path.suffix or "(none)"}, str(path))])
    products = {pid: Product(id=pid, name=raw["name"], link=raw.get("link", ""), category=raw.get("category", ""),
                             attributes=raw["attributes"], size_chart=raw["size_chart"], skus=raw["skus"],
                             aliases=_aliases(raw.get("aliases", "")))
                for pid, raw in raws.items()}
    return ProductSheet(products, source=str(path))


def products_path(corpus_dir: Path) -> Path | None:
    """The home's product sheet, if it has one (products.xlsx wins over products.csv)."""
    for name in PRODUCT_FILES:
        if (Path(corpus_dir) / name).is_file():
            return Path(corpus_dir) / name
    return None


def load_products(corpus_dir: Path) -> ProductSheet:
    """The home's product sheet, or an empty one: a shop without a sheet simply gets no product answers."""
    path = products_path(corpus_dir)
    return read_products(path) if path else ProductSheet()


# ---- writing ----------------------------------------------------------------------------------------------------

def _attribute_columns(sheet: ProductSheet) -> list[str]:
    return list(dict.fromkeys(name for p in sheet for name in p.attributes))


def write_products(sheet: ProductSheet, path: Path) -> int:
    """The sheet as .xlsx (sheets 商品, 尺码表, SKU) or .csv (compact cells, UTF-8 with BOM so Excel shows the
    Chinese); written atomically. Returns the number of products."""
    path = Path(path)
    attributes = _attribute_columns(sheet)
    has_aliases = any(p.aliases for p in sheet)
    main = ["商品ID", "商品名", "链接", "类目"] + (["别名"] if has_aliases else []) + attributes

    def main_row(product: Product) -> list[str]:
        row = [product.id, product.name, product.link, product.category]
        if has_aliases:
            row.append("、".join(product.aliases))
        return row + [product.attributes.get(name, "") for name in attributes]

    suffix = path.suffix.lower()
    if suffix == ".csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(main + ["尺码表", "SKU"])
        for product in sheet:
            writer.writerow(main_row(product) + [format_size_chart(product.size_chart), format_skus(product.skus)])
        atomic_write(path, "\ufeff" + out.getvalue())
    elif suffix == ".xlsx":
        workbook = _openpyxl().Workbook()
        table = workbook.active
        table.title = PRODUCTS_SHEET
        table.append(main)
        for product in sheet:
            _append_text_row(table, main_row(product))
        _style_sheet(table, [16, 28, 36, 10] + [18] * (len(main) - 4), set())
        measures = list(dict.fromkeys(n for p in sheet for r in p.size_chart for n, _ in r.measurements))
        chart = workbook.create_sheet(SIZE_SHEET)
        chart.append(["商品ID", "尺码"] + measures + ["身高", "体重"])
        for product in sheet:
            for row in product.size_chart:
                values = dict(row.measurements)
                _append_text_row(chart, [product.id, row.size] + [values.get(n, "") for n in measures] +
                                 [format_range(*row.height) if row.height else "",
                                  format_range(*row.weight, "kg") if row.weight else ""])
        _style_sheet(chart, [16, 8] + [10] * (len(measures) + 2), set())
        skus = workbook.create_sheet(SKU_SHEET)
        skus.append(["商品ID", "颜色", "尺码", "价格", "库存"])
        for product in sheet:
            for sku in product.skus:
                _append_text_row(skus, [product.id, sku.color, sku.size, sku.price or "",
                                        "" if sku.stock is None else str(sku.stock)])
        _style_sheet(skus, [16, 12, 8, 10, 8], set())
        _save_atomically(workbook, path)
    else:
        raise CorpusError([Problem("", "product_export_format", {"suffix": suffix or "(none)"}, str(path))])
    return len(sheet)

"""Editing the product sheet (corpus/products.csv or products.xlsx) product by product, and importing or
exporting it whole: validated, recorded, revertible, as editors edit the shop's facts.

Why here and not only in Excel: a price or a stock count changes often, and an agent's answer quotes the cell
verbatim, so a fix must reach the answers at once and be undoable. Each change rewrites the whole sheet
atomically (in the format the home already uses, products.csv by default), lays it over the engine, and records
the before and after of every product it touched in the history (state key "products": {id: dict or None}).
Other workers see the file change on their next request (`EditingService.refresh_if_changed`).

Cells are checked with the products module's own parsers, so what the page accepts is exactly what a file
may hold; problems come back in Chinese, naming the field (商品ID, 尺码表, 属性第 2 行 …).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..corpus.product_cells import (fold, format_size_chart, format_size_row, format_skus, parse_size_chart,
                                    parse_skus)
from ..corpus.products import Product, ProductSheet, place_of, products_path, read_products, write_products
# The header aliases decide which columns a file reads as fixed fields: an attribute named like one of them
# would come back as that field, so the editor refuses such names (the products module owns the table).
from ..corpus.products import _MAIN_ALIASES, _key
from ..engine.product_answers import load_templates
from ..errors import CorpusError
from ..records import Problem
from .history import Change
from .refusals import Conflict, Invalid, Missing
from .wording import zh_label, zh_text

if TYPE_CHECKING:
    from .editing import EditingService

log = logging.getLogger(__name__)
DEFAULT_FILE = "products.csv"  # a home without a sheet gets this one on its first save
MAX_ID_CHARS = 64
MAX_NAME_CHARS = 120
MAX_SHORT_CHARS = 200  # category, one alias, an attribute's name
MAX_CELL_CHARS = 5000  # a link, an attribute's value, the size chart and SKU cells
FIELD_NAMES = {"id": "商品ID", "name": "商品名", "link": "链接", "category": "类目", "aliases": "别名",
               "attributes": "属性", "size_chart": "尺码表", "skus": "SKU", "file": "文件", "change": "更改"}
_ALIAS_SPLIT = re.compile(r"[、，,;；|\n]+")


# ---- a product as the history and the page see it --------------------------------------------------------------

def product_dict(product: Product | None) -> dict | None:
    """A product as plain JSON (the history's state): the compact cells stand for the size chart and SKUs."""
    if product is None:
        return None
    return {"id": product.id, "name": product.name, "link": product.link, "category": product.category,
            "aliases": list(product.aliases), "attributes": [[k, v] for k, v in product.attributes.items()],
            "size_chart": format_size_chart(product.size_chart), "skus": format_skus(product.skus)}


def product_from_dict(data: dict) -> Product:
    """The inverse of `product_dict` (a history state back into a product)."""
    where = f"product {data['id']}"
    return Product(id=data["id"], name=data["name"], link=data.get("link", ""), category=data.get("category", ""),
                   attributes={k: v for k, v in data.get("attributes", [])},
                   size_chart=parse_size_chart(data.get("size_chart", ""), where),
                   skus=parse_skus(data.get("skus", ""), where), aliases=tuple(data.get("aliases", [])))


def comparable(data: dict | None) -> dict | None:
    """A product dict compared without the order of its attributes and measurements: a sheet keeps one column
    order for all products (an .xlsx size chart too), so they may come back from the file in another order,
    meaning the same."""
    if data is None:
        return None
    chart = parse_size_chart(data.get("size_chart", ""), f"product {data['id']}")
    chart = tuple(replace(row, measurements=tuple(sorted(row.measurements))) for row in chart)
    return {**data, "attributes": sorted(map(list, data["attributes"])), "size_chart": format_size_chart(chart)}


def product_version(product: Product | None) -> str:
    """What a form carries to detect that someone else saved the product in between."""
    text = json.dumps(comparable(product_dict(product)), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sheet_version(sheet: ProductSheet) -> str:
    """The whole sheet's version: an import previewed against one sheet is committed only onto the same one."""
    text = json.dumps([comparable(product_dict(p)) for p in sheet], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def products_state(products: dict[str, dict | None]) -> dict:
    """A history state for product changes (beside the replies and situations a corpus change records)."""
    return {"replies": {}, "situations": {}, "products": products}


def product_form(product: Product | None) -> dict:
    """The fields the page shows for one product (a new one when None): one size or SKU per line."""
    if product is None:
        return {"original_id": "", "version": "", "id": "", "name": "", "link": "", "category": "", "aliases": "",
                "attributes": [], "size_chart": "", "skus": ""}
    return {"original_id": product.id, "version": product_version(product), "id": product.id, "name": product.name,
            "link": product.link, "category": product.category, "aliases": "、".join(product.aliases),
            "attributes": [{"name": k, "value": v} for k, v in product.attributes.items()],
            "size_chart": "\n".join(format_size_row(row) for row in product.size_chart),
            "skus": "\n".join(format_skus((sku,)) for sku in product.skus)}


# ---- validating a form ------------------------------------------------------------------------------------------

def _text(form: dict, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _problem(field_name: str, message: str, label: str | None = None) -> dict:
    label = label or FIELD_NAMES.get(field_name, field_name)
    return {"field": field_name, "message": f"{label}：{message}"}


def _one_line(problems: list[dict], name: str, value: str, limit: int, required: bool = False,
              spaces: bool = True) -> None:
    if required and not value:
        problems.append(_problem(name, "必须填写"))
    elif "\n" in value or "\r" in value:
        problems.append(_problem(name, "只能写一行"))
    elif not spaces and re.search(r"\s", value):
        problems.append(_problem(name, "不能含空格"))
    elif len(value) > limit:
        problems.append(_problem(name, f"最多 {limit} 个字（现在 {len(value)} 个）"))


def validate_form(form: dict) -> tuple[Product | None, list[dict]]:
    """The product a form describes, or the problems (each naming its field, in Chinese). Size chart and SKU
    cells are read by the same parsers a file is, so the page accepts exactly what a file may hold."""
    problems: list[dict] = []
    pid, name, link, category = (_text(form, k) for k in ("id", "name", "link", "category"))
    _one_line(problems, "id", pid, MAX_ID_CHARS, required=True, spaces=False)
    _one_line(problems, "name", name, MAX_NAME_CHARS, required=True)
    _one_line(problems, "link", link, MAX_CELL_CHARS, spaces=False)
    _one_line(problems, "category", category, MAX_SHORT_CHARS)
    aliases = tuple(dict.fromkeys(a.strip() for a in _ALIAS_SPLIT.split(_text(form, "aliases")) if a.strip()))
    long_alias = next((a for a in aliases if len(a) > MAX_SHORT_CHARS), None)
    if long_alias:
        problems.append(_problem("aliases", f"“{long_alias[:20]}…”太长：每个别名最多 {MAX_SHORT_CHARS} 个字"))
    attributes: dict[str, str] = {}
    for number, row in enumerate(form.get("attributes") or [], start=1):
        if not isinstance(row, dict):
            continue
        key, value = _text(row, "name"), _text(row, "value")
        label = f"属性第 {number} 行"
        if not key and not value:
            continue
        if not key:
            problems.append(_problem(f"attributes[{number}].name", "填了值，但没有写属性名", label))
        elif "\n" in key or len(key) > MAX_SHORT_CHARS:
            problems.append(_problem(f"attributes[{number}].name", f"属性名只能写一行，最多 {MAX_SHORT_CHARS} 个字", label))
        elif _MAIN_ALIASES.get(_key(key)):
            problems.append(_problem(f"attributes[{number}].name", f"“{key}”是商品表的固定列（商品ID、商品名、链接、"
                                     "类目、别名、尺码表、SKU），请填在对应的栏里", label))
        elif key in attributes:
            problems.append(_problem(f"attributes[{number}].name", f"属性“{key}”重复了", label))
        elif len(value) > MAX_CELL_CHARS:
            problems.append(_problem(f"attributes[{number}].value", f"最多 {MAX_CELL_CHARS} 个字", label))
        elif value:  # a name without a value: the sheet does not say, as an empty cell
            attributes[key] = value
    cells: dict[str, Any] = {}
    for name_, parse in (("size_chart", parse_size_chart), ("skus", parse_skus)):
        cell = _text(form, name_)
        if len(cell) > MAX_CELL_CHARS:
            problems.append(_problem(name_, f"最多 {MAX_CELL_CHARS} 个字（现在 {len(cell)} 个）"))
            continue
        try:
            cells[name_] = parse(cell, "form")
        except CorpusError as exc:
            problems.extend({"field": name_, "message": zh_cell_problem(p)} for p in exc.problems)
    if problems:
        return None, problems
    return Product(id=pid, name=name, link=link, category=category, attributes=attributes,
                   size_chart=cells["size_chart"], skus=cells["skus"], aliases=aliases), []


# ---- the products module's problems in the editors' Chinese ---------------------------------------------------

def zh_cell_problem(problem: Problem) -> str:
    """A size chart or SKU cell's problem in Chinese, led by the column and entry it names (尺码表（S 身高）：…)."""
    label = zh_label(problem)
    return f"{label}：{zh_text(problem)}" if label else zh_text(problem)


def zh_file_problem(problem: Problem, path: Path, name: str) -> str:
    """A problem of an uploaded sheet in Chinese, placed by the name it was uploaded as (sheet and line), never by
    the server's path: "bad.csv 第 3 行：商品名列：是空的"."""
    place = place_of(problem.where, path)
    where = ""
    if place is not None:
        sheet, line = place
        where = name + (f"［{sheet}］" if sheet else "") + (f" 第 {line} 行" if line else "")
    label = zh_label(problem)
    words = f"{label}列：{zh_text(problem)}" if label else zh_text(problem)
    return f"{where}：{words}" if where else words


def _folded_duplicates(products: list[Product]) -> list[tuple[str, str]]:
    """Ids that differ only in case or width (the engine finds ids folded, so they would clash)."""
    seen: dict[str, str] = {}
    clashes = []
    for product in products:
        key = fold(product.id)
        if key in seen:
            clashes.append((seen[key], product.id))
        seen.setdefault(key, product.id)
    return clashes


# ---- importing --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do: the whole sheet is replaced, so products missing from it are removed."""

    name: str
    base: str  # the version of the sheet it was compared with
    count: int = 0
    added: list[dict] = field(default_factory=list)  # {"id", "name"}
    changed: list[dict] = field(default_factory=list)  # {"id", "name", "fields": [Chinese field names]}
    removed: list[dict] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # in Chinese, naming file, line and column

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)


_COMPARED = (("name", "商品名"), ("link", "链接"), ("category", "类目"), ("aliases", "别名"),
             ("attributes", "属性"), ("size_chart", "尺码表"), ("skus", "SKU"))


def _compare(current: ProductSheet, new: ProductSheet, name: str) -> ImportPreview:
    added, changed, removed, unchanged = [], [], [], 0
    for product in new:
        old = current.get(product.id)
        if old is None:
            added.append({"id": product.id, "name": product.name})
            continue
        before, after = comparable(product_dict(old)), comparable(product_dict(product))
        fields = [label for key, label in _COMPARED if before[key] != after[key]]
        if fields:
            changed.append({"id": product.id, "name": product.name, "fields": fields})
        else:
            unchanged += 1
    removed = [{"id": p.id, "name": p.name} for p in current if new.get(p.id) is None]
    return ImportPreview(name, sheet_version(current), len(new), added, changed, removed, unchanged)


# ---- the editor ---------------------------------------------------------------------------------------------

@dataclass
class ProductSheetEditor:
    service: "EditingService"

    @property
    def corpus_dir(self) -> Path:
        return self.service.engine.settings.corpus_dir

    @property
    def path(self) -> Path:
        """The home's sheet (products.xlsx wins, as when loading); products.csv for a home without one."""
        return products_path(self.corpus_dir) or self.corpus_dir / DEFAULT_FILE

    def landed(self, change: Change) -> bool:
        """Whether the sheet holds `change`'s after-state (for a change whose writer was killed mid-way)."""
        after = change.after["products"]
        sheet = read_products(self.path) if self.path.is_file() else ProductSheet()
        return all(comparable(product_dict(sheet.get(pid))) == comparable(data) for pid, data in after.items())

    def _on_disk(self) -> ProductSheet:
        """The sheet as the file holds it now; a file that does not load stops an edit (its problems named)."""
        if not self.path.is_file():
            return ProductSheet()
        try:
            return read_products(self.path)
        except CorpusError as exc:
            problems = [_problem("file", zh_file_problem(p, self.path, self.path.name)) for p in exc.problems[:10]]
            raise Invalid(problems, f"{self.path.name} 现在有误，请先修正文件或导入一份正确的商品表") from None

    def _current(self) -> ProductSheet:
        """The sheet a whole-file action starts from: the file, or what the engine loaded if the file is broken."""
        try:
            return self._on_disk()
        except Invalid:
            return self.service.engine.products

    # ---- reading ----

    def listing(self, query: str = "", category: str = "") -> dict:
        """The products the page lists (those matching `query` in id, name, alias, category or link, and in
        `category` if given), summarised; `form(id)` gives one's fields."""
        sheet = self.service.engine.products
        key = fold(query.strip())
        linked = {p.id for p in sheet.candidates(query)} if key else set()
        items = []
        for product in sheet:
            if category and product.category != category:
                continue
            words = fold(" ".join([product.id, product.name, product.category, product.link, *product.aliases]))
            if key and key not in words and product.id not in linked:
                continue
            items.append(self.summary(product))
        categories = list(dict.fromkeys(p.category for p in sheet if p.category))
        return {"total": len(sheet), "items": items, "categories": categories, "file": self.path.name,
                "exists": self.path.is_file()}

    def summary(self, product: Product) -> dict:
        out_of_stock = [s.label for s in product.skus if not s.in_stock]
        return {"id": product.id, "name": product.name, "category": product.category, "link": product.link,
                "aliases": list(product.aliases), "attributes": len(product.attributes),
                "sizes": list(product.sizes), "skus": len(product.skus), "out_of_stock": out_of_stock}

    def form(self, product_id: str) -> dict:
        product = self.service.engine.products.get(product_id)
        if product is None:
            raise Missing(f"商品表里没有商品ID为 {product_id} 的商品")
        return product_form(product)

    # ---- changing ----

    def save(self, form: dict, editor: str, version: str | None) -> Change | None:
        """Save one product (`form["original_id"]` empty for a new one, else the id it had when opened; the id
        may change). Invalid names each bad field; Conflict when someone saved it in between. None when the form
        changes nothing."""
        svc = self.service
        with svc._exclusive():
            svc.refresh_if_changed()
            sheet = self._on_disk()
            original_id = _text(form, "original_id")
            current = sheet.get(original_id) if original_id else None
            if original_id and current is None:
                raise Conflict(f"商品 {original_id} 在你打开之后被删除了：请刷新页面", theirs=None, yours=None)
            if current is not None and version != product_version(current):
                raise Conflict(f"商品“{current.name}”（{current.id}）在你打开之后被别人改过了：请刷新后再改",
                               theirs=product_dict(current), yours=None)
            product, problems = validate_form(form)
            if product is not None:
                other = next((p for p in sheet if p.id != original_id and fold(p.id) == fold(product.id)), None)
                if other is not None:
                    problems.append(_problem("id", f"{product.id} 已经是商品“{other.name}”的商品ID"))
            if problems or product is None:
                raise Invalid(problems, "商品资料有误，未保存")
            if current is not None and comparable(product_dict(current)) == comparable(product_dict(product)):
                return None
            products: dict[str, Product] = {}
            for pid, item in sheet.products.items():
                products[product.id if pid == original_id else pid] = product if pid == original_id else item
            products.setdefault(product.id, product)
            touched = list(dict.fromkeys(pid for pid in (original_id, product.id) if pid))
            before = {pid: product_dict(sheet.get(pid)) for pid in touched}
            after = {pid: product_dict(products.get(pid)) for pid in touched}
            if current is None:
                action, summary = "add_product", f"新增商品“{product.name}”（{product.id}）"
            elif original_id != product.id:
                action, summary = "edit_product", f"修改商品“{product.name}”（商品ID {original_id} → {product.id}）"
            else:
                action, summary = "edit_product", f"修改商品“{product.name}”（{product.id}）"
            return self._commit(editor, action, summary[:200], before, after, products)

    def delete(self, product_id: str, editor: str, version: str | None) -> Change:
        svc = self.service
        with svc._exclusive():
            svc.refresh_if_changed()
            sheet = self._on_disk()
            current = sheet.get(product_id)
            if current is None:
                raise Missing(f"商品表里没有商品ID为 {product_id} 的商品")
            if version != product_version(current):
                raise Conflict(f"商品“{current.name}”（{current.id}）在你打开之后被别人改过了：请刷新后再删除",
                               theirs=product_dict(current), yours=None)
            products = {pid: p for pid, p in sheet.products.items() if pid != product_id}
            return self._commit(editor, "delete_product", f"删除商品“{current.name}”（{current.id}）"[:200],
                                {product_id: product_dict(current)}, {product_id: None}, products)

    def preview_import(self, path: Path, name: str) -> ImportPreview:
        """What importing `path` (uploaded as `name`) would change; nothing is written."""
        return self._read_import(path, name)[0]

    def _read_import(self, path: Path, name: str) -> tuple[ImportPreview, ProductSheet | None]:
        current = self._current()
        try:
            new = read_products(Path(path))
        except CorpusError as exc:
            errors = [zh_file_problem(p, Path(path), name) for p in exc.problems]
            return ImportPreview(name, sheet_version(current), errors=errors), None
        clashes = _folded_duplicates(list(new))
        if clashes:
            errors = [f"{name}：商品ID {a} 和 {b} 只差大小写或全角半角，会被当成同一个商品" for a, b in clashes]
            return ImportPreview(name, sheet_version(current), errors=errors), None
        return _compare(current, new, name), new

    def import_file(self, path: Path, name: str, editor: str, base: str | None) -> tuple[ImportPreview, Change]:
        """Replace the whole sheet with the file's, all or nothing. `base` is the preview's `base`: if the sheet
        changed since the editor saw the preview, Conflict (preview again)."""
        svc = self.service
        with svc._exclusive():
            svc.refresh_if_changed()
            preview, new = self._read_import(path, name)
            if new is None:
                raise Invalid([_problem("file", e) for e in preview.errors[:20]], "文件有误，没有导入")
            if base is not None and preview.base != base:
                raise Conflict("商品表在你预览之后被修改过：请重新选择文件预览后再导入", theirs=None, yours=None)
            if not preview.has_changes:
                raise Invalid([_problem("file", "和现在的商品表完全相同，没有需要导入的改动")], "没有改动")
            current = self._current()
            touched = [p["id"] for p in preview.added + preview.changed + preview.removed]
            before = {pid: product_dict(current.get(pid)) for pid in touched}
            after = {pid: product_dict(new.get(pid)) for pid in touched}
            summary = (f"导入 {name}：新增 {len(preview.added)} 个，修改 {len(preview.changed)} 个，"
                       f"删除 {len(preview.removed)} 个商品")
            change = self._commit(editor, "import_products", summary[:200], before, after, dict(new.products))
            return preview, change

    def export(self, path: Path) -> int:
        """The sheet as .xlsx or .csv at `path` (the loaded one if the file on disk is broken)."""
        return write_products(self._current(), Path(path))

    def revert(self, original: Change, editor: str, force: bool) -> Change:
        """Restore the products `original` touched (called by `EditingService.revert`, which holds the lock)."""
        sheet = self._on_disk()
        before, after = original.before["products"], original.after.get("products", {})
        ids = list(dict.fromkeys([*before, *after]))
        now = {pid: product_dict(sheet.get(pid)) for pid in ids}
        if all(comparable(now[pid]) == comparable(before.get(pid)) for pid in ids):
            raise Invalid([_problem("change", "当前内容已经和这次更改之前一致，无需撤销")], "无需撤销")
        drifted = [{"kind": "products", "id": pid, "current": now[pid], "expected": after.get(pid)}
                   for pid in ids if comparable(now[pid]) != comparable(after.get(pid))]
        if drifted and not force:
            names = "、".join(d["id"] for d in drifted[:10])
            raise Conflict(f"商品 {names} 在这次更改之后又被修改过；撤销会覆盖那些修改", theirs=None, yours=None,
                           extra={"drifted": drifted, "change": original.id})
        products = _restored(sheet, {pid: before.get(pid) for pid in ids})
        clashes = _folded_duplicates(list(products.values()))
        if clashes:
            raise Invalid([_problem("id", f"{a} 和 {b} 只差大小写或全角半角") for a, b in clashes], "无法撤销")
        summary = f"撤销 #{original.id}（{original.action_name}）：{original.summary}"
        restored = {pid: product_dict(products.get(pid)) for pid in ids}
        return self._commit(editor, "revert", summary[:200], now, restored, products, reverts=original.id)

    def _commit(self, editor: str, action: str, summary: str, before: dict, after: dict,
                products: dict[str, Product], reverts: int | None = None) -> Change:
        svc = self.service
        path = self.path
        templates = load_templates(self.corpus_dir)  # before writing: a broken template file stops the change
        sheet = ProductSheet(products, source=str(path))
        with svc.history.recording(editor, action, path.name, summary, products_state(before),
                                   products_state(after), reverts) as change:
            write_products(sheet, path)
            try:  # the engine holds what the file holds (columns in the sheet's order), as other workers load it
                sheet = read_products(path)
            except CorpusError as exc:  # pragma: no cover - a sheet just written always reads back
                log.warning("%s does not read back after writing it: %s", path, exc.message)
            svc.engine.set_products(sheet, templates)
        svc._known_stamp = svc._stamp()
        return change


def _restored(sheet: ProductSheet, wanted: dict[str, dict | None]) -> dict[str, Product]:
    """The sheet with the products in `wanted` set back (None: removed). A product coming back takes the place of
    one the change had added (so a renamed id returns where it was); others go to the end."""
    back = [pid for pid, data in wanted.items() if data is not None and sheet.get(pid) is None]
    products: dict[str, Product] = {}
    for pid, product in sheet.products.items():
        if pid not in wanted:
            products[pid] = product
        elif wanted[pid] is not None:
            products[pid] = product_from_dict(wanted[pid])
        elif back:
            returning = back.pop(0)
            products[returning] = product_from_dict(wanted[returning])
    for pid in back:
        products[pid] = product_from_dict(wanted[pid])
    return products

"""/editor/products (商品): the product sheet as a list of forms, one per product, plus adding, deleting, importing
a whole file (upload → preview → confirm) and exporting it. Plain form posts, like the shop's page: they work
without scripts, and a refused save shows the product again with what was typed and the problems in Chinese.
The rules live in suggest.authoring.product_sheet; this module only reads the form and picks the page."""

from __future__ import annotations

import io
import json
import secrets
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from flask import current_app, g, redirect, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from suggest.authoring.product_sheet import ImportPreview, product_form
from suggest.authoring.refusals import Conflict, Invalid, Missing

from ..errors import status_of
from .blueprint import bp, page, service, size_label, too_large, view_name
from .transfer import imports_dir

PAGE_SIZE = 50  # products per page: each carries its whole form
NEW_ATTRIBUTE_ROWS = 3  # empty attribute rows offered under a product's own
PREVIEW_ROWS = 200  # products listed per kind in an import preview (the counts are always whole)
IMPORT_SUFFIXES = (".xlsx", ".csv")
EXPORTS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
UPLOAD_VIEWS = {"products_import"}  # in either registration of the blueprint (editor., shop_editor.)


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    """An upload may be larger than the app's request limit (64 KB by default). Flask runs URL value
    preprocessors before any before_request function, so the limit is raised before the blueprint's guard
    reads the form for its CSRF token."""
    if (endpoint or "").rpartition(".")[2] in UPLOAD_VIEWS:
        request.max_content_length = int(current_app.config["EDITOR_MAX_UPLOAD_BYTES"])


@bp.errorhandler(413)
def _too_large(exc: HTTPException):
    if view_name() not in UPLOAD_VIEWS:
        return too_large(exc)
    return _render(status=413, errors=[{"field": "file", "message": f"文件太大：最大 {_max_upload()}"}],
                   refused="没有导入")


def _max_upload() -> str:
    return size_label(int(current_app.config["EDITOR_MAX_UPLOAD_BYTES"]))


def _posted() -> dict:
    """The product form the page posted, in the shape `product_form()` gives, so it can be shown again."""
    form = request.form
    attributes = [{"name": n, "value": v} for n, v in zip(form.getlist("attr_name"), form.getlist("attr_value"))
                  if n.strip() or v.strip()]
    return {**{key: form.get(key, "") for key in ("original_id", "version", "id", "name", "link", "category",
                                                    "aliases", "size_chart", "skus")}, "attributes": attributes}


def _with_blank_rows(form: dict) -> dict:
    return {**form, "attributes": form["attributes"] + [{"name": "", "value": ""}] * NEW_ATTRIBUTE_ROWS}


def _notice() -> str | None:
    args = request.args
    if args.get("saved"):
        return f"已保存商品 {args['saved']}：买家再问，回答就用新的资料。"
    if args.get("added"):
        return f"已新增商品 {args['added']}。"
    if args.get("deleted"):
        return f"已删除商品 {args['deleted']}（可在“历史”里撤销）。"
    if args.get("imported"):
        return f"已导入商品表（第 {args['imported']} 号修改，可在“历史”里撤销）。"
    if args.get("same"):
        return "没有改动，无需保存。"
    return None


def _render(status: int = 200, errors: list[dict] | None = None, failed: dict | None = None,
            preview: ImportPreview | None = None, token: str | None = None, refused: str = "没有保存"):
    """The page. `failed` ({"key": original id or "" for a new product, "form": what was typed}) shows only that
    product's form, open, with `errors` beside its fields."""
    svc = service().products
    query = (request.args.get("q") or "").strip()
    category = (request.args.get("category") or "").strip()
    listing = svc.listing(query, category)
    items = listing["items"]
    number = max(1, request.args.get("page", default=1, type=int) or 1)
    pages = max(1, -(-len(items) // PAGE_SIZE))
    number = min(number, pages)
    if failed is not None:
        items = [i for i in items if i["id"] == failed["key"]] if failed["key"] else []
        if failed["key"] and not items:  # deleted meanwhile: still show what was typed
            form = failed["form"]
            items = [{"id": failed["key"], "name": form["name"], "category": form["category"],
                      "attributes": len(form["attributes"]), "sizes": [], "skus": 0, "out_of_stock": []}]
        pages, number = 1, 1
    shown = items[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    for item in shown:
        typed = failed is not None and failed["key"] == item["id"]
        item["form"] = _with_blank_rows(failed["form"] if typed else svc.form(item["id"]))
    new_form = _with_blank_rows(failed["form"] if failed and not failed["key"] else product_form(None))
    errors = errors or []
    return page("editor_products.html", status, active="products", listing=listing, items=shown, query=query,
                category=category, page_number=number, pages=pages, page_size=PAGE_SIZE, failed=failed,
                new_form=new_form, errors=errors, by_field={e["field"]: e["message"] for e in errors},
                notice=None if errors else _notice(), preview=preview, token=token, preview_rows=PREVIEW_ROWS,
                max_upload=_max_upload(), refused=refused)


@bp.get("/products")
def products_page():
    return _render()


@bp.post("/products/save")
def products_save():
    posted = _posted()
    key = posted["original_id"].strip()
    try:
        change = service().products.save(posted, g.editor, posted["version"] or None)
    except Invalid as exc:
        return _render(422, exc.problems, {"key": key, "form": posted})
    except Conflict as exc:
        message = {"field": "", "message": exc.message + "。下面是你填写的内容，刷新页面会看到最新内容。"}
        return _render(409, [message], {"key": key, "form": posted})
    if change is None:
        return redirect(url_for(".products_page", same=1))
    done = "saved" if key else "added"
    pid = posted["id"].strip()
    return redirect(url_for(".products_page", q=pid, **{done: pid}) + f"#product-{pid}")


@bp.post("/products/delete")
def products_delete():
    pid = (request.form.get("id") or "").strip()
    if request.form.get("confirm") != "1":
        return _render(422, [{"field": "confirm", "message": f"删除商品 {pid} 前请勾选“确认删除”"}], refused="没有删除")
    try:
        service().products.delete(pid, g.editor, request.form.get("version"))
    except (Conflict, Missing) as exc:
        return _render(status_of(exc.code), [{"field": "", "message": exc.message}], refused="没有删除")
    return redirect(url_for(".products_page", deleted=pid))


# ---- import and export ------------------------------------------------------------------------------------------

def _stash_dir() -> Path:
    return imports_dir()  # the corpus import's folder: files older than a day are cleared there


def _stashed(token: str) -> tuple[Path, Path, dict]:
    """The uploaded sheet behind a preview token: (its path, its metadata's path, the metadata)."""
    if len(token) != 32 or not all(c in "0123456789abcdef" for c in token):
        raise Invalid([{"field": "file", "message": "导入令牌无效：请重新选择文件预览"}], "没有导入")
    meta_path = _stash_dir() / f"products-{token}.json"
    if not meta_path.is_file():
        raise Invalid([{"field": "file", "message": "预览已过期：请重新选择文件"}], "没有导入")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("editor") != g.editor:
        raise Invalid([{"field": "file", "message": "这个预览属于另一位编辑：请自己选择文件预览"}], "没有导入")
    return meta_path.with_name(f"products-{token}{meta['suffix']}"), meta_path, meta


@bp.post("/products/import")
def products_import():
    """Step one: the uploaded file is kept under a token and compared with the sheet; nothing is written."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render(422, [{"field": "file", "message": "请选择要导入的商品表（.xlsx 或 .csv）"}], refused="没有导入")
    display = Path(upload.filename).name
    suffix = Path(display).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        return _render(422, [{"field": "file", "message": f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .xlsx 或 .csv"}],
                       refused="没有导入")
    token = secrets.token_hex(16)
    path = _stash_dir() / f"products-{token}{suffix}"
    upload.save(path)
    preview = service().products.preview_import(path, display)
    if not preview.ok or not preview.has_changes:
        path.unlink(missing_ok=True)
        return _render(422 if not preview.ok else 200, preview=preview)
    meta = {"editor": g.editor, "name": display, "suffix": suffix, "base": preview.base}
    path.with_name(f"products-{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return _render(preview=preview, token=token)


@bp.post("/products/import/commit")
def products_import_commit():
    """Step two: the previewed file replaces the sheet, unless the sheet changed since the preview."""
    try:
        path, meta_path, meta = _stashed(request.form.get("token") or "")
        _, change = service().products.import_file(path, meta["name"], g.editor, meta["base"])
    except (Invalid, Conflict) as exc:
        problems = exc.problems if isinstance(exc, Invalid) else [{"field": "file", "message": exc.message}]
        return _render(status_of(exc.code), problems, refused="没有导入")
    path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    return redirect(url_for(".products_page", imported=change.id))


@bp.get("/products/export/<kind>")
def products_export(kind: str):
    if kind not in EXPORTS:
        return page("editor_notice.html", status=404, title="没有这种导出格式", message="商品表可以导出为 .xlsx 或 .csv")
    folder = Path(tempfile.mkdtemp(prefix="huashu-products-"))
    try:
        path = folder / f"products.{kind}"
        service().products.export(path)
        data = path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    name = f"商品表-{datetime.now().strftime('%Y%m%d')}.{kind}"
    response = send_file(io.BytesIO(data), mimetype=EXPORTS[kind], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response

"""The editor blueprint: pages (/editor/...) and their JSON endpoints (/editor/api/...), and what every view of it
uses (the editing service, the page with its headers, the JSON body).

The blueprint is registered twice: at /editor for the default shop, and at /shops/<shop>/editor for each shop
(`mirror`; the shop goes to `g.shop` as for the API's shop routes). A view never names its shop: `service()`,
`served()` and `settings()` answer for the shop of the request, and links are built relative to the blueprint
(`url_for(".x")`, the shop filled in).

Every route but the login page needs a logged-in editor; every state-changing request needs the CSRF token.
Pages are rendered with autoescaping and filled in by webapp/static/editor.js with textContent only, so a
reply containing markup is always shown as text. Refusals are answered by webapp/errors.py like the public API's
(in the same JSON shape, JSON 404 and 405 included); only what is the editors' own is handled here: a corpus
problem worded in Chinese, and a page asked for while the engine loads.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from suggest.authoring.editing import EditingService
from suggest.authoring.wording import zh_problem
from suggest.corpus import compliance
from suggest.errors import CorpusError
from suggest.settings import Settings
from suggest.shops.homes import shop_names, shop_settings
from suggest.shops.registry import Served
from suggest.storage.database import database_for

from ..contract.document import SHOP_PREFIX
from ..errors import ApiError, api_error_response, error_response
from . import auth

log = logging.getLogger(__name__)

bp = Blueprint("editor", __name__, url_prefix="/editor", template_folder="templates")

# Like the agents' page, but forms may post to this site (login, logout).
EDITOR_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SHOP_EDITOR = "/shops/<shop>/editor"
EDITOR_BLUEPRINTS = {bp.name, SHOP_PREFIX + bp.name}
PUBLIC_VIEWS = {"login"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_create_lock = threading.Lock()


# ---- helpers -------------------------------------------------------------------------------------------------

def mirror(app: Flask) -> None:
    """The editor once more under SHOP_EDITOR, for every shop's editors (and team leads)."""
    app.register_blueprint(bp, url_prefix=SHOP_EDITOR, name=SHOP_PREFIX + bp.name)


def view_name() -> str:
    """The view of this request without its blueprint ("login" for editor.login and shop_editor.login)."""
    return (request.endpoint or "").rpartition(".")[2]


def editor_base() -> str:
    """This shop's editor root: /editor, or /shops/<shop>/editor."""
    return url_for(".replies_page").rstrip("/")


def is_api() -> bool:
    return request.path.startswith(editor_base() + "/api/")


def settings() -> Settings:
    """The settings of the shop this request edits (its home, its var/)."""
    server = current_app.extensions["settings"]
    shop = g.get("shop")
    return server if shop is None else shop_settings(server, shop)


def served() -> Served:
    """The engine and stores of the shop this request edits (503 while the model loads, 404 for no such shop)."""
    from ..views import served as served_now

    if current_app.extensions.get("engine") is None:  # said to editors in their language
        raise ApiError("not_ready", "模型和索引还在加载，请稍候刷新")
    return served_now()


def service() -> EditingService:
    """The editing service over the engine of the shop this request edits (created on first use; anew when that
    engine was loaded again)."""
    engine = served().engine
    app = current_app
    key = g.get("shop")
    found = _kept_service(key)
    if found is not None and found.engine is engine:
        return found
    with _create_lock:
        found = _kept_service(key)
        if found is None or found.engine is not engine:
            rules_path = app.config.get("EDITOR_COMPLIANCE_RULES")
            rules = compliance.load_rules(Path(rules_path)) if rules_path else None
            home = settings()
            found = EditingService(engine, database_for(home, "history"),
                                   duplicate_threshold=float(app.config["EDITOR_DUPLICATE_THRESHOLD"]),
                                   rules=rules, lock_path=home.data_dir / "editing.lock",
                                   verify_on_first_refresh=True)
            if key is None:
                app.extensions["editing"] = found
            else:
                app.extensions.setdefault("shop_editing", {})[key] = found
    return found


def _kept_service(shop: str | None) -> EditingService | None:
    """The editing service this worker made for `shop` (None: the default shop), if any."""
    extensions = current_app.extensions
    return extensions.get("editing") if shop is None else extensions.get("shop_editing", {}).get(shop)


def shop_menu() -> list[dict]:
    """For a team lead (an editor of the server's editors.toml): every shop's editor, the default shop first.
    Empty for a shop's own editors, and on a server without shops."""
    names = shop_names(current_app.extensions["settings"])
    if not names or not auth.is_lead(g.get("editor")):
        return []
    return [{"name": None, "url": url_for("editor.replies_page")},
            *({"name": name, "url": url_for(SHOP_PREFIX + "editor.replies_page", shop=name)} for name in names)]


def page(template: str, status: int = 200, **context):
    context.setdefault("editor", g.get("editor"))
    context.setdefault("csrf", auth.csrf_token())
    context.setdefault("editor_base", editor_base())
    context.setdefault("shop", g.get("shop"))
    context.setdefault("shop_menu", shop_menu() if g.get("editor") else [])
    editing = _kept_service(g.get("shop"))  # files on disk that do not load, shown on every page
    context.setdefault("disk_problems", [zh_problem(p) for p in editing.disk_problems] if editing else [])
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError("invalid_body", "请求内容必须是 JSON 对象")
    return data


# ---- guards --------------------------------------------------------------------------------------------------

@bp.before_app_request
def _sync_corpus():
    """Before every request of the app: if another process (gunicorn worker, CLI import) changed the corpus
    files, reload them into this process's engine. One stat() when nothing changed."""
    app = current_app
    if not app.config.get("EDITOR_SYNC_CORPUS", True) or app.extensions.get("engine") is None:
        return None
    if g.get("shop") is not None:  # a shop's engine is loaded again when its files change (ShopRegistry)
        return None
    try:
        service().refresh_if_changed(wait=False)
    except Exception:  # never break the agents' requests over it
        log.exception("could not check the corpus files for changes")
    return None


@bp.after_request
def _keep_shop_engine(response):
    """A shop's save changed the files and, through the service, the engine serving them: keep serving that engine
    (the registry would otherwise load the shop again for its next request)."""
    shop = g.get("shop")
    if shop is not None and request.method not in SAFE_METHODS and response.status_code < 400:
        editing = _kept_service(shop)
        registry = current_app.extensions.get("shops")
        if editing is not None and registry is not None:
            registry.keep(shop, editing.engine)
    return response


@bp.before_request
def _guard():
    if view_name() == "api_import_preview":  # before anything reads the body
        request.max_content_length = int(current_app.config["EDITOR_MAX_UPLOAD_BYTES"])
    if g.get("shop") is not None:
        settings()  # 404 for a shop there is not, before anything else
    g.editor = auth.current_editor()
    if view_name() in PUBLIC_VIEWS:
        return None
    if g.editor is None:
        if is_api() or request.method not in SAFE_METHODS:
            return error_response("unauthorized", "请先登录编辑台")
        return redirect(url_for(".login", next=request.full_path if request.query_string else request.path))
    if request.method not in SAFE_METHODS:
        if not auth.same_origin():
            return error_response("cross_origin", "拒绝来自其他网站的请求")
        if not auth.csrf_ok():
            return error_response("csrf", "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试")
    return None


@bp.errorhandler(ApiError)
def _refused(exc: ApiError):
    """A page asked for while the engine loads says so as a page; everything else is the usual JSON answer."""
    if exc.status == 503 and not is_api():
        return page("editor_notice.html", status=503, title="请稍候", message=exc.message)
    return api_error_response(exc)


@bp.errorhandler(CorpusError)
def _corpus_error(exc: CorpusError):
    return error_response("invalid", "内容有误，未保存",
                          problems=[{"field": "corpus", "message": zh_problem(p)} for p in exc.problems])


def size_label(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def too_large(exc: HTTPException):
    """413 on the editors' JSON API names the limit that applied: an import's upload limit, or the app's body limit
    elsewhere (products.py's 413 handler calls this for every endpoint but its own form upload, which gets its
    page back)."""
    if not is_api():
        return exc
    limit = request.max_content_length or int(current_app.config["EDITOR_MAX_UPLOAD_BYTES"])
    return error_response("payload_too_large", f"文件太大：最大 {size_label(limit)}")

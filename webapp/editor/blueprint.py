"""The editor blueprint: pages (/editor/...) and their JSON endpoints (/editor/api/...), and what every view of it
uses (the editing service, the page with its headers, the JSON body).

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

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from suggest.authoring.editing import EditingService
from suggest.authoring.wording import zh_problem
from suggest.corpus import compliance
from suggest.errors import CorpusError
from suggest.storage.database import database_for

from ..errors import ApiError, api_error_response, error_response
from . import auth

log = logging.getLogger(__name__)

bp = Blueprint("editor", __name__, url_prefix="/editor", template_folder="templates")

# Like the agents' page, but forms may post to this site (login, logout).
EDITOR_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PUBLIC_ENDPOINTS = {"editor.login"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_create_lock = threading.Lock()


# ---- helpers -------------------------------------------------------------------------------------------------

def is_api() -> bool:
    return request.path.startswith("/editor/api/")


def service() -> EditingService:
    """This app's editing service over the loaded engine (created on first use)."""
    app = current_app._get_current_object()
    engine = app.extensions.get("engine")
    if engine is None:
        raise ApiError("not_ready", "模型和索引还在加载，请稍候刷新")
    found = app.extensions.get("editing")
    if found is not None and found.engine is engine:
        return found
    with _create_lock:
        found = app.extensions.get("editing")
        if found is None or found.engine is not engine:
            rules_path = app.config.get("EDITOR_COMPLIANCE_RULES")
            rules = compliance.load_rules(Path(rules_path)) if rules_path else None
            settings = app.extensions["settings"]
            found = EditingService(engine, database_for(settings, "history"),
                                   duplicate_threshold=float(app.config["EDITOR_DUPLICATE_THRESHOLD"]),
                                   rules=rules, lock_path=settings.data_dir / "editing.lock",
                                   verify_on_first_refresh=True)
            app.extensions["editing"] = found
    return found


def page(template: str, status: int = 200, **context):
    context.setdefault("editor", g.get("editor"))
    context.setdefault("csrf", auth.csrf_token())
    editing = current_app.extensions.get("editing")  # files on disk that do not load, shown on every page
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
    try:
        service().refresh_if_changed(wait=False)
    except Exception:  # never break the agents' requests over it
        log.exception("could not check the corpus files for changes")
    return None


@bp.before_request
def _guard():
    if request.endpoint == "editor.api_import_preview":  # before anything reads the body
        request.max_content_length = int(current_app.config["EDITOR_MAX_UPLOAD_BYTES"])
    g.editor = auth.current_editor()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.editor is None:
        if is_api() or request.method not in SAFE_METHODS:
            return error_response("unauthorized", "请先登录编辑台")
        return redirect(url_for("editor.login", next=request.full_path if request.query_string else request.path))
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

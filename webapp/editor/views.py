"""The editor blueprint: pages (/editor/...) and their JSON endpoints (/editor/api/...).

Every route but the login page needs a logged-in editor; every state-changing request needs the CSRF token.
Pages are rendered with autoescaping and filled in by webapp/static/editor.js with textContent only, so a
reply containing markup is always shown as text.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from suggest.corpus import compliance
from suggest.corpus.files import MAX_EXAMPLE_CHARS, MAX_REPLY_CHARS
from suggest.authoring.editing import EditingService
from suggest.authoring.refusals import EditError, Invalid
from suggest.authoring.wording import zh_problem
from suggest.errors import ConfigError, CorpusError, InputError
from suggest.authoring.history import ACTIONS
from suggest.corpus.profile import KNOWN_PLACEHOLDERS, PER_CONVERSATION
from suggest.records import STAGE_NAMES, STAGES

from . import auth

log = logging.getLogger(__name__)

bp = Blueprint("editor", __name__, url_prefix="/editor", template_folder="templates")

# Like the agents' page, but forms may post to this site (login, logout).
EDITOR_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PUBLIC_ENDPOINTS = {"editor.login"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
IMPORT_SUFFIXES = (".jsonl", ".csv", ".xlsx")
EXPORTS = {
    "jsonl": ("huashu-corpus-{date}.jsonl", "application/x-ndjson"),
    "csv": ("huashu-corpus-{date}.csv", "text/csv"),
    "xlsx": ("huashu-corpus-{date}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "qianniu.xlsx": ("千牛快捷短语-{date}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "qianniu.csv": ("千牛快捷短语-{date}.csv", "text/csv"),
}
_create_lock = threading.Lock()


# ---- helpers -------------------------------------------------------------------------------------------------

def _is_api() -> bool:
    return request.path.startswith("/editor/api/")


def api_error(status: int, code: str, message: str, field: str | None = None, **extra):
    response = jsonify({"error": {"code": code, "message": message, "field": field}, **extra})
    response.status_code = status
    return response


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def service() -> EditingService:
    """This app's editing service over the loaded engine (created on first use)."""
    app = current_app._get_current_object()
    engine = app.extensions.get("engine")
    if engine is None:
        raise _Refused(503, "not_ready", "模型和索引还在加载，请稍候刷新")
    found = app.extensions.get("editing")
    if found is not None and found.engine is engine:
        return found
    with _create_lock:
        found = app.extensions.get("editing")
        if found is None or found.engine is not engine:
            rules_path = app.config.get("EDITOR_COMPLIANCE_RULES")
            rules = compliance.load_rules(Path(rules_path)) if rules_path else None
            found = EditingService(engine, Path(app.config["EDITOR_HISTORY_DB"]),
                                   duplicate_threshold=float(app.config["EDITOR_DUPLICATE_THRESHOLD"]),
                                   rules=rules, lock_path=Path(app.config["EDITOR_HISTORY_DB"]).with_name("editing.lock"),
                                   verify_on_first_refresh=True)
            app.extensions["editing"] = found
    return found


def page(template: str, status: int = 200, **context):
    context.setdefault("editor", g.get("editor"))
    context.setdefault("csrf", auth.csrf_token())
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _Refused(400, "invalid_body", "请求内容必须是 JSON 对象")
    return data


def _when(iso: str) -> str:
    """UTC ISO time as local-looking 'YYYY-MM-DD HH:MM' (UTC+8, the shops' time zone)."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return iso or ""
    from datetime import timedelta

    return (moment.astimezone(timezone(timedelta(hours=8)))).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("editor_time")
def _editor_time(value: str) -> str:
    return _when(value)


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
        if _is_api() or request.method not in SAFE_METHODS:
            return api_error(401, "unauthorized", "请先登录编辑台")
        return redirect(url_for("editor.login", next=request.full_path if request.query_string else request.path))
    if request.method not in SAFE_METHODS:
        if not auth.same_origin():
            return api_error(403, "cross_origin", "拒绝来自其他网站的请求")
        if not auth.csrf_ok():
            return api_error(400, "csrf", "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试")
    return None


@bp.errorhandler(_Refused)
def _refused(exc: _Refused):
    if _is_api() or exc.status != 503:
        return api_error(exc.status, exc.code, exc.message)
    return page("editor_notice.html", status=503, title="请稍候", message=exc.message)


@bp.errorhandler(EditError)
def _edit_error(exc: EditError):
    message = getattr(exc, "short", None) if isinstance(exc, Invalid) else None
    return api_error(exc.status, exc.code, message or exc.message, None, **exc.details())


@bp.errorhandler(CorpusError)
def _corpus_error(exc: CorpusError):
    return api_error(422, "invalid", "内容有误，未保存", None,
                     problems=[{"field": "corpus", "message": zh_problem(p)} for p in exc.problems])


@bp.errorhandler(InputError)
def _input_error(exc: InputError):
    return api_error(422, exc.code, exc.message, exc.field)


@bp.errorhandler(ConfigError)
def _config_error(exc: ConfigError):
    return api_error(500, exc.code, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if not _is_api():
        return exc
    if exc.code == 413:
        limit = current_app.config["EDITOR_MAX_UPLOAD_BYTES"] // (1024 * 1024)
        return api_error(413, "payload_too_large", f"文件太大：最大 {limit} MB")
    return api_error(exc.code or 500, "http_error", exc.description or exc.name)


# ---- login ---------------------------------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    if target and target.startswith("/editor") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("editor.replies_page")


ADDRESS_FACTOR = 4  # failed logins allowed from one address, in multiples of the per-account limit


@bp.route("/login", methods=["GET", "POST"])
def login():
    configured = bool(auth.accounts().editors())
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.editor:
            return redirect(next_url)
        return page("editor_login.html", configured=configured, next_url=next_url, error=None, name="")
    name = (request.form.get("name") or "").strip()
    if not auth.same_origin() or not auth.csrf_ok():
        return page("editor_login.html", status=400, configured=configured, next_url=next_url, name=name,
                    error="页面已过期（安全令牌无效），请重新输入后登录")
    limit = int(current_app.config["EDITOR_LOGIN_ATTEMPTS"])
    # Per account from this address, and (more loosely) per address: an attack from one place slows that place,
    # while the account's owner logs in from anywhere else.
    limits = {f"account:{name}|{request.remote_addr}": limit, f"addr:{request.remote_addr}": limit * ADDRESS_FACTOR}
    wait = auth.logins().attempt(limits, auth.LOCKOUT_SECONDS)
    if wait:
        return page("editor_login.html", status=429, configured=configured, next_url=next_url, name=name,
                    error=f"登录失败次数过多，请 {max(1, wait // 60)} 分钟后再试")
    if not auth.accounts().verify(name, request.form.get("password") or ""):
        return page("editor_login.html", status=401, configured=configured, next_url=next_url, name=name,
                    error="用户名或密码不对")
    auth.logins().succeeded(list(limits))
    auth.log_in(name)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    auth.log_out()
    return redirect(url_for("editor.login"))


# ---- pages ---------------------------------------------------------------------------------------------------

def _page_context() -> dict:
    engine = service().engine
    placeholders = list(dict.fromkeys([*KNOWN_PLACEHOLDERS, *sorted(engine.profile.names())]))
    return {"stage_names": STAGE_NAMES, "stages": STAGES, "placeholders": placeholders,
            "profile": engine.profile.values(), "max_reply": MAX_REPLY_CHARS, "max_example": MAX_EXAMPLE_CHARS,
            "max_message": engine.settings.max_message_chars}


@bp.get("/")
def replies_page():
    return page("editor_replies.html", active="replies", **_page_context())


@bp.get("/situations")
def situations_page():
    return page("editor_situations.html", active="situations", **_page_context())


def _diff(change) -> list[dict]:
    """Per touched item: what it was and what it became, field by field (only fields that differ)."""
    rows = []
    labels = {"text": "内容", "examples": "例句", "tags": "标签", "shortcut": "快捷编码", "situation": "场景",
              "stage": "阶段", "retired": "停用", "name": "名称", "description": "说明"}
    for kind in ("situations", "replies"):
        for item_id in sorted(set(change.before.get(kind, {})) | set(change.after.get(kind, {}))):
            before = change.before.get(kind, {}).get(item_id)
            after = change.after.get(kind, {}).get(item_id)
            fields = []
            for key, label in labels.items():
                old = (before or {}).get(key)
                new = (after or {}).get(key)
                if before is not None and after is not None and old == new:
                    continue
                if old in (None, "", [], False) and new in (None, "", [], False):
                    continue
                fields.append({"label": label, "before": _show(key, old) if before else None,
                               "after": _show(key, new) if after else None})
            rows.append({"kind": "场景" if kind == "situations" else "话术", "id": item_id,
                         "state": "新建" if before is None else "删除" if after is None else "修改", "fields": fields})
    product_labels = {"name": "商品名", "link": "链接", "category": "类目", "aliases": "别名", "attributes": "属性",
                      "size_chart": "尺码表", "skus": "SKU"}
    for item_id in sorted(set(change.before.get("products", {})) | set(change.after.get("products", {}))):
        before = change.before["products"].get(item_id) if "products" in change.before else None
        after = change.after.get("products", {}).get(item_id)
        fields = [{"label": label, "before": _product_value((before or {}).get(key)) if before else None,
                   "after": _product_value((after or {}).get(key)) if after else None}
                  for key, label in product_labels.items()
                  if not (before and after and before.get(key) == after.get(key))
                  and ((before or {}).get(key) or (after or {}).get(key))]
        rows.append({"kind": "商品", "id": item_id,
                     "state": "新建" if before is None else "删除" if after is None else "修改", "fields": fields})
    if "shop" in change.before:  # the shop's facts: the file's lines that changed
        old = (change.before.get("shop") or "").splitlines()
        new = (change.after.get("shop") or "").splitlines()
        fields = [{"label": "店铺信息", "before": "\n".join(line for line in old if line not in new) or None,
                   "after": "\n".join(line for line in new if line not in old) or None}]
        rows.append({"kind": "店铺信息", "id": "shop.yaml", "state": "修改", "fields": fields})
    return rows


def _product_value(value) -> str:
    """A product field of a history state as text: attributes are [name, value] pairs, aliases a list."""
    if isinstance(value, list):
        return "\n".join(f"{k}：{v}" for k, v in value) if value and isinstance(value[0], list) else "、".join(value)
    return str(value or "")


def _show(key: str, value) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) if key == "examples" else "、".join(str(v) for v in value)
    if key == "stage":
        return STAGE_NAMES.get(value, value or "")
    if key == "retired":
        return "是" if value else "否"
    return "" if value is None else str(value)


@bp.get("/history")
def history_page():
    svc = service()
    before = request.args.get("before", type=int)
    target = (request.args.get("target") or "").strip() or None
    limit = 50
    changes = svc.history.list(limit=limit + 1, before_id=before, target=target)
    more = len(changes) > limit
    changes = changes[:limit]
    reverted: dict[int, list[int]] = {}
    for change in changes:
        if change.reverts:
            reverted.setdefault(change.reverts, []).append(change.id)
    items = [{"change": c, "diff": _diff(c), "reverted_by": reverted.get(c.id, [])} for c in changes]
    return page("editor_history.html", active="history", items=items, target=target, actions=ACTIONS,
                next_before=changes[-1].id if more and changes else None)


@bp.get("/import")
def import_page():
    svc = service()
    from suggest.corpus.spreadsheet import qianniu_rows

    export = qianniu_rows(svc.corpus, svc.engine.profile.values())
    # Shop-wide placeholders without a value belong in shop.yaml; the per-buyer ones ({买家昵称}, {订单号},
    # {物流单号}) never do: the chat tool or the agent fills them in each conversation.
    unfilled, per_buyer = [], []
    for rid, names in export.unfilled.items():
        shop = [n for n in names if n not in PER_CONVERSATION]
        buyer = [n for n in names if n in PER_CONVERSATION]
        if shop:
            unfilled.append({"id": rid, "names": shop, "text": svc.corpus.replies[rid].text})
        if buyer:
            per_buyer.append({"id": rid, "names": buyer, "text": svc.corpus.replies[rid].text})
    return page("editor_import.html", active="import", qianniu_count=export.count, unfilled=unfilled,
                per_buyer=per_buyer, per_conversation=PER_CONVERSATION, skipped=export.skipped_retired,
                max_upload=current_app.config["EDITOR_MAX_UPLOAD_BYTES"] // (1024 * 1024))


@bp.get("/analytics")
def analytics_page():
    from suggest.usage.analytics import build_report

    svc = service()
    days = request.args.get("days", default=30, type=int)
    if days not in (7, 30, 90, 0):
        days = 30
    store = current_app.extensions["feedback"]
    report = build_report(svc.corpus, store, svc.engine.embedder, svc.engine, days=days or None, top=10,
                          similarity=float(current_app.config["EDITOR_GROUP_SIMILARITY"]))
    return page("editor_analytics.html", active="analytics", report=report, days=days, stage_names=STAGE_NAMES)


@bp.get("/export/<kind>")
def export(kind: str):
    if kind not in EXPORTS:
        return page("editor_notice.html", status=404, title="没有这种导出格式", message="请从“导入导出”页选择格式")
    svc = service()
    name, mimetype = EXPORTS[kind]
    date = datetime.now().strftime("%Y%m%d")
    suffix = "." + kind.rsplit(".", 1)[-1]
    folder = Path(tempfile.mkdtemp(prefix="huashu-export-"))
    path = folder / f"export{suffix}"
    if kind.startswith("qianniu"):
        from suggest.corpus.spreadsheet import write_qianniu

        write_qianniu(svc.corpus, svc.engine.profile.values(), path)
    else:
        from suggest.corpus.interchange import export_corpus

        export_corpus(svc.corpus, path)
    data = path.read_bytes()
    path.unlink()
    folder.rmdir()
    import io

    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=name.format(date=date))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- JSON: replies -------------------------------------------------------------------------------------------

@bp.get("/api/meta")
def api_meta():
    svc = service()
    return jsonify({"situations": svc.list_situations(), "tags": svc.tags(), "stages": STAGE_NAMES,
                    "placeholders": list(dict.fromkeys([*KNOWN_PLACEHOLDERS, *sorted(svc.engine.profile.names())])),
                    "profile": svc.engine.profile.values(), "editor": g.editor,
                    "duplicate_threshold": svc.duplicate_threshold})


@bp.get("/api/replies")
def api_replies():
    svc = service()
    args = request.args
    status = args.get("status") or "all"
    replies = svc.list_replies(situation=args.get("situation") or None, stage=args.get("stage") or None,
                               tag=args.get("tag") or None, text=args.get("q") or None,
                               status=status if status in ("all", "active", "retired") else "all",
                               flagged=args.get("flagged") in ("1", "true"))
    return jsonify({"replies": replies, "count": len(replies), "total": len(svc.corpus.replies)})


@bp.get("/api/replies/<reply_id>")
def api_reply(reply_id: str):
    svc = service()
    reply = svc.get_reply(reply_id)
    changes = [c.to_dict() for c in svc.history.list(limit=5, target=reply_id)]
    return jsonify({"reply": svc.reply_dict(reply), "history": changes})


def _draft_args(data: dict) -> tuple[dict, dict | None]:
    draft = data.get("reply")
    if not isinstance(draft, dict):
        raise _Refused(400, "invalid_body", "缺少 reply 字段")
    new_situation = data.get("new_situation")
    if new_situation is not None and not isinstance(new_situation, dict):
        raise _Refused(400, "invalid_body", "new_situation 必须是对象")
    return draft, new_situation or None


@bp.post("/api/replies")
def api_create_reply():
    data = body()
    draft, new_situation = _draft_args(data)
    result = service().save_reply(draft, g.editor, new_situation=new_situation, confirm=bool(data.get("confirm")))
    response = jsonify(result.to_dict())
    response.status_code = 201
    return response


@bp.put("/api/replies/<reply_id>")
def api_update_reply(reply_id: str):
    data = body()
    draft, new_situation = _draft_args(data)
    result = service().save_reply(draft, g.editor, reply_id=reply_id, version=data.get("version"),
                                  new_situation=new_situation, confirm=bool(data.get("confirm")))
    return jsonify(result.to_dict())


@bp.post("/api/replies/<reply_id>/retire")
def api_retire_reply(reply_id: str):
    data = body()
    result = service().set_retired(reply_id, g.editor, data.get("version"), retired=bool(data.get("retired", True)))
    return jsonify(result.to_dict())


@bp.delete("/api/replies/<reply_id>")
def api_delete_reply(reply_id: str):
    version = request.args.get("version")
    if version is None:
        data = request.get_json(silent=True) or {}
        version = data.get("version") if isinstance(data, dict) else None
    result = service().delete_reply(reply_id, g.editor, version)
    return jsonify(result.to_dict())


@bp.post("/api/check")
def api_check():
    data = body()
    draft, new_situation = _draft_args(data)
    reply_id = data.get("reply_id") or None
    return jsonify(service().check_reply(draft, reply_id=reply_id, new_situation=new_situation).to_dict())


@bp.post("/api/try")
def api_try():
    data = body()
    draft = data.get("draft") if isinstance(data.get("draft"), dict) else None
    started = time.perf_counter()
    result = service().try_draft(data.get("message"), draft, reply_id=data.get("reply_id") or None)
    result["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return jsonify(result)


# ---- JSON: situations ----------------------------------------------------------------------------------------

@bp.get("/api/situations")
def api_situations():
    return jsonify({"situations": service().list_situations()})


@bp.post("/api/situations")
def api_create_situation():
    data = body()
    situation, change = service().save_situation(data.get("situation") or {}, g.editor)
    svc = service()
    response = jsonify({"situation": svc.situation_dict(situation), "change": change.to_dict()})
    response.status_code = 201
    return response


@bp.put("/api/situations/<situation_id>")
def api_update_situation(situation_id: str):
    data = body()
    svc = service()
    situation, change = svc.save_situation(data.get("situation") or {}, g.editor, situation_id=situation_id,
                                           version=data.get("version"))
    return jsonify({"situation": svc.situation_dict(situation), "change": change.to_dict()})


@bp.delete("/api/situations/<situation_id>")
def api_delete_situation(situation_id: str):
    change = service().delete_situation(situation_id, g.editor, request.args.get("version"))
    return jsonify({"change": change.to_dict()})


# ---- JSON: history -------------------------------------------------------------------------------------------

@bp.get("/api/history")
def api_history():
    svc = service()
    limit = max(1, min(request.args.get("limit", default=50, type=int) or 50, 200))
    changes = svc.history.list(limit=limit, before_id=request.args.get("before", type=int),
                               target=request.args.get("target") or None)
    return jsonify({"changes": [c.to_dict() for c in changes]})


@bp.post("/api/history/<int:change_id>/revert")
def api_revert(change_id: int):
    data = request.get_json(silent=True) or {}
    change = service().revert(change_id, g.editor, force=bool(isinstance(data, dict) and data.get("force")))
    return jsonify({"change": change.to_dict()})


# ---- JSON: import --------------------------------------------------------------------------------------------

def _imports_dir() -> Path:
    folder = Path(current_app.config["EDITOR_HISTORY_DB"]).with_name("imports")
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 24 * 3600
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    return folder


def _preview_json(preview) -> dict:
    """A preview (a corpus file's or a 千牛 sheet's) as the import page shows it: every message in Chinese."""
    data = preview.to_dict()
    data["errors"] = [zh_problem(e) for e in data["errors"]]
    for row in data["rows"]:
        row["reasons"] = [zh_problem(r) for r in row["reasons"]]
        row["warnings"] = [zh_problem(w) for w in row["warnings"]]
    return data


def _overrides(data: dict) -> dict[str, str] | None:
    """The editor's choice of situation per 分组 ({分组: situation id}); an empty choice keeps the assigned one."""
    value = data.get("overrides")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _Refused(422, "invalid_overrides", "overrides 必须是 {分组: 场景编号}")
    return {k: v for k, v in value.items() if v}


def _upload(token: str) -> tuple[Path, Path, dict]:
    """The uploaded file behind a preview token (its path, its metadata's path, the metadata)."""
    if not token or not all(c in "0123456789abcdef" for c in token) or len(token) != 32:
        raise _Refused(400, "invalid_token", "导入令牌无效：请重新选择文件预览")
    folder = _imports_dir()
    meta_path = folder / f"{token}.json"
    if not meta_path.is_file():
        raise _Refused(404, "not_found", "预览已过期：请重新选择文件")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("editor") != g.editor:
        raise _Refused(403, "forbidden", "这个预览属于另一位编辑")
    return folder / f"{token}{meta['suffix']}", meta_path, meta


@bp.post("/api/import/preview")
def api_import_preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise _Refused(400, "missing_file", "请选择要导入的文件（.jsonl、.csv 或 .xlsx）")
    display = Path(upload.filename).name
    suffix = Path(display).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise _Refused(422, "unsupported_format", f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .jsonl、.csv 或 .xlsx")
    token = secrets.token_hex(16)
    folder = _imports_dir()
    path = folder / f"{token}{suffix}"
    upload.save(path)
    svc = service()
    preview = svc.import_preview(path, display)
    data = _preview_json(preview)
    meta = {"editor": g.editor, "name": display, "suffix": suffix, "base": preview.base_hash, "kind": data["kind"]}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return jsonify({"token": token, "preview": data})


@bp.post("/api/import/regroup")
def api_import_regroup():
    """A 千牛 sheet's preview again, with the editor's choice of situation for some 分组."""
    data = body()
    path, _, meta = _upload(str(data.get("token") or ""))
    preview = service().import_preview(path, meta["name"], _overrides(data) or {})
    return jsonify({"token": data["token"], "preview": _preview_json(preview)})


@bp.post("/api/import/commit")
def api_import_commit():
    data = body()
    path, meta_path, meta = _upload(str(data.get("token") or ""))
    preview, change = service().import_commit(path, g.editor, meta["name"], expected_base=meta.get("base") or None,
                                              overrides=_overrides(data))
    path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    return jsonify({"change": change.to_dict(), "counts": preview.counts(), "kind": meta.get("kind", "corpus")})


@bp.get("/api/qianniu")
def api_qianniu():
    from suggest.corpus.spreadsheet import qianniu_rows

    svc = service()
    export = qianniu_rows(svc.corpus, svc.engine.profile.values())
    return jsonify({"count": export.count, "skipped_retired": export.skipped_retired,
                    "unfilled": [{"id": rid, "placeholders": names} for rid, names in export.unfilled.items()]})

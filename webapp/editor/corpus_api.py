"""The JSON endpoints behind the replies and situations pages (/editor/api/...): list, read, check, try, save,
retire and delete replies; save and delete situations; the history and reverting a change. The rules live in
suggest.authoring.editing; these read the request and shape the answer."""

from __future__ import annotations

import time

from flask import g, jsonify, request

from suggest.corpus.profile import KNOWN_PLACEHOLDERS
from suggest.records import STAGE_NAMES

from ..errors import ApiError
from .blueprint import body, bp, service


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
        raise ApiError("invalid_body", "缺少 reply 字段")
    new_situation = data.get("new_situation")
    if new_situation is not None and not isinstance(new_situation, dict):
        raise ApiError("invalid_body", "new_situation 必须是对象")
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

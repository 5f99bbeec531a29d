"""POST /api/v1/feedback: an agent copied, sent or dismissed a suggested reply, or dismissed them all."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from suggest.engine.product_answers import DEFAULT_SITUATION
from suggest.engine.suggester import PRODUCT_REPLY_PREFIX
from suggest.errors import NotFound

from .. import validation as check
from ..errors import ApiError
from . import engine as get_engine

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")

FEEDBACK_FIELDS = ("message", "reply_id", "action")


@bp.post("/feedback")
def add_feedback():
    data = check.json_body()
    check.unknown_fields(data, FEEDBACK_FIELDS)
    engine = get_engine()
    message = check.message(engine, data.get("message"))
    action = check.choice(data.get("action"), "action", check.ACTIONS)
    store = current_app.extensions["feedback"]
    if action not in check.REPLY_ACTIONS:
        # Nothing shown fitted: the editors' analytics groups such messages to find missing situations.
        if data.get("reply_id") is not None:
            raise ApiError(422, "unexpected_field", "'reply_id' is not used with 'dismissed_all'", "reply_id")
        store.log_dismissed_all(message)
        response = jsonify({"id": None, "created_at": None, "reply_id": None, "action": action})
        response.status_code = 201
        return response
    reply_id = check.identifier(data.get("reply_id"), "reply_id")
    if reply_id.startswith(PRODUCT_REPLY_PREFIX):  # built from the product sheet: counted, nothing to learn
        record = store.add(message, reply_id, action, DEFAULT_SITUATION.id)
        response = jsonify({"id": record.id, "created_at": record.created_at, "reply_id": record.reply_id,
                            "action": record.action})
        response.status_code = 201
        return response
    try:
        reply = engine.reply(reply_id)
    except NotFound as exc:
        raise ApiError(404, exc.code, exc.message, "reply_id") from None
    record = store.add(message, reply.id, action, reply.situation)
    current_app.extensions["learning"].observe(engine, message, reply, action)
    response = jsonify({"id": record.id, "created_at": record.created_at, "reply_id": record.reply_id,
                        "action": record.action})
    response.status_code = 201
    return response

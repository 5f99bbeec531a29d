"""POST /api/v1/feedback: an agent copied, sent or dismissed a suggested reply, or dismissed them all."""

from __future__ import annotations

from flask import Blueprint, jsonify

from suggest.engine.product_answers import DEFAULT_SITUATION
from suggest.engine.suggester import PRODUCT_REPLY_PREFIX
from suggest.errors import NotFound

from ..contract import validated
from ..contract.fields import REPLY_ACTIONS
from ..errors import ApiError
from . import served

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")


def _created(record_id: int | None, created_at: str | None, reply_id: str | None, action: str):
    response = jsonify({"id": record_id, "created_at": created_at, "reply_id": reply_id, "action": action})
    response.status_code = 201
    return response


@bp.post("/feedback")
def add_feedback():
    """Record what the agent did with a reply

    Logs copied / sent / dismissed for a reply, or dismissed_all for a message none of whose suggestions fitted,
    in SQLite (<home>/var/feedback.sqlite3). Phone, order, ID card, QQ and WeChat numbers, e-mail addresses,
    addresses and names in the message are masked before storage.
    """
    body = validated()
    serving = served()
    engine, store = serving.engine, serving.feedback
    if body.action not in REPLY_ACTIONS:
        # Nothing shown fitted: the editors' analytics groups such messages to find missing situations.
        store.log_dismissed_all(body.message)
        return _created(None, None, None, body.action)
    if body.reply_id.startswith(PRODUCT_REPLY_PREFIX):  # built from the product sheet: counted, nothing to learn
        record = store.add(body.message, body.reply_id, body.action, DEFAULT_SITUATION.id)
        return _created(record.id, record.created_at, record.reply_id, record.action)
    try:
        reply = engine.reply(body.reply_id)
    except NotFound as exc:
        raise ApiError(exc.code, exc.message, "reply_id") from None
    record = store.add(body.message, reply.id, body.action, reply.situation)
    serving.learning.observe(engine, body.message, reply, body.action)
    return _created(record.id, record.created_at, record.reply_id, record.action)

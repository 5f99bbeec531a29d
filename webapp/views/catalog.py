"""GET /api/v1/situations and /api/v1/replies/<id>: what the corpus holds."""

from __future__ import annotations

from flask import Blueprint, jsonify

from suggest.records import STAGE_NAMES

from . import engine as get_engine

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")


@bp.get("/situations")
def situations():
    engine = get_engine()
    items = [{"id": s.id, "name": s.name, "stage": s.stage, "stage_name": STAGE_NAMES.get(s.stage, s.stage),
              "description": s.description} for s in engine.situations.values()]
    return jsonify({"situations": items})


@bp.get("/replies/<reply_id>")
def reply(reply_id: str):
    engine = get_engine()
    found = engine.reply(reply_id)  # NotFound -> 404 JSON
    filled, unfilled = engine.filled(found)
    situation = engine.situations.get(found.situation)
    # The documented fields, named one by one: a field added to the corpus record is not published by accident.
    return jsonify({"id": found.id, "situation": found.situation,
                    "situation_name": situation.name if situation else None, "stage": found.stage,
                    "text": found.text, "examples": list(found.examples), "tags": list(found.tags),
                    "shortcut": found.shortcut, "retired": bool(getattr(found, "retired", False)),
                    "filled": filled, "unfilled": list(unfilled)})

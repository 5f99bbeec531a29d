"""GET /api/v1/situations, /api/v1/replies/<id> and /api/v1/products: what the corpus holds."""

from __future__ import annotations

from flask import Blueprint, jsonify

from suggest.records import STAGE_NAMES

from ..contract import validated
from ..contract.fields import PRODUCT_SEARCH_LIMIT
from . import served

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")


@bp.get("/situations")
def situations():
    """List the situations of the corpus"""
    engine = served().engine
    items = [{"id": s.id, "name": s.name, "stage": s.stage, "stage_name": STAGE_NAMES.get(s.stage, s.stage),
              "description": s.description} for s in engine.situations.values()]
    return jsonify({"situations": items})


@bp.get("/replies/<reply_id>")
def reply(reply_id: str):
    """One reply of the corpus"""
    engine = served().engine
    found = engine.reply(reply_id)  # NotFound -> 404 JSON
    filled, unfilled = engine.filled(found)
    situation = engine.situations.get(found.situation)
    # The documented fields, named one by one: a field added to the corpus record is not published by accident.
    return jsonify({"id": found.id, "situation": found.situation,
                    "situation_name": situation.name if situation else None, "stage": found.stage,
                    "text": found.text, "examples": list(found.examples), "tags": list(found.tags),
                    "shortcut": found.shortcut, "retired": bool(getattr(found, "retired", False)),
                    "filled": filled, "unfilled": list(unfilled)})


@bp.get("/products")
def products():
    """Search the product sheet (for choosing the product a conversation is about)

    The products an agent can put in focus, by id, name or category; pass the chosen one as `product` to
    /api/v1/suggest. Only the first 200 characters of `q` are searched for.
    """
    query = validated().q[:200]
    found = served().engine.products.search(query, PRODUCT_SEARCH_LIMIT)
    return jsonify({"products": [{"id": p.id, "name": p.name, "category": p.category or "", "link": p.link or ""}
                                 for p in found]})

"""GET /api/v1/shops and POST /api/v1/shops/<shop>/suggest: the shops this server hosts beside the default one,
and a buyer message answered from one of them."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from suggest.shops.homes import shop_names

from ..contract import validated
from . import engine as get_engine
from .suggestions import answer

bp = Blueprint("shops", __name__, url_prefix="/api/v1/shops")


@bp.get("")
def list_shops():
    """List the shops

    The shops this server hosts beside the default one (added with `suggest shop add`), by name, each with the
    route that answers for it; read from disk, so a shop added while the server runs is listed at once.
    """
    names = shop_names(current_app.extensions["settings"])
    return jsonify({"shops": [{"name": name, "suggest": f"/api/v1/shops/{name}/suggest"} for name in names]})


@bp.post("/<shop>/suggest")
def suggest(shop: str):
    """Suggest replies for a buyer message, from one shop's replies

    The same question and answer as /api/v1/suggest, answered from the corpus of shop `shop` only (a shop
    added with `suggest shop add`; /api/v1/suggest answers for the default shop). An unknown shop is 404
    `not_found`; a shop added or removed while the server runs is served, or refused, from its next request.
    """
    body = validated()
    get_engine()  # 503 while the shared model loads
    engine = current_app.extensions["shops"].engine(shop)
    return jsonify(answer(engine, body.message, body.k, body.stage, body.variables, body.context, body.product))

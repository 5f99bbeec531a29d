"""The shops this server hosts beside the default one: GET /api/v1/shops lists them, and each has the default
shop's API under /api/v1/shops/<shop>/ (suggest, suggest/batch, feedback, situations, replies, products),
answered from that shop's corpus and logged to that shop's stores."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify

from suggest.shops.homes import shop_names

from ..contract.document import SHOP_PREFIX
from . import catalog, feedback, suggestions

bp = Blueprint("shops", __name__, url_prefix="/api/v1/shops")

SHOP_API = "/api/v1/shops/<shop>"
MIRRORED = (suggestions.bp, feedback.bp, catalog.bp)  # the routes every shop has, as the default shop has them


def mirror(app: Flask) -> None:
    """Register the default shop's API once more under SHOP_API; the shop named in a URL is taken out of the
    view's arguments into `g.shop` (views.served() answers for it, the key check reads it)."""
    for blueprint in MIRRORED:
        app.register_blueprint(blueprint, url_prefix=SHOP_API + blueprint.url_prefix.removeprefix("/api/v1"),
                               name=SHOP_PREFIX + blueprint.name)

    @app.url_value_preprocessor
    def _shop(endpoint: str | None, values: dict | None) -> None:
        if values and endpoint and endpoint.startswith(SHOP_PREFIX):
            g.shop = values.pop("shop")

    @app.url_defaults
    def _same_shop(endpoint: str, values: dict) -> None:
        """Links from a shop's route to another of its routes (the editor's url_for(".x")) keep the shop."""
        if endpoint.startswith(SHOP_PREFIX) and "shop" not in values and g.get("shop") is not None:
            values["shop"] = g.shop


@bp.get("")
def list_shops():
    """List the shops

    The shops this server hosts beside the default one (added with `suggest shop add`), by name, each with the
    root of its API (the default shop's routes under /api/v1/shops/<name>/) and its suggest route; read from
    disk, so a shop added while the server runs is listed at once.
    """
    names = shop_names(current_app.extensions["settings"])
    return jsonify({"shops": [{"name": name, "api": f"/api/v1/shops/{name}",
                               "suggest": f"/api/v1/shops/{name}/suggest"} for name in names]})

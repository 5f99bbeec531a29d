"""Blueprints, one per concern. The API's views get their input already checked against its model (webapp/contract),
call the engine's public API and shape JSON; an API view's docstring is its summary and description in the
OpenAPI document."""

from __future__ import annotations

from flask import current_app, g, render_template

from suggest.shops.registry import Served

# The pages load only their own scripts, styles and API: nothing inline, nothing from another origin.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")

from ..errors import ApiError


def engine():
    """The loaded Suggester, or 503 not_ready while the model and index are still loading."""
    loaded = current_app.extensions.get("engine")
    if loaded is None:
        reason = current_app.extensions.get("engine_error")
        message = f"the engine failed to load: {reason}" if reason else "the model and index are still loading"
        raise ApiError("not_ready", message, headers={"Retry-After": "5"})
    return loaded


def served() -> Served:
    """What answers this request: the default shop's engine and stores, or those of the shop its URL names
    (/api/v1/shops/<shop>/..., the same routes mirrored: webapp/views/shops.py). 503 while the shared model
    loads, 404 for a shop there is not."""
    default = engine()
    shop = g.get("shop")
    if shop is None:
        return Served(default, current_app.extensions["feedback"], current_app.extensions["learning"])
    return current_app.extensions["shops"].served(shop)


def settings():
    return current_app.extensions["settings"]


def page(template: str, **context):
    """A server-rendered page with the security headers every page gets."""
    response = current_app.make_response(render_template(template, **context))
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response

"""Blueprints, one per concern. The API's views get their input already checked against its model (webapp/contract),
call the engine's public API and shape JSON; an API view's docstring is its summary and description in the
OpenAPI document."""

from __future__ import annotations

from flask import current_app, render_template

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


def settings():
    return current_app.extensions["settings"]


def page(template: str, **context):
    """A server-rendered page with the security headers every page gets."""
    response = current_app.make_response(render_template(template, **context))
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response

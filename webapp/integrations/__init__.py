"""Chat-tool integrations: the Chatwoot-style sidebar app and a demo chat page for the embeddable widget.

    GET /integrations/sidebar   a narrow page for a helpdesk's iframe (Chatwoot Dashboard App): it receives the
                                open conversation by postMessage and shows suggestions for the buyer's latest
                                message; ?message=… asks for one message by hand; ?shop=… answers for that shop
                                (a helpdesk inbox per shop: one dashboard app each)
    GET /integrations/demo      a fake chat tool with the widget included by one script tag (/static/widget.js)

The pages only call this server's own JSON API (/api/v1/…), from the browser. The lead registers `bp` in
create_app; the templates live in this package (templates/integrations/).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from suggest.records import STAGE_NAMES
from suggest.shops.homes import shop_names

bp = Blueprint("integrations", __name__, url_prefix="/integrations", template_folder="templates")

# The sidebar renders data from another application (the helpdesk) and must never run anything else: no inline
# script, no other origin. It is meant to be framed by the helpdesk, so frame-ancestors is left open.
SIDEBAR_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'")


def _keys_required() -> bool:
    keys = current_app.extensions.get("api_keys")
    return bool(keys is not None and keys.current() is not None)


@bp.get("/sidebar")
def sidebar():
    settings = current_app.extensions["settings"]
    response = current_app.make_response(render_template(
        "integrations/sidebar.html", stage_names=STAGE_NAMES, max_chars=settings.max_message_chars,
        keys_required=_keys_required(), shops=shop_names(settings)))
    response.headers["Content-Security-Policy"] = SIDEBAR_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/demo")
def demo():
    server = request.host_url.rstrip("/")
    return render_template("integrations/demo.html", server=server, keys_required=_keys_required())

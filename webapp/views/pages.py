"""The agents' page."""

from __future__ import annotations

from flask import Blueprint, current_app

from suggest.records import STAGE_NAMES
from suggest.shops.homes import shop_names

from . import page

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    settings = current_app.extensions["settings"]
    return page("index.html", stage_names=STAGE_NAMES, max_chars=settings.max_message_chars,
                keys_required=current_app.extensions["api_keys"].current() is not None, shops=shop_names(settings))

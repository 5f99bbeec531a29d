"""POST /api/v1/suggest and /api/v1/suggest/batch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from suggest.engine.suggester import is_shortcut
from suggest.records import MAX_K

from .. import validation as check
from . import engine as get_engine

bp = Blueprint("suggestions", __name__, url_prefix="/api/v1")

SUGGEST_FIELDS = ("message", "k", "stage", "context", "variables", "product")
BATCH_FIELDS = ("messages", "k", "stage", "variables")


@bp.app_context_processor
def _limits() -> dict:
    """The agents' page asks a /code lookup for every hit one request may have (`max_k`), as 千牛 lists them all."""
    return {"max_k": MAX_K}


def answer(engine, message: str, k: int | None, stage: str | None, variables: dict[str, str] | None,
           context: list[str] | None = None, product: str | None = None) -> dict:
    """'/code' messages are shortcut lookups; the engine handles both kinds."""
    return engine.suggest(message, k=k, stage=stage, variables=variables, context=context, product=product).to_dict()


@bp.post("/suggest")
def suggest():
    data = check.json_body()
    check.unknown_fields(data, SUGGEST_FIELDS)
    engine = get_engine()
    message = check.message(engine, data.get("message"))
    k = check.k(data.get("k"))
    stage = check.stage(data.get("stage"))
    context = check.context(engine, data.get("context"))  # without `stage`, the engine infers it from these
    variables = check.variables(data.get("variables"))
    product = check.optional_identifier(data.get("product"), "product")
    result = answer(engine, message, k, stage, variables, context, product)
    if result["abstained"] and not is_shortcut(message):
        # Messages no reply served tell the editors which situations are missing (suggest report).
        current_app.extensions["feedback"].log_abstention(message)
    return jsonify(result)


@bp.post("/suggest/batch")
def suggest_batch():
    data = check.json_body()
    check.unknown_fields(data, BATCH_FIELDS)
    engine = get_engine()
    messages = check.messages(data.get("messages"), engine.settings.batch_max)
    k = check.k(data.get("k"))
    stage = check.stage(data.get("stage"))
    variables = check.variables(data.get("variables"))
    checked = [check.message(engine, item, f"messages[{i}]") for i, item in enumerate(messages)]
    return jsonify({"results": [answer(engine, m, k, stage, variables) for m in checked]})

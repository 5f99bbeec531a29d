"""POST /api/v1/suggest and /api/v1/suggest/batch. Their bodies are checked before these run (webapp/contract)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from suggest.engine.suggester import is_shortcut
from suggest.records import MAX_K

from ..contract import validated
from . import served

bp = Blueprint("suggestions", __name__, url_prefix="/api/v1")


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
    """Suggest replies for a buyer message

    The best scripted replies (话术) for one buyer message, grouped by intent (segment) and situation, plus a
    flat best-first list. Placeholders are filled from the shop profile and `variables`. When nothing fits,
    `abstained` is true and `suggestions` empty. A message starting with '/' looks replies up by 快捷编码 instead.
    """
    body = validated()
    serving = served()
    # Without `stage`, the engine infers it from `context`.
    result = answer(serving.engine, body.message, body.k, body.stage, body.variables, body.context, body.product)
    if result["abstained"] and not is_shortcut(body.message):
        # Messages no reply served tell the editors which situations are missing (suggest report).
        serving.feedback.log_abstention(body.message)
    return jsonify(result)


@bp.post("/suggest/batch")
def suggest_batch():
    """Suggest replies for several messages

    Up to batch_max messages in one request. If any message is unusable the whole request fails with 422 and
    `field` names it (messages[i]).
    """
    body = validated()
    engine = served().engine
    return jsonify({"results": [answer(engine, m, body.k, body.stage, body.variables) for m in body.messages]})

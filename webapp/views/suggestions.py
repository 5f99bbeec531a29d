"""POST /api/v1/suggest and /api/v1/suggest/batch."""

from __future__ import annotations

from flask import Blueprint, jsonify

from suggest.records import Result, Segment, SituationHit

from .. import validation as check
from . import engine as get_engine

bp = Blueprint("suggestions", __name__, url_prefix="/api/v1")

SHORTCUT_PREFIXES = ("/", "／")  # also the full-width slash a Chinese input method types
SHORTCUT_K = 9  # default for shortcut lookups: every hit gets a number key on the agents' page
SUGGEST_FIELDS = ("message", "k", "stage", "context", "variables")
BATCH_FIELDS = ("messages", "k", "stage", "variables")


def is_shortcut(message: str) -> bool:
    return message.lstrip().startswith(SHORTCUT_PREFIXES)


def shortcut_result(engine, message: str, k: int | None, stage: str | None,
                    variables: dict[str, str] | None) -> Result:
    """A 千牛-style '/code' lookup in the shape of a suggestion result: one segment, hits grouped by situation."""
    query = message.strip()
    hits = engine.by_shortcut(query[1:], k or SHORTCUT_K, variables)
    grouped: dict[str, list] = {}
    for hit in hits:
        grouped.setdefault(hit.situation, []).append(hit)
    situations = []
    for situation_id, replies in grouped.items():
        known = engine.situations.get(situation_id)
        situations.append(SituationHit(id=situation_id, name=known.name if known else situation_id,
                                       stage=known.stage if known else replies[0].stage,
                                       score=max(r.score for r in replies), replies=tuple(replies)))
    segment = Segment(text=query, situations=tuple(situations), abstained=not hits)
    return Result(message=message, normalized=query, segments=(segment,), suggestions=tuple(hits),
                  abstained=not hits, stage=stage, stage_source="given" if stage else None)


def answer(engine, message: str, k: int | None, stage: str | None, variables: dict[str, str] | None,
           context: list[str] | None = None) -> dict:
    if is_shortcut(message):
        return shortcut_result(engine, message, k, stage, variables).to_dict()
    return engine.suggest(message, k=k, stage=stage, variables=variables, context=context).to_dict()


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
    return jsonify(answer(engine, message, k, stage, variables, context))


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

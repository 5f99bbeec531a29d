"""Which route takes and answers which body, and the OpenAPI document spectree builds from that.

`install(app)` runs once the blueprints are registered: it wraps each API view in spectree's validation (the
body or query is checked against its model before the view runs, and a refusal becomes the API's error) and
records the operation for the document. `document()` is that document, built on first use for each app: its
request schemas are the models that check the requests, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable, Iterable

from flask import Flask, current_app, make_response, request
from pydantic import BaseModel
from spectree import Response, SecurityScheme, SpecTree, Tag
from spectree.config import License
from spectree.models import SecuritySchemeData, Server
from spectree.plugins.flask_plugin import FlaskPlugin

from suggest.settings import Settings

from . import responses as answers
from .body import reads_json
from .problems import refuse_invalid
from .requests import ProductQuery, RequestModels, request_models

SHOP_PREFIX = "shop_"  # a route mirrored for the shops (webapp/views/shops.py): shop_suggestions.suggest
SHOP_PARAMETER = ("A shop this server hosts besides the default one (`suggest shop list`, GET /api/v1/shops), e.g. "
                  "`shop-a`: answered from that shop's corpus, logged to its stores.")

TAGS = {tag.name: tag for tag in (Tag(name="suggest", description="Reply suggestions"),
                                  Tag(name="feedback", description="What agents did with suggestions"),
                                  Tag(name="corpus", description="Situations, replies and products"),
                                  Tag(name="meta", description="Health and documentation"))}


@dataclass(frozen=True)
class Operation:
    """One route of the API as the document states it; summary and description are the view's docstring."""

    id: str
    tag: str
    answers: dict[int, tuple[type[BaseModel], str]]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    open: bool = False  # no API key needed, like the pages
    path_parameters: dict[str, str] = field(default_factory=dict)


def _refusals(settings: Settings, *statuses: int) -> dict[int, tuple[type[BaseModel], str]]:
    """The error answers an operation may give, each naming its codes (their statuses: webapp/errors.py)."""
    texts = {
        400: "The body is not JSON (`malformed_json`, also for a body nested too deeply), or not a JSON object "
             "(`invalid_body`).",
        401: "API keys are configured (<home>/api_keys.txt) and X-API-Key is missing or wrong (`unauthorized`).",
        403: "A browser on an origin not in the cors_origins setting (`cross_origin`).",
        404: "Unknown path or unknown id (`not_found`).",
        405: "The path exists but not with this method; see the Allow header (`method_not_allowed`).",
        413: f"The body is larger than max_body_bytes, {settings.max_body_bytes} bytes (`payload_too_large`).",
        415: "The body is not sent as application/json (`unsupported_media_type`).",
        422: "Well-formed JSON with an unusable field, named in `field`: `missing_field`, `invalid_type`, `empty`, "
             "`too_long`, `out_of_range`, `invalid_choice`, `too_many`, `unknown_field`, `unexpected_field`, "
             "`invalid_text` (a lone surrogate such as \\ud800).",
        503: "The model and index are still loading, or failed to load; retry after Retry-After (`not_ready`).",
    }
    return {status: (answers.Error, texts[status]) for status in (*statuses, 401)}


def _operations(models: RequestModels, settings: Settings, endpoints: Iterable[str]) -> dict[str, Operation]:
    """Every route of the API among `endpoints`: the default shop's, and those mirrored for the other shops."""
    operations = _default_operations(models, settings)
    for endpoint in endpoints:
        operation = operations.get(endpoint.removeprefix(SHOP_PREFIX))
        if endpoint.startswith(SHOP_PREFIX) and operation is not None:
            operations[endpoint] = replace(
                operation, id=operation.id + "ForShop",
                path_parameters={"shop": SHOP_PARAMETER, **operation.path_parameters},
                answers={**operation.answers, **_refusals(settings, 404)})
    return operations


def _default_operations(models: RequestModels, settings: Settings) -> dict[str, Operation]:
    posts = _refusals(settings, 400, 403, 405, 413, 415, 422, 503)
    return {
        "suggestions.suggest": Operation("suggest", "suggest", body=models.suggest, answers={
            200: (answers.Result, "Suggestions (possibly none: see `abstained`)."), **posts}),
        "shops.list_shops": Operation("listShops", "corpus", answers={
            200: (answers.ShopList, "Every shop besides the default one (possibly none)."),
            **_refusals(settings, 405)}),
        "suggestions.suggest_batch": Operation("suggestBatch", "suggest", body=models.batch, answers={
            200: (answers.BatchResponse, "One result per message."), **posts}),
        "feedback.add_feedback": Operation("addFeedback", "feedback", body=models.feedback, answers={
            201: (answers.FeedbackCreated, "Stored."), **posts,
            **_refusals(settings, 404)}),
        "catalog.situations": Operation("listSituations", "corpus", answers={
            200: (answers.SituationList, "Every situation."), **_refusals(settings, 405, 503)}),
        "catalog.products": Operation("listProducts", "corpus", query=ProductQuery, answers={
            200: (answers.ProductList, "The best matches first."), **_refusals(settings, 405, 503)}),
        "catalog.reply": Operation("getReply", "corpus", path_parameters={"reply_id": "Reply id, e.g. bargain-01."},
                                   answers={200: (answers.Reply, "The reply, raw and filled."),
                                            **_refusals(settings, 404, 405, 503)}),
        "docs.openapi_json": Operation("openapi", "meta", open=True, answers={
            200: (answers.Document, "The OpenAPI 3.1 document.")}),
        "health.healthz": Operation("healthz", "meta", open=True, answers={
            200: (answers.Health, "Always, while the process runs.")}),
        "health.readyz": Operation("readyz", "meta", open=True, answers={
            200: (answers.Ready, "Ready to answer."),
            503: (answers.Ready, "Still loading, or loading failed (see error); retry after Retry-After.")}),
    }


class _DocumentedAnswers(FlaskPlugin):
    """Answers are documented, not validated again on every request: tests/test_api.py checks them against the
    document, and a drift met in production should not turn a good answer into a 500."""

    def validate_response(self, resp: Any, resp_model: Any, skip_validation: bool,
                          force_resp_serialize: bool) -> tuple[Any, None]:
        return make_response(resp), None


def _spectree(settings: Settings) -> SpecTree:
    return SpecTree(
        "flask", backend=_DocumentedAnswers, mode="strict", annotations=False, page_templates={},
        naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _parent, child: child,
        validation_error_model=answers.Error,
        title="huashu-suggest API", version="1.0.0", license=License(name="Apache-2.0"),
        description="Reply suggestions (话术) for Chinese e-commerce customer service. JSON in, JSON out (UTF-8, "
                    "Chinese not escaped). Every error is `{\"error\": {\"code\", \"message\", \"field\"}}`: 400 "
                    "for a body that is not a JSON object, 422 for an unusable field (a message longer than "
                    f"{settings.max_message_chars} characters is 422 `too_long`), 413 for a body over "
                    f"{settings.max_body_bytes} bytes, 404 for unknown paths and ids, 405 for a wrong method, 401 "
                    "when API keys are configured and X-API-Key is missing or wrong, 503 while the model loads. "
                    "An optional field sent as `null` counts as left out. Browsers may call the API only from the "
                    "origins in the cors_origins setting.",
        servers=[Server(url="/", description="This server")],
        security_schemes=[SecurityScheme(name="ApiKey", data=SecuritySchemeData(
            type="apiKey", field_in="header", name="X-API-Key",
            description="Needed only when <home>/api_keys.txt exists (one key per line, '#' comments), and on "
                        "/api/v1/shops/<shop>/ routes when that shop's own api_keys.txt does: a shop's key opens its "
                        "routes only, a server key every route."))],
        security=[{}, {"ApiKey": []}],
    )


def _bind(spec: SpecTree, operation: Operation, view: Callable[..., Any]) -> Callable[..., Any]:
    checked = operation.body or operation.query
    validate = spec.validate(
        json=operation.body, query=operation.query, tags=(TAGS[operation.tag],), operation_id=operation.id,
        resp=Response(**{f"HTTP_{status}": answer for status, answer in operation.answers.items()}),
        security=[] if operation.open else None, path_parameter_descriptions=operation.path_parameters,
        before=partial(refuse_invalid, checked) if checked else None,
        # With nothing to check, naming a status the operation documents already keeps spectree from adding a
        # 422 it could never answer.
        validation_error_status=422 if checked else min(operation.answers))
    bound = validate(view)
    return reads_json(bound) if operation.body else bound


def install(app: Flask) -> None:
    """Bind every API view of `app` (its blueprints registered) to its bodies, for this app's settings."""
    settings: Settings = app.extensions["settings"]
    models = request_models(settings.max_message_chars, settings.batch_max, settings.default_k)
    spec = _spectree(settings)
    for endpoint, operation in _operations(models, settings, list(app.view_functions)).items():
        app.view_functions[endpoint] = _bind(spec, operation, app.view_functions[endpoint])
    app.extensions["openapi"] = spec


def document() -> dict[str, Any]:
    """The current app's OpenAPI document (built on first use)."""
    return current_app.extensions["openapi"].spec


def validated() -> Any:
    """The request's body or query string, as its model validated it (spectree keeps it on the request)."""
    context = request.context  # type: ignore[attr-defined]
    return context.json if context.json is not None else context.query

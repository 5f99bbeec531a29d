"""The OpenAPI 3.1 document of the API, written by hand. Limits come from the settings the server runs with.

tests/test_api.py validates this document and checks real responses against its schemas, so a change to an
endpoint that is not reflected here fails the tests.
"""

from __future__ import annotations

from suggest.records import MAX_CONTEXT, MAX_K, STAGES
from suggest.settings import Settings

from .validation import ACTIONS, API_STAGES, MAX_VARIABLE_CHARS, MAX_VARIABLES

ALL_STAGES = list(STAGES)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, example=None, examples: dict | None = None) -> dict:
    media: dict = {"schema": schema}
    if example is not None:
        media["example"] = example
    if examples:
        media["examples"] = examples
    return {"application/json": media}


def _error_example(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


_REPLY_EXAMPLE = {"id": "bargain-02", "text": "价格实在改不了啦，小测去帮您跟主管申请个小礼品好吗？",
                  "situation": "bargain", "stage": "presale", "score": 0.7056, "shortcut": "yj2", "unfilled": []}
_REPLY_EXAMPLE_1 = {"id": "bargain-01", "text": "亲，咱家都是明码标价，品质对得起这个价格哦~",
                    "situation": "bargain", "stage": "presale", "score": 0.8874, "shortcut": "yj1", "unfilled": []}
_RESULT_EXAMPLE = {
    "message": "能便宜点吗", "normalized": "能便宜点吗", "stage": None, "stage_source": None,
    "segments": [{"text": "能便宜点吗", "abstained": False, "situations": [
        {"id": "bargain", "name": "议价", "stage": "presale", "score": 0.8874,
         "replies": [_REPLY_EXAMPLE_1, _REPLY_EXAMPLE]}]}],
    "suggestions": [_REPLY_EXAMPLE_1, _REPLY_EXAMPLE],
    "abstained": False,
}
_ABSTAINED_EXAMPLE = {
    "message": "asdfgh", "normalized": "asdfgh", "stage": None, "stage_source": None,
    "segments": [{"text": "asdfgh", "abstained": True, "situations": []}],
    "suggestions": [], "abstained": True,
}


def build_spec(settings: Settings) -> dict:
    max_chars = settings.max_message_chars
    message_schema = {"type": "string", "minLength": 1, "maxLength": max_chars,
                      "description": f"What the buyer wrote (1–{max_chars} characters, not only spaces). "
                                     "A message starting with '/' (or the full-width '／') is a shortcut lookup: "
                                     "replies whose 快捷编码 starts with the rest, then replies containing it."}
    k_schema = {"type": "integer", "minimum": 1, "maximum": MAX_K,
                "description": f"How many suggestions (default {settings.default_k}; "
                               "9 for shortcut lookups)."}
    stage_schema = {"type": "string", "enum": list(API_STAGES),
                    "description": "Favour situations of this conversation stage (售前/售中/售后)."}
    variables_schema = {"type": "object", "maxProperties": MAX_VARIABLES,
                        "additionalProperties": {"type": "string", "maxLength": MAX_VARIABLE_CHARS},
                        "description": "Placeholder values for this request (e.g. 买家昵称), "
                                       "overriding the shop profile (corpus/shop.yaml).",
                        "example": {"买家昵称": "小王"}}
    schemas = {
        "Error": {
            "type": "object", "required": ["error"], "additionalProperties": False,
            "description": "Every error response under /api/ has this shape.",
            "properties": {"error": {
                "type": "object", "required": ["code", "message", "field"], "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable: malformed_json, invalid_body, "
                             "missing_field, invalid_type, empty, too_long, out_of_range, invalid_choice, "
                             "too_many, unknown_field, invalid_text, invalid_input, not_found, unauthorized, "
                             "method_not_allowed, payload_too_large, not_ready, internal_error."},
                    "message": {"type": "string", "description": "For the person who has to fix the request."},
                    "field": {"type": ["string", "null"],
                              "description": "The offending field ('message', 'k', 'messages[3]', …) or null."},
                }}},
            "example": _error_example("empty", "'message' is empty: paste what the buyer wrote", "message"),
        },
        "Stage": {"type": "string", "enum": ALL_STAGES,
                  "description": "presale 售前, order 售中, aftersale 售后, general 通用."},
        "ScoredReply": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "text", "situation", "stage", "score", "shortcut", "unfilled"],
            "description": "A suggested reply with the shop's placeholders already filled in.",
            "properties": {
                "id": {"type": "string"},
                "text": {"type": "string", "description": "Ready to paste; placeholders without a value stay "
                                                          "visible as {名称}."},
                "situation": {"type": "string", "description": "Situation id."},
                "stage": _ref("Stage"),
                "score": {"type": "number", "description": "Confidence, about 0–1 (1 for shortcut hits)."},
                "shortcut": {"type": ["string", "null"], "description": "快捷编码, e.g. yj1."},
                "unfilled": {"type": "array", "items": {"type": "string"},
                             "description": "Placeholders in text that have no value, e.g. [\"满包邮金额\"]."},
                "note": {"type": "string", "description": "For the agent, not the buyer (Chinese): e.g. that the "
                                                          "product sheet lacks the attribute asked about. Replies "
                                                          "built from the product sheet have ids `product:…`."},
            },
            "example": _REPLY_EXAMPLE,
        },
        "SituationHit": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "name", "stage", "score", "replies"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string", "description": "Chinese name, e.g. 议价."},
                "stage": _ref("Stage"),
                "score": {"type": "number", "description": "How likely the segment is this situation."},
                "replies": {"type": "array", "items": _ref("ScoredReply")},
            },
        },
        "Segment": {
            "type": "object", "additionalProperties": False, "required": ["text", "abstained", "situations"],
            "description": "One intent of the message (a multi-intent message has several).",
            "properties": {
                "text": {"type": "string"},
                "abstained": {"type": "boolean", "description": "No situation is confident enough."},
                "situations": {"type": "array", "items": _ref("SituationHit")},
            },
        },
        "Result": {
            "type": "object", "additionalProperties": False,
            "required": ["message", "normalized", "stage", "stage_source", "segments", "suggestions", "abstained"],
            "properties": {
                "message": {"type": "string"},
                "normalized": {"type": "string"},
                "stage": {"type": ["string", "null"], "enum": ALL_STAGES + [None],
                          "description": "The stage whose situations were favoured (null: none)."},
                "stage_source": {"type": ["string", "null"], "enum": ["given", "inferred", None],
                                 "description": "Where `stage` came from: the request (given), the buyer's "
                                                "earlier messages in `context` (inferred), or null."},
                "segments": {"type": "array", "items": _ref("Segment")},
                "suggestions": {"type": "array", "items": _ref("ScoredReply"),
                                "description": "The best replies over all segments, best first (the numbered list "
                                               "on the agents' page)."},
                "abstained": {"type": "boolean", "description": "true when nothing fits: suggestions is empty."},
            },
            "example": _RESULT_EXAMPLE,
        },
        "SuggestRequest": {
            "type": "object", "additionalProperties": False, "required": ["message"],
            "properties": {
                "message": message_schema,
                "k": k_schema,
                "stage": stage_schema,
                "context": {"type": "array", "maxItems": MAX_CONTEXT,
                            "items": {"type": "string", "maxLength": max_chars},
                            "description": "The buyer's earlier messages, oldest first. Without `stage`, the "
                                           "conversation stage is inferred from them (the latest count most)."},
                "variables": variables_schema,
                "product": {"type": "string", "minLength": 1, "maxLength": 200,
                            "description": "The product the conversation is about (its id, link or name in the "
                                           "product sheet), as the chat tool knows the product card the buyer sent: "
                                           "questions about its attributes are answered from the sheet."},
            },
            "example": {"message": "能便宜点吗", "stage": "presale"},
        },
        "BatchRequest": {
            "type": "object", "additionalProperties": False, "required": ["messages"],
            "properties": {
                "messages": {"type": "array", "minItems": 1, "maxItems": settings.batch_max,
                             "items": {"type": "string", "minLength": 1, "maxLength": max_chars},
                             "description": f"1–{settings.batch_max} buyer messages."},
                "k": k_schema,
                "stage": stage_schema,
                "variables": variables_schema,
            },
            "example": {"messages": ["能便宜点吗", "发什么快递"], "k": 3},
        },
        "BatchResponse": {
            "type": "object", "additionalProperties": False, "required": ["results"],
            "properties": {"results": {"type": "array", "items": _ref("Result"),
                                       "description": "One result per message, in order."}},
        },
        "FeedbackRequest": {
            "type": "object", "additionalProperties": False, "required": ["message", "action"],
            "description": "`reply_id` is required for copied, sent and dismissed, and absent for dismissed_all "
                           "(the agent found none of the suggestions usable).",
            "properties": {
                "message": {**message_schema, "description": "The buyer message the reply was for. Stored with "
                            "phone, order, ID card, QQ and WeChat numbers, e-mail addresses, addresses and names masked."},
                "reply_id": {"type": "string", "minLength": 1, "maxLength": 200},
                "action": {"type": "string", "enum": list(ACTIONS)},
            },
            "if": {"properties": {"action": {"const": "dismissed_all"}}},
            "then": {"not": {"required": ["reply_id"]}},
            "else": {"required": ["reply_id"]},
            "example": {"message": "能便宜点吗", "reply_id": "bargain-01", "action": "copied"},
        },
        "FeedbackCreated": {
            "type": "object", "additionalProperties": False, "required": ["id", "created_at", "reply_id", "action"],
            "description": "For dismissed_all, id, created_at and reply_id are null.",
            "properties": {
                "id": {"type": ["integer", "null"]},
                "created_at": {"type": ["string", "null"], "format": "date-time"},
                "reply_id": {"type": ["string", "null"]},
                "action": {"type": "string", "enum": list(ACTIONS)},
            },
            "example": {"id": 1, "created_at": "2024-11-11T08:00:00Z", "reply_id": "bargain-01", "action": "copied"},
        },
        "Situation": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "name", "stage", "stage_name", "description"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "stage": _ref("Stage"),
                "stage_name": {"type": "string", "description": "售前, 售中, 售后 or 通用."},
                "description": {"type": "string"},
            },
        },
        "SituationList": {
            "type": "object", "additionalProperties": False, "required": ["situations"],
            "properties": {"situations": {"type": "array", "items": _ref("Situation")}},
            "example": {"situations": [{"id": "bargain", "name": "议价", "stage": "presale", "stage_name": "售前",
                                        "description": "买家要求便宜、打折"}]},
        },
        "ProductList": {
            "type": "object", "additionalProperties": False, "required": ["products"],
            "properties": {"products": {"type": "array", "maxItems": 20, "items": {
                "type": "object", "additionalProperties": False, "required": ["id", "name", "category", "link"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                               "category": {"type": "string"}, "link": {"type": "string"}}}}},
            "example": {"products": [{"id": "C001", "name": "暖暖加绒连帽卫衣", "category": "服装", "link": ""}]},
        },
        "Reply": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "situation", "situation_name", "stage", "text", "examples", "tags", "shortcut",
                         "retired", "filled", "unfilled"],
            "properties": {
                "id": {"type": "string"},
                "situation": {"type": "string"},
                "situation_name": {"type": ["string", "null"]},
                "stage": _ref("Stage"),
                "text": {"type": "string", "description": "As written in the corpus, with {占位符}."},
                "examples": {"type": "array", "items": {"type": "string"},
                             "description": "Buyer messages this reply answers."},
                "tags": {"type": "array", "items": {"type": "string"}},
                "shortcut": {"type": ["string", "null"]},
                "retired": {"type": "boolean", "description": "Kept in the corpus but never suggested."},
                "filled": {"type": "string", "description": "text with the shop profile's values filled in."},
                "unfilled": {"type": "array", "items": {"type": "string"}},
            },
            "example": {"id": "bargain-02", "situation": "bargain", "situation_name": "议价", "stage": "presale",
                        "text": "价格实在改不了啦，{客服名}去帮您跟主管申请个小礼品好吗？",
                        "examples": ["真的不能少吗", "再优惠一点嘛"], "tags": ["议价", "赠品"], "shortcut": "yj2",
                        "retired": False, "filled": "价格实在改不了啦，小测去帮您跟主管申请个小礼品好吗？", "unfilled": []},
        },
        "Health": {
            "type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}},
        },
        "Ready": {
            "type": "object", "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": ["ready", "loading", "failed"]},
                "situations": {"type": "integer"},
                "model": {"type": "string"},
                "error": {"type": ["string", "null"]},
            },
        },
    }

    def error(description: str, *examples: tuple[str, str, str | None]) -> dict:
        named = {code: {"summary": code, "value": _error_example(code, message, field)}
                 for code, message, field in examples}
        return {"description": description, "content": _json(_ref("Error"), examples=named or None)}

    responses = {
        "BadRequest": error("The body is not JSON, or not a JSON object.",
                            ("malformed_json", "the request body is not valid JSON: Expecting value: line 1 column 1 "
                                               "(char 0)", None),
                            ("invalid_body", "the request body must be a JSON object, not an array", None)),
        "Unauthorized": error("API keys are configured (<home>/api_keys.txt) and X-API-Key is missing or wrong.",
                              ("unauthorized", "this server needs an API key: send it in the X-API-Key header",
                               None)),
        "NotFound": error("Unknown path or unknown id.", ("not_found", "no reply with id 'nope'", "id")),
        "MethodNotAllowed": error("The path exists but not with this method (see the Allow header).",
                                  ("method_not_allowed", "GET is not allowed on /api/v1/suggest", None)),
        "PayloadTooLarge": error(f"The body is larger than max_body_bytes ({settings.max_body_bytes} bytes).",
                                 ("payload_too_large",
                                  f"the request body is larger than {settings.max_body_bytes} bytes", None)),
        "Unprocessable": error(
            "Well-formed JSON with an unusable field: missing, wrong type, empty, too long "
            f"(message > {max_chars} characters is 422 too_long), out of range, unknown choice, too many items.",
            ("missing_field", "'message' is required", "message"),
            ("invalid_type", "'k' must be an integer, not a string", "k"),
            ("empty", "'message' is empty: paste what the buyer wrote", "message"),
            ("too_long", f"'message' has {max_chars + 1} characters; the limit is {max_chars}", "message"),
            ("out_of_range", f"'k' must be from 1 to {MAX_K}", "k"),
            ("invalid_choice", "'stage' must be one of presale, order, aftersale", "stage"),
            ("too_many", f"'messages' has {settings.batch_max + 1} messages; the limit is {settings.batch_max} "
                         "per batch", "messages"),
            ("unknown_field", "unknown field 'mesage'; allowed: message, k, stage, context, variables", "mesage"),
        ),
        "NotReady": error("The model and index are still loading (or failed to load); retry after Retry-After.",
                          ("not_ready", "the model and index are still loading", None)),
    }

    def std(*extra: str) -> dict:
        names = {"401": "Unauthorized", "503": "NotReady", **{code: name for code, name in (
            ("400", "BadRequest"), ("404", "NotFound"), ("405", "MethodNotAllowed"), ("413", "PayloadTooLarge"),
            ("422", "Unprocessable")) if code in extra}}
        return {code: {"$ref": f"#/components/responses/{name}"} for code, name in sorted(names.items())}

    post_errors = ("400", "405", "413", "422")
    paths = {
        "/api/v1/suggest": {"post": {
            "operationId": "suggest", "tags": ["suggest"], "summary": "Suggest replies for a buyer message",
            "description": "The best scripted replies (话术) for one buyer message, grouped by intent (segment) "
                           "and situation, plus a flat best-first list. Placeholders are filled from the shop "
                           "profile and `variables`. When nothing fits, `abstained` is true and `suggestions` "
                           "empty. A message starting with '/' looks replies up by 快捷编码 instead.",
            "requestBody": {"required": True, "content": _json(_ref("SuggestRequest"), examples={
                "plain": {"summary": "A buyer message", "value": {"message": "能便宜点吗"}},
                "options": {"summary": "With stage, context and variables",
                            "value": {"message": "什么时候发货", "k": 3, "stage": "order",
                                      "context": ["我刚拍了"], "variables": {"买家昵称": "小王"}}},
                "shortcut": {"summary": "Shortcut lookup", "value": {"message": "/yj"}}})},
            "responses": {"200": {"description": "Suggestions (possibly none: see `abstained`).",
                                  "content": _json(_ref("Result"), examples={
                                      "found": {"summary": "Replies found", "value": _RESULT_EXAMPLE},
                                      "abstained": {"summary": "Nothing fits", "value": _ABSTAINED_EXAMPLE}})},
                          **std(*post_errors)},
        }},
        "/api/v1/suggest/batch": {"post": {
            "operationId": "suggestBatch", "tags": ["suggest"], "summary": "Suggest replies for several messages",
            "description": f"Up to {settings.batch_max} messages in one request (batch_max). If any message is "
                           "unusable the whole request fails with 422 and `field` names it (messages[i]).",
            "requestBody": {"required": True, "content": _json(_ref("BatchRequest"))},
            "responses": {"200": {"description": "One result per message.",
                                  "content": _json(_ref("BatchResponse"), {"results": [_RESULT_EXAMPLE]})},
                          **std(*post_errors)},
        }},
        "/api/v1/feedback": {"post": {
            "operationId": "addFeedback", "tags": ["feedback"], "summary": "Record what the agent did with a reply",
            "description": "Logs copied / sent / dismissed for a reply, or dismissed_all for a message none of "
                           "whose suggestions fitted, in SQLite (<home>/var/feedback.sqlite3). "
                           "Phone, order, ID card, QQ and WeChat numbers, e-mail addresses, addresses and names in the message are masked before storage.",
            "requestBody": {"required": True, "content": _json(_ref("FeedbackRequest"))},
            "responses": {"201": {"description": "Stored.", "content": _json(_ref("FeedbackCreated"))},
                          **std(*post_errors, "404")},
        }},
        "/api/v1/situations": {"get": {
            "operationId": "listSituations", "tags": ["corpus"], "summary": "List the situations of the corpus",
            "responses": {"200": {"description": "Every situation.", "content": _json(_ref("SituationList"))},
                          **std("405")},
        }},
        "/api/v1/products": {"get": {
            "operationId": "listProducts", "tags": ["corpus"],
            "summary": "Search the product sheet (for choosing the product a conversation is about)",
            "parameters": [{"name": "q", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "Part of an id, name or category; empty lists the first 20."}],
            "responses": {"200": {"description": "Up to 20 products, the best match first.",
                                  "content": _json(_ref("ProductList"))}, **std("405")},
        }},
        "/api/v1/replies/{id}": {"get": {
            "operationId": "getReply", "tags": ["corpus"], "summary": "One reply of the corpus",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "Reply id, e.g. bargain-01.", "example": "bargain-02"}],
            "responses": {"200": {"description": "The reply, raw and filled.", "content": _json(_ref("Reply"))},
                          **std("404", "405")},
        }},
        "/api/v1/openapi.json": {"get": {
            "operationId": "openapi", "tags": ["meta"], "summary": "This document", "security": [],
            "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/healthz": {"get": {
            "operationId": "healthz", "tags": ["meta"], "summary": "Liveness: the process answers", "security": [],
            "responses": {"200": {"description": "Always, while the process runs.",
                                  "content": _json(_ref("Health"), {"status": "ok"})}},
        }},
        "/readyz": {"get": {
            "operationId": "readyz", "tags": ["meta"], "summary": "Readiness: model and index loaded",
            "security": [],
            "responses": {
                "200": {"description": "Ready to answer.",
                        "content": _json(_ref("Ready"), {"status": "ready", "situations": 57, "model": "m3e-small"})},
                "503": {"description": "Still loading, or loading failed (see error).",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": _json(_ref("Ready"), {"status": "loading", "error": None})},
            },
        }},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "huashu-suggest API",
            "version": "1.0.0",
            "summary": "Reply suggestions (话术) for Chinese e-commerce customer service.",
            "description": "JSON in, JSON out (UTF-8, Chinese not escaped). Every error is "
                           "`{\"error\": {\"code\", \"message\", \"field\"}}`: 400 for a body that is not a JSON "
                           "object, 422 for an unusable field (a message longer than "
                           f"{max_chars} characters is 422 `too_long`), 413 for a body over "
                           f"{settings.max_body_bytes} bytes, 404 for unknown paths and ids, 405 for a wrong "
                           "method, 401 when API keys are configured and X-API-Key is missing or wrong, 503 while "
                           "the model loads. Browsers may call the API only from the origins in the cors_origins "
                           "setting.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "This server"}],
        "tags": [{"name": "suggest", "description": "Reply suggestions"},
                 {"name": "feedback", "description": "What agents did with suggestions"},
                 {"name": "corpus", "description": "Situations and replies"},
                 {"name": "meta", "description": "Health and documentation"}],
        "security": [{}, {"ApiKey": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {"ApiKey": {
                "type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "Needed only when <home>/api_keys.txt exists (one key per line, '#' comments)."}},
        },
    }

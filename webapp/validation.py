"""Reading and checking request bodies. Each check raises ApiError naming the field; nothing here retrieves."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from suggest.errors import InputError
from suggest.records import MAX_CONTEXT, MAX_K, STAGES

from .errors import ApiError

API_STAGES = tuple(stage for stage in STAGES if stage != "general")  # "general" is no stage a caller picks
ACTIONS = ("copied", "sent", "dismissed", "dismissed_all")
REPLY_ACTIONS = ACTIONS[:3]  # about one reply; "dismissed_all" is about the whole list shown for a message
MAX_VARIABLES = 50
MAX_VARIABLE_CHARS = 200

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number",
               bool: "true or false", type(None): "null"}


def _type_name(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def json_body() -> dict[str, Any]:
    """The request's JSON object (400 when the body is not JSON or not an object)."""
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        raise ApiError(400, "malformed_json", "the request body is empty: send a JSON object")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"the request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", f"the request body must be a JSON object, not {_type_name(data)}")
    return data


def _encodable(value: str, field: str) -> str:
    """JSON allows lone surrogates (\\ud800) that no UTF-8 text can hold: refuse them up front."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(422, "invalid_text", f"'{field}' contains characters that are not valid Unicode text",
                       field) from None
    return value


def message(engine, value: object, field: str = "message") -> str:
    """A buyer message, checked by the engine itself (empty and too-long messages get their own codes)."""
    if value is None:
        raise ApiError(422, "missing_field", f"'{field}' is required", field)
    if not isinstance(value, str):
        raise ApiError(422, "invalid_type", f"'{field}' must be a string, not {_type_name(value)}", field)
    _encodable(value, field)
    try:
        return engine.check_message(value, field)
    except InputError as exc:
        raise ApiError(422, exc.code, exc.message, exc.field or field) from None


def k(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(422, "invalid_type", f"'k' must be an integer, not {_type_name(value)}", "k")
    if not 1 <= value <= MAX_K:
        raise ApiError(422, "out_of_range", f"'k' must be from 1 to {MAX_K}", "k")
    return value


def stage(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid_type", f"'stage' must be a string, not {_type_name(value)}", "stage")
    if value not in API_STAGES:
        raise ApiError(422, "invalid_choice", f"'stage' must be one of {', '.join(API_STAGES)}", "stage")
    return value


def context(engine, value: object) -> list[str] | None:
    """Earlier buyer messages: at most MAX_CONTEXT strings, each within the message length limit."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ApiError(422, "invalid_type", f"'context' must be an array of strings, not {_type_name(value)}",
                       "context")
    if len(value) > MAX_CONTEXT:
        raise ApiError(422, "too_many", f"'context' has {len(value)} messages; the limit is {MAX_CONTEXT}",
                       "context")
    limit = engine.settings.max_message_chars
    for i, item in enumerate(value):
        field = f"context[{i}]"
        if not isinstance(item, str):
            raise ApiError(422, "invalid_type", f"'{field}' must be a string, not {_type_name(item)}", field)
        if len(item) > limit:
            raise ApiError(422, "too_long", f"'{field}' has {len(item)} characters; the limit is {limit}", field)
        _encodable(item, field)
    return value


def variables(value: object) -> dict[str, str] | None:
    """Placeholder values for this reply only (e.g. {"买家昵称": "小王"}), overriding the shop profile."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(422, "invalid_type", f"'variables' must be an object, not {_type_name(value)}", "variables")
    if len(value) > MAX_VARIABLES:
        raise ApiError(422, "too_many", f"'variables' has {len(value)} entries; the limit is {MAX_VARIABLES}",
                       "variables")
    for name, item in value.items():
        field = f"variables.{name}"
        if not isinstance(item, str):
            raise ApiError(422, "invalid_type", f"'{field}' must be a string, not {_type_name(item)}", field)
        if len(item) > MAX_VARIABLE_CHARS:
            raise ApiError(422, "too_long", f"'{field}' is longer than {MAX_VARIABLE_CHARS} characters", field)
        _encodable(name, "variables")
        _encodable(item, field)
    return value


def messages(value: object, limit: int) -> list:
    if value is None:
        raise ApiError(422, "missing_field", "'messages' is required", "messages")
    if not isinstance(value, list):
        raise ApiError(422, "invalid_type", f"'messages' must be an array of strings, not {_type_name(value)}",
                       "messages")
    if not value:
        raise ApiError(422, "empty", "'messages' is empty: send at least one message", "messages")
    if len(value) > limit:
        raise ApiError(422, "too_many", f"'messages' has {len(value)} messages; the limit is {limit} per batch",
                       "messages")
    return value


def choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    if value is None:
        raise ApiError(422, "missing_field", f"'{field}' is required", field)
    if not isinstance(value, str):
        raise ApiError(422, "invalid_type", f"'{field}' must be a string, not {_type_name(value)}", field)
    if value not in choices:
        raise ApiError(422, "invalid_choice", f"'{field}' must be one of {', '.join(choices)}", field)
    return value


def identifier(value: object, field: str) -> str:
    if value is None:
        raise ApiError(422, "missing_field", f"'{field}' is required", field)
    if not isinstance(value, str):
        raise ApiError(422, "invalid_type", f"'{field}' must be a string, not {_type_name(value)}", field)
    if not value.strip():
        raise ApiError(422, "empty", f"'{field}' is empty", field)
    if len(value) > 200:
        raise ApiError(422, "too_long", f"'{field}' is longer than 200 characters", field)
    return _encodable(value, field)


def optional_identifier(value: object, field: str) -> str | None:
    return None if value is None else identifier(value, field)


def unknown_fields(data: dict, allowed: tuple[str, ...]) -> None:
    """Refuse misspelt fields ("mesage") instead of silently ignoring them."""
    extra = [name for name in data if name not in allowed]
    if extra:
        raise ApiError(422, "unknown_field", f"unknown field '{extra[0]}'; allowed: {', '.join(allowed)}", extra[0])

"""A request body's refusal by its model, in the API's words: one problem, its code, a message naming the field.

pydantic reports every problem it finds; the API answers with one, as it always has: a misspelt field first
(it usually explains a missing one), then the first in the body's order.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import ApiError

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number",
               bool: "true or false", type(None): "null"}
# pydantic's type errors, by the JSON type the field wanted.
_WANTED = {"string_type": "a string", "string_unicode": "a string", "int_type": "an integer",
           "int_from_float": "an integer", "float_type": "a number", "bool_type": "true or false",
           "list_type": "an array", "dict_type": "an object", "model_type": "an object",
           "model_attributes_type": "an object", "literal_error": "a string"}
# Codes the bodies' own validators raise (PydanticCustomError), already in the API's words.
OWN_CODES = ("missing_field", "unexpected_field")


def json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def field_name(loc: tuple[int | str, ...]) -> str | None:
    """('context', 1) → "context[1]", ('variables', '客服名') → "variables.客服名": as a caller writes the path."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part != "[key]":
            name += f".{part}" if name else part
    return name or None


def _explain(problem: ErrorDetails, model: type[BaseModel]) -> tuple[str, str]:
    """(code, message) for one of pydantic's problems."""
    kind, given, ctx = problem["type"], problem.get("input"), problem.get("ctx") or {}
    field = field_name(problem["loc"]) or "the body"
    if kind in OWN_CODES:
        return kind, problem["msg"]
    if kind == "extra_forbidden":
        return "unknown_field", f"unknown field '{field}'; allowed: {', '.join(model.model_fields)}"
    if kind == "missing" or (kind in _WANTED and given is None):
        return "missing_field", f"'{field}' is required"
    if kind == "string_unicode":
        return "invalid_text", f"'{field}' contains characters that are not valid Unicode text"
    if kind == "literal_error" and isinstance(given, str):
        return "invalid_choice", f"'{field}' must be {ctx['expected']}"
    if kind in _WANTED:
        return "invalid_type", f"'{field}' must be {_WANTED[kind]}, not {json_type(given)}"
    if kind in ("string_too_short", "string_pattern_mismatch"):
        return "empty", f"'{field}' is empty" + (" (only spaces)" if given else "")
    if kind == "string_too_long":
        return "too_long", f"'{field}' has {len(given)} characters; the limit is {ctx['max_length']}"
    if kind == "too_short":
        return "empty", f"'{field}' is empty: send at least one"
    if kind == "too_long":
        return "too_many", f"'{field}' has {len(given)} items; the limit is {ctx['max_length']}"
    if kind in ("greater_than_equal", "greater_than"):
        return "out_of_range", f"'{field}' must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return "out_of_range", f"'{field}' must be at most {ctx.get('le', ctx.get('lt'))}"
    return "invalid_input", f"'{field}': {problem['msg']}"


def refusal(error: ValidationError, model: type[BaseModel]) -> ApiError:
    """The API error for a body `model` refused."""
    problems = error.errors(include_url=False)
    first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
    code, message = _explain(first, model)
    return ApiError(code, message, field_name(first["loc"]))


def refuse_invalid(model: type[BaseModel], _request: Any, _response: Any, error: Exception | None, *_: Any) -> None:
    """spectree's hook after a body was validated: the first problem, if any, as the API's error."""
    if isinstance(error, ValidationError):
        raise refusal(error, model)

"""Reading a request's JSON before any model sees it.

A body that is not a JSON object is a 400 whatever the endpoint; text that no UTF-8 can carry (JSON allows lone
surrogates such as \\ud800) is refused here for every field at once, so that nothing after this (pydantic, the
engine, the error's own answer) has to cope with it.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import Any, Callable

from flask import request

from ..errors import ApiError
from .problems import field_name, json_type

# No body of this API nests deeper than three levels; deeper ones are refused before anything walks them.
MAX_DEPTH = 32


def json_object() -> dict[str, Any]:
    """The request's JSON object (400 when the body is not JSON or not an object)."""
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        raise ApiError("malformed_json", "the request body is empty: send a JSON object")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("malformed_json", f"the request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError("malformed_json", "the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError("invalid_body", f"the request body must be a JSON object, not {json_type(data)}")
    _check_text(data)
    return data


def _check_text(data: dict[str, Any]) -> None:
    """Every string and key must be text UTF-8 can carry; walked without recursion."""
    pending: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while pending:
        loc, value = pending.pop()
        if len(loc) > MAX_DEPTH:
            raise ApiError("malformed_json", f"the request body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, str):
            _encodable(value, loc)
        elif isinstance(value, dict):
            for key, item in value.items():
                _encodable(key, loc + (key,))
                pending.append((loc + (key,), item))
        elif isinstance(value, list):
            pending.extend((loc + (i,), item) for i, item in enumerate(value))


def _encodable(text: str, loc: tuple[int | str, ...]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        field = field_name(loc) or "the body"
        raise ApiError("invalid_text", f"'{field}' contains characters that are not valid Unicode text",
                       field) from None


def reads_json(view: Callable[..., Any]) -> Callable[..., Any]:
    """`view`, once the body has been read as a JSON object."""

    @wraps(view)
    def reading(*args: Any, **kwargs: Any) -> Any:
        json_object()
        return view(*args, **kwargs)

    return reading

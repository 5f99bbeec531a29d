"""Field types the request bodies share, and the web layer's own limits.

The limits the engine owns are stated once where the engine keeps them (suggest.records: MAX_K, MAX_CONTEXT;
the settings: max_message_chars, batch_max); the ones here bound only what a caller may send beside a message.
Every body refuses fields it does not know and never converts a value's type: "3" is not 3, true is not 1.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from suggest.records import MAX_K, STAGES

API_STAGES = tuple(stage for stage in STAGES if stage != "general")  # "general" is no stage a caller picks
ACTIONS = ("copied", "sent", "dismissed", "dismissed_all")
REPLY_ACTIONS = ACTIONS[:3]  # about one reply; "dismissed_all" is about the whole list shown for a message
MAX_VARIABLES = 50
MAX_VARIABLE_CHARS = 200
MAX_ID_CHARS = 200
PRODUCT_SEARCH_LIMIT = 20
# A text with at least one character that is not a space, "space" meaning what the engine strips (str.isspace).
# Spelt out rather than as \S, whose meaning differs between Python's re, ECMA-262 (the document's regex
# dialect) and Rust's regex (\x1c-\x1f, \x85, \ufeff): every reader of the document then refuses what the
# server refuses.
NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

Stage = Literal[API_STAGES]  # type: ignore[valid-type]
Action = Literal[ACTIONS]  # type: ignore[valid-type]


class RequestBody(BaseModel):
    """The base of every request body."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


def not_blank(max_chars: int) -> Any:
    """A text of 1 to `max_chars` characters that is not only spaces."""
    return Annotated[str, StringConstraints(min_length=1, max_length=max_chars, pattern=NOT_BLANK)]


def _whole_number(value: object) -> object:
    """JSON has one kind of number and JSON Schema counts 2.0 as an integer: a caller computing k as n / 2 sends
    2.0 and means 2. Any other value goes on to the strict integer check, which refuses it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The constraints come first: after the validator they would not reach the document.
SuggestionCount = Annotated[int, Field(ge=1, le=MAX_K), BeforeValidator(_whole_number)]
Identifier = not_blank(MAX_ID_CHARS)

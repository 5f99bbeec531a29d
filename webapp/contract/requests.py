"""The request bodies of the public API. Two of their limits are settings (max_message_chars, batch_max), so the
bodies are built for the settings a server runs with, and the document states the limits that server applies.

`null` for an optional field means the same as leaving it out: clients that serialise an unset option as null
(most JSON encoders do) are answered as if they had not sent it, and the document says so.

Annotations here are evaluated as the classes are built (no `from __future__ import annotations`): the classes
are made inside a function, from that function's limits.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from suggest.records import MAX_CONTEXT

from .fields import (MAX_VARIABLE_CHARS, MAX_VARIABLES, PRODUCT_SEARCH_LIMIT, Action, Identifier, RequestBody, Stage,
                     SuggestionCount, not_blank)

NULL_IS_ABSENT = " `null` is the same as leaving the field out."


class ProductQuery(BaseModel):
    """The product search's query string (anything is a search: nothing here is refused)."""

    q: str = Field("", description="Part of an id, name or category; empty lists the first "
                                   f"{PRODUCT_SEARCH_LIMIT}.")


@dataclass(frozen=True)
class RequestModels:
    suggest: type[RequestBody]
    batch: type[RequestBody]
    feedback: type[RequestBody]


@lru_cache(maxsize=16)
def request_models(max_chars: int, batch_max: int, default_k: int) -> RequestModels:
    """The bodies for these settings (built once per distinct settings: tests start many apps)."""
    Message = Annotated[not_blank(max_chars), Field(
        description=f"What the buyer wrote (1–{max_chars} characters, not only spaces). A message starting with "
                    "'/' (or the full-width '／') is a shortcut lookup: replies whose 快捷编码 starts with the rest, "
                    "then replies containing it.")]
    Count = Annotated[SuggestionCount | None, Field(
        description=f"How many suggestions (default {default_k}; 9 for shortcut lookups). A whole number: 2.0 is "
                    f"taken as 2.{NULL_IS_ABSENT}")]
    StageChoice = Annotated[Stage | None, Field(
        description=f"Favour situations of this conversation stage (售前/售中/售后).{NULL_IS_ABSENT}")]
    Variables = Annotated[dict[str, Annotated[str, Field(max_length=MAX_VARIABLE_CHARS)]] | None, Field(
        max_length=MAX_VARIABLES, examples=[{"买家昵称": "小王"}],
        description="Placeholder values for this request (e.g. 买家昵称), overriding the shop profile "
                    f"(corpus/shop.yaml).{NULL_IS_ABSENT}")]

    class SuggestRequest(RequestBody):
        model_config = {"json_schema_extra": {"examples": [
            {"message": "能便宜点吗"},
            {"message": "什么时候发货", "k": 3, "stage": "order", "context": ["我刚拍了"],
             "variables": {"买家昵称": "小王"}},
            {"message": "/yj"},
        ]}}

        message: Message
        k: Count = None
        stage: StageChoice = None
        context: list[Annotated[str, Field(max_length=max_chars)]] | None = Field(
            None, max_length=MAX_CONTEXT,
            description="The buyer's earlier messages, oldest first. Without `stage`, the conversation stage is "
                        f"inferred from them (the latest count most).{NULL_IS_ABSENT}")
        variables: Variables = None
        product: Identifier | None = Field(
            None, description="The product the conversation is about (its id, link or name in the product sheet), "
                              "as the chat tool knows the product card the buyer sent: questions about its "
                              f"attributes are answered from the sheet.{NULL_IS_ABSENT}")

    class BatchRequest(RequestBody):
        model_config = {"json_schema_extra": {"examples": [{"messages": ["能便宜点吗", "发什么快递"], "k": 3}]}}

        messages: list[not_blank(max_chars)] = Field(
            min_length=1, max_length=batch_max,
            description=f"1–{batch_max} buyer messages, each as `message` of /api/v1/suggest.")
        k: Count = None
        stage: StageChoice = None
        variables: Variables = None

    class FeedbackRequest(RequestBody):
        model_config = {"json_schema_extra": {
            "examples": [{"message": "能便宜点吗", "reply_id": "bargain-01", "action": "copied"},
                         {"message": "有没有儿童款", "action": "dismissed_all"}],
            # What the reply_id validator below checks, for the document's readers.
            "if": {"properties": {"action": {"const": "dismissed_all"}}, "required": ["action"]},
            "then": {"properties": {"reply_id": {"type": "null"}}},
            "else": {"required": ["reply_id"], "properties": {"reply_id": {"type": "string"}}},
        }}

        message: Annotated[Message, Field(
            description="The buyer message the reply was for. Stored with phone, order, ID card, QQ and WeChat "
                        "numbers, e-mail addresses, addresses and names masked.")]
        action: Action = Field(description="What the agent did: copied, sent or dismissed one reply, or "
                                           "dismissed_all when none of the suggestions fitted.")
        reply_id: Identifier | None = Field(
            None, validate_default=True,
            description="The reply acted on: required for copied, sent and dismissed; absent or `null` for "
                        "dismissed_all.")

        @field_validator("reply_id")
        @classmethod
        def _reply_id_goes_with_the_action(cls, value: str | None, info: ValidationInfo) -> Any:
            action = info.data.get("action")
            if action == "dismissed_all" and value is not None:
                raise PydanticCustomError("unexpected_field", "'reply_id' is not used with 'dismissed_all'")
            if action not in (None, "dismissed_all") and value is None:
                raise PydanticCustomError("missing_field", "'reply_id' is required with '{action}'", {"action": action})
            return value

    return RequestModels(SuggestRequest, BatchRequest, FeedbackRequest)

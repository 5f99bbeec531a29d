"""The response bodies of the public API, and the one error shape.

They document what the views send; the server does not validate its answers against them on every request
(tests/test_api.py checks each answer against the served document instead). Every body forbids fields it does
not name, so a field added to an answer without being documented here fails those tests.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from suggest.records import STAGES

from .fields import ACTIONS, PRODUCT_SEARCH_LIMIT

AnyStage = Literal[STAGES]  # type: ignore[valid-type]

_REPLY = {"id": "bargain-02", "text": "价格实在改不了啦，小测去帮您跟主管申请个小礼品好吗？", "situation": "bargain",
          "stage": "presale", "score": 0.7056, "shortcut": "yj2", "unfilled": [], "note": ""}
_FIRST_REPLY = {"id": "bargain-01", "text": "亲，咱家都是明码标价，品质对得起这个价格哦~", "situation": "bargain",
                "stage": "presale", "score": 0.8874, "shortcut": "yj1", "unfilled": [], "note": ""}
_RESULT = {
    "message": "能便宜点吗", "normalized": "能便宜点吗", "stage": None, "stage_source": None,
    "segments": [{"text": "能便宜点吗", "abstained": False, "situations": [
        {"id": "bargain", "name": "议价", "stage": "presale", "score": 0.8874, "replies": [_FIRST_REPLY, _REPLY]}]}],
    "suggestions": [_FIRST_REPLY, _REPLY], "abstained": False,
}
_ABSTAINED = {"message": "asdfgh", "normalized": "asdfgh", "stage": None, "stage_source": None,
              "segments": [{"text": "asdfgh", "abstained": True, "situations": []}], "suggestions": [],
              "abstained": True}


class ResponseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _examples(*values: object) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(values)})


class ErrorDetail(ResponseBody):
    code: str = Field(description="Machine-readable: malformed_json, invalid_body, missing_field, invalid_type, "
                                  "empty, too_long, out_of_range, invalid_choice, too_many, unknown_field, "
                                  "unexpected_field, invalid_text, invalid_input, not_found, unauthorized, "
                                  "cross_origin, method_not_allowed, payload_too_large, unsupported_media_type, "
                                  "not_ready, internal_error.")
    message: str = Field(description="For the person who has to fix the request.")
    field: str | None = Field(description="The offending field ('message', 'k', 'messages[3]', 'variables.客服名', "
                                          "…) or null.")


class Error(ResponseBody):
    """Every error response under /api/ has this shape."""

    model_config = _examples({"error": {"code": "empty", "message": "'message' is empty", "field": "message"}})

    error: ErrorDetail


class ScoredReply(ResponseBody):
    """A suggested reply with the shop's placeholders already filled in."""

    model_config = _examples(_REPLY)

    id: str = Field(description="Replies built from the product sheet have ids `product:…`.")
    text: str = Field(description="Ready to paste; placeholders without a value stay visible as {名称}.")
    situation: str = Field(description="Situation id.")
    stage: AnyStage = Field(description="presale 售前, order 售中, aftersale 售后, general 通用.")
    score: float = Field(description="Confidence, about 0–1 (1 for shortcut hits).")
    shortcut: str | None = Field(description="快捷编码, e.g. yj1.")
    unfilled: list[str] = Field(description="Placeholders in text that have no value, e.g. [\"满包邮金额\"].")
    note: str = Field("", description="For the agent, not the buyer (Chinese): e.g. that the product sheet lacks "
                                      "the attribute asked about. Empty when there is nothing to say.")


class SituationHit(ResponseBody):
    id: str
    name: str = Field(description="Chinese name, e.g. 议价.")
    stage: AnyStage
    score: float = Field(description="How likely the segment is this situation.")
    replies: list[ScoredReply]


class Segment(ResponseBody):
    """One intent of the message (a multi-intent message has several)."""

    text: str
    abstained: bool = Field(description="No situation is confident enough.")
    situations: list[SituationHit]


class Result(ResponseBody):
    model_config = _examples(_RESULT, _ABSTAINED)

    message: str
    normalized: str
    stage: AnyStage | None = Field(description="The stage whose situations were favoured (null: none).")
    stage_source: Literal["given", "inferred"] | None = Field(
        description="Where `stage` came from: the request (given), the buyer's earlier messages in `context` "
                    "(inferred), or null.")
    segments: list[Segment]
    suggestions: list[ScoredReply] = Field(description="The best replies over all segments, best first (the "
                                                       "numbered list on the agents' page).")
    abstained: bool = Field(description="true when nothing fits: suggestions is empty.")


class BatchResponse(ResponseBody):
    model_config = _examples({"results": [_RESULT]})

    results: list[Result] = Field(description="One result per message, in order.")


class FeedbackCreated(ResponseBody):
    """For dismissed_all, id, created_at and reply_id are null."""

    model_config = _examples({"id": 1, "created_at": "2024-11-11T08:00:00Z", "reply_id": "bargain-01",
                              "action": "copied"})

    id: int | None
    created_at: str | None = Field(json_schema_extra={"format": "date-time"})
    reply_id: str | None
    action: Literal[ACTIONS]  # type: ignore[valid-type]


class Situation(ResponseBody):
    id: str
    name: str
    stage: AnyStage
    stage_name: str = Field(description="售前, 售中, 售后 or 通用.")
    description: str


class SituationList(ResponseBody):
    model_config = _examples({"situations": [{"id": "bargain", "name": "议价", "stage": "presale",
                                              "stage_name": "售前", "description": "买家要求便宜、打折"}]})

    situations: list[Situation]


class Shop(ResponseBody):
    name: str
    api: str = Field(description="The root of this shop's API: the default shop's routes (suggest, suggest/batch, "
                                 "feedback, situations, replies, products) under it.")
    suggest: str = Field(description="Where this shop's suggestions are asked for.")


class ShopList(ResponseBody):
    model_config = _examples({"shops": [{"name": "shop-a", "api": "/api/v1/shops/shop-a",
                                          "suggest": "/api/v1/shops/shop-a/suggest"}]})

    shops: list[Shop]


class Product(ResponseBody):
    id: str
    name: str
    category: str
    link: str


class ProductList(ResponseBody):
    model_config = _examples({"products": [{"id": "C001", "name": "暖暖加绒连帽卫衣", "category": "服装",
                                            "link": ""}]})

    products: list[Product] = Field(max_length=PRODUCT_SEARCH_LIMIT)


class Reply(ResponseBody):
    model_config = _examples({
        "id": "bargain-02", "situation": "bargain", "situation_name": "议价", "stage": "presale",
        "text": "价格实在改不了啦，{客服名}去帮您跟主管申请个小礼品好吗？", "examples": ["真的不能少吗", "再优惠一点嘛"],
        "tags": ["议价", "赠品"], "shortcut": "yj2", "retired": False,
        "filled": "价格实在改不了啦，小测去帮您跟主管申请个小礼品好吗？", "unfilled": []})

    id: str
    situation: str
    situation_name: str | None
    stage: AnyStage
    text: str = Field(description="As written in the corpus, with {占位符}.")
    examples: list[str] = Field(description="Buyer messages this reply answers.")
    tags: list[str]
    shortcut: str | None
    retired: bool = Field(description="Kept in the corpus but never suggested.")
    filled: str = Field(description="text with the shop profile's values filled in.")
    unfilled: list[str]


class Health(ResponseBody):
    model_config = _examples({"status": "ok"})

    status: Literal["ok"]


class Ready(ResponseBody):
    model_config = _examples({"status": "ready", "situations": 57, "model": "m3e-small"},
                             {"status": "loading", "error": None})

    status: Literal["ready", "loading", "failed"]
    situations: int | None = None
    model: str | None = None
    error: str | None = Field(None, description="Why loading failed (status failed).")
    worker: int | None = Field(None, description="The process that answered: a server runs several workers, each "
                                                 "loading the model, and a deployment may wait for every one.")


class Document(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict
    paths: dict

"""What a product answer is, and how one is written: a template filled with the fact it cites.

Every builder goes through `Builder.make`, so each template text of a key becomes one suggestion and all of them
cite the same fact; the replies that only promise to check (which product? the sheet lacks it) are built here too,
because every step of `answer()` may end in one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ...corpus.products import Product
from .templates import DEFAULT_SITUATION, DEFAULT_TEXTS, PLACEHOLDER, ProductTemplates

KINDS = ("value", "size", "sku", "compare", "ask_product", "unknown_attribute")


@dataclass(frozen=True)
class ProductAnswer:
    kind: str  # one of KINDS
    text: str  # the reply, shop placeholders ({客服名} …) still to be filled like any scripted reply
    product_ids: tuple[str, ...]
    attribute: str | None  # the sheet column (or size-chart measurement) answered, or asked about
    value: str | None  # the fact cited, exactly as it appears in `text`; None when nothing was cited
    confidence: float
    note: str = ""  # for the agent (Chinese): why the reply only says "let me check", which products it might be
    situation: str = DEFAULT_SITUATION.id

    @property
    def needs_check(self) -> bool:
        """True when the reply promises to check rather than answer: the UI should tell the agent."""
        return self.value is None and self.kind in ("size", "ask_product", "unknown_attribute")

    @property
    def sheet_lacks_attribute(self) -> bool:
        return self.kind == "unknown_attribute"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["product_ids"] = list(self.product_ids)
        data["needs_check"] = self.needs_check
        return data


class Builder:
    """Fills templates; one answer per template text, all citing the same fact."""

    def __init__(self, templates: ProductTemplates) -> None:
        self.templates = templates

    def make(self, key: str, kind: str, values: dict[str, str], ids: Sequence[str], attribute: str | None,
             value: str | None, confidence: float, note: str = "") -> list[ProductAnswer]:
        texts = self.templates.texts.get(key) or DEFAULT_TEXTS[key]
        out = []
        for template in texts:
            text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
            out.append(ProductAnswer(kind, text, tuple(ids), attribute, value, round(confidence, 2), note,
                                     self.templates.situation.id))
        return out


def ask(build: Builder, ids: Sequence[str], note: str, foreign: Sequence[str] = ()) -> list[ProductAnswer]:
    """Which product? When the buyer named a kind of product the sheet does not hold (围巾, 冲锋衣), the reply
    says the agent will check whether the shop sells it: never another product's value."""
    if foreign:
        kinds = "、".join(foreign)
        return build.make("unknown_product", "ask_product", {"品类": kinds}, ids, None, None, 0.6,
                          f"买家问的「{kinds}」不是商品表里任何一款商品，店里可能没有卖，请核实后再回复，不要拿别的商品的信息回答")
    return build.make("ask_product", "ask_product", {}, ids, None, None, 0.6, note)


def unknown(build: Builder, products: Sequence[Product], attribute: str, confidence: float) -> list[ProductAnswer]:
    """The sheet does not say: a "let me check" reply and a note, never a guessed value."""
    names = "、".join(p.name for p in products)
    return build.make("unknown_attribute", "unknown_attribute", {"商品名": products[0].name, "属性": attribute},
                      [p.id for p in products], attribute, None, min(confidence, 0.7),
                      f"商品表里「{names}」没有填写「{attribute}」，请核实后再回复，不要猜测")

"""`answer()`: a buyer's message to product answers, one step after another, the first that applies answering.

Steps, in order: two products compared; a size for a body; a measurement of the size chart; a colour or size in
stock (or its price); attributes from the lexicon; a yes/no question echoing a cell. Each step needs the product:
named in the message, given by the caller, or named earlier — and when it cannot be told, or the buyer named a
kind of product the sheet does not sell, the reply asks (ask_product) instead of answering for another product.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...corpus.products import ProductSheet
from .body import parse_normalized
from .compare import compare
from .facts import attribute
from .lexicon import AVAILABLE, BY_NAME, COMPARE, COMPARE_ASKED, PRICE_VETO, SIZE_ASK, TWO, YES_NO, Concept
from .message import asks_measurement, concepts_asked, echoed, prepare
from .replies import Builder, ProductAnswer, ask
from .resolve import CONFIDENCE, resolve
from .sizing import measurement, recommend
from .skus import asks_sku, color_tokens, size_tokens, sku
from .templates import ProductTemplates


def answer(message: str, sheet: ProductSheet, templates: ProductTemplates | None = None, product: str | None = None,
           context: Sequence[str] = ()) -> list[ProductAnswer]:
    """Product answers to a buyer's message, best first; [] when it is not a question about a product's
    attributes (the engine then answers with scripted replies). `product` is the caller's id, link or name of
    the product in view; `context` the buyer's earlier messages, newest last."""
    if not len(sheet) or not message or not message.strip():
        return []
    build = Builder(templates or ProductTemplates())
    msg = prepare(sheet, message)
    if not msg.clauses:
        return []
    resolved = resolve(sheet, msg.reading, product, context)
    products = resolved.products
    ids = [p.id for p in products]
    first = products[0] if products and not resolved.ambiguous else None
    confidence = CONFIDENCE[resolved.source]
    live = msg.live

    def which(note: str, foreign: Sequence[str] = resolved.foreign) -> list[ProductAnswer]:
        return ask(build, ids, note, foreign)

    maybe = "可能是：" + "、".join(p.name for p in products)

    # 0. a kind the sheet does not hold, asked for (「有卖围巾吗」): the agent checks whether the shop sells it
    if resolved.source == "foreign" and any(AVAILABLE.search(c) for c in msg.clauses):
        return which("买家问店里有没有这类商品")

    # 1. two products compared
    if COMPARE.search(live):
        if len(products) >= 2 and not (resolved.ambiguous and not TWO.search(live)):
            concepts = [c for c, _ in concepts_asked(msg, (), ()) if not c.fallthrough]
            return compare(build, products[0], products[1], concepts[0] if concepts else None, confidence)
        if msg.foreign and len(products) == 1:  # 「羊毛围巾和大衣哪个暖和」: one of the two is not in the sheet
            return which("买家在比较的商品有一款不在商品表里", msg.foreign)
        if not products and TWO.search(live) and COMPARE_ASKED.search(live):
            return which("买家在比较两款商品，但没认出是哪两款")

    # 2. which size fits this body
    body = parse_normalized(live)
    if (body.height or body.weight) and SIZE_ASK.search(live):
        if not products:
            return which("买家要尺码推荐，但没认出是哪款商品")
        if resolved.ambiguous:
            return which(maybe)
        return recommend(build, products[0], body, confidence)

    sizes = size_tokens(live, first)
    colors = color_tokens(live, first)
    answers: list[ProductAnswer] = []
    done: set[str] = set()

    # 3. a measurement from the size chart (「M码多长」, 「胸围多少」)
    if any(asks_measurement(plain, masked, sizes) for plain, masked in msg.pairs):
        if not first:
            return which("买家问尺寸，但没认出是哪款商品")
        answers += measurement(build, first, live, sizes, confidence)
        done.add("measure")

    # 4. a colour or size in stock, or its price
    price_asked = any(BY_NAME["价格"].cue.search(c) and not PRICE_VETO.search(c) for c in msg.clauses)
    if (sizes or colors) and not answers and asks_sku(msg.clauses, first, price_asked):
        if not first:
            return which("买家问颜色/尺码有没有货，但没认出是哪款商品")
        if first.skus or first.colors or first.sizes:
            answers += sku(build, first, sizes, colors, bool(price_asked), confidence)
            done.update({"价格", "库存", "颜色", "尺码"})

    # 5. attribute questions from the lexicon
    for concept, clause in concepts_asked(msg, sizes, [w for w, _ in colors]):
        if concept.name in done or (concept.name == "尺码" and "measure" in done):
            continue
        if not products:
            if concept.fallthrough:
                continue
            return which(f"买家问{concept.name}，但没认出是哪款商品")
        if concept.name == "库存" and first and first.skus and not first.attribute("库存"):
            answers += sku(build, first, sizes, colors, False, confidence)  # stock counted per SKU: say which
            done.add(concept.name)
            continue
        answers += attribute(build, products, resolved.ambiguous, concept, confidence, clause)
        done.add(concept.name)

    # 6. a yes/no question echoing a cell (「是内蒙的吗」, 「是90绒的吗」, 「有内衬吗」): answer with the whole cell
    if not answers and products:
        for plain, masked in msg.pairs:
            if not YES_NO.search(masked):
                continue
            columns = {echoed(p, plain, masked) for p in products}
            if len(columns) == 1 and None not in columns:
                column = columns.pop()
                answers += attribute(build, products, resolved.ambiguous,
                                     Concept(column, (column,), re.compile(re.escape(column))), confidence - 0.1)
                break
    return answers

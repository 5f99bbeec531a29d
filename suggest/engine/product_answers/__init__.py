"""Answers to questions about the product itself, from the shop's product sheet — never an invented value.

About one buyer message in six asks for a fact no scripted reply holds: 「M码多长」, 「什么面料」, 「保质期多久」,
「我165 52kg穿什么码」, 「黑色M还有吗」, 「A和B有什么区别」. `answer()` recognises those with an attribute lexicon
(synonyms → sheet columns) and a few question patterns, finds the product (named in the message, given by the
caller, or named earlier in the conversation) and fills a template of corpus/product_replies.yaml with the cell
it found. It returns [] for anything else, so the engine falls through to the scripted replies.

Modules, one job each:
  templates  the reply texts (corpus/product_replies.yaml) and their validation
  replies    ProductAnswer, filling a template, the "which product?" and "let me check" replies
  normalize  buyer text in the lexicon's form (simplified, half-width, no emoji)
  lexicon    attribute concepts and the question, veto and size/colour patterns
  kinds      kind nouns (卫衣, 围巾 …): a product is matched on its kind or an alias, never on a modifier alone
  resolve    which product the buyer means (message, caller, conversation) and unsold kinds named
  message    a message prepared once: products masked, clauses, the questions asked
  body       height and weight as buyers give them
  skus       colours and sizes named, stock (仅剩 N 件 when few left) and price of variants
  sizing     size-chart measurements and size recommendations
  facts      a cell cited as the answer, or unknown_attribute
  compare    two products side by side
  core       answer(): the steps above in order
Everything is regular expressions compiled at import and dictionary look-ups: well under a millisecond.
"""

from __future__ import annotations

from .body import Body, parse_body
from .core import answer
from .replies import KINDS, ProductAnswer
from .templates import DEFAULT_SITUATION, DEFAULT_TEXTS, REPLIES_FILE, TEMPLATE_KEYS, ProductTemplates, load_templates

__all__ = ["Body", "DEFAULT_SITUATION", "DEFAULT_TEXTS", "KINDS", "REPLIES_FILE", "TEMPLATE_KEYS", "ProductAnswer",
           "ProductTemplates", "answer", "load_templates", "parse_body"]

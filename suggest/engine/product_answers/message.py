"""A buyer message prepared once for every step of `answer()`: normalised, the products it names masked out (□),
cut into clauses, the clauses about shipping, money or quality dropped; and the questions its clauses ask.

Masking matters because product names are full of attribute words: 「纯棉T恤有货吗」 is not about cotton, while
「是纯羊绒吗」 of 羊绒衫 is. A question needs a question cue (吗, 多少, 什么, 几, A不A …) or to be the bare attribute
word (「保质期」), so 「面料很舒服」 never fires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...corpus.products import Mention, Product, ProductSheet, fold
from .lexicon import AFTERSALE, CONCEPTS, FILLERS, MEASURE_NAME, MEASURE_VAGUE, PRICE_VETO, QUESTION, SPLIT, VETO, \
    Concept
from .normalize import normalize
from .resolve import Reading, read


@dataclass
class Message:
    """A buyer message prepared once: normalised, products (and kinds of product not sold) masked out (□), cut
    into clauses, and the clauses about shipping, refunds or bargaining dropped."""

    text: str
    masked: str
    pairs: list[tuple[str, str]]  # (clause as written, the same clause with product names masked)
    reading: Reading = field(default_factory=Reading)

    @property
    def mentions(self) -> list[Mention]:
        return self.reading.mentions

    @property
    def foreign(self) -> tuple[str, ...]:
        """Kinds of product named that the sheet does not sell."""
        return self.reading.foreign

    @property
    def clauses(self) -> list[str]:
        return [masked for _, masked in self.pairs]

    @property
    def live(self) -> str:
        return " ".join(self.clauses)


def prepare(sheet: ProductSheet, message: str) -> Message:
    text = normalize(message)
    if AFTERSALE.search(text):
        return Message(text, text, [])
    reading = read(sheet, text)
    named = _mask(text, reading.mentions)  # the veto reads past product names, never past other words
    masked = _mask(named, reading.unsold)
    pairs = []
    start = 0
    for gap in [*SPLIT.finditer(masked), None]:
        end = gap.start() if gap else len(masked)
        if end > start and not VETO.search(named[start:end]):
            pairs.append((text[start:end], masked[start:end]))
        start = gap.end() if gap else end
    return Message(text, masked, pairs, reading)


def _mask(text: str, mentions: Sequence[Mention]) -> str:
    chars = list(text)
    for mention in mentions:
        chars[mention.start:mention.end] = "□" * (mention.end - mention.start)
    return "".join(chars)


def cue(pattern: re.Pattern, plain: str, masked: str) -> tuple[int, int] | None:
    """Where the pattern asks in the clause; a match lying wholly inside a product's name does not ask
    (「纯棉T恤有货吗」 is not about cotton), one that reaches past it does (「是纯羊绒吗」 of 羊绒衫)."""
    for match in pattern.finditer(plain):
        if any(masked[i] != "□" for i in range(match.start(), match.end())):
            return match.span()
    return None


def is_question(clause: str, span: tuple[int, int], remove: Sequence[str] = ()) -> bool:
    """A clause asks when it has a question cue, or is nothing but the attribute word (「保质期」)."""
    if QUESTION.search(clause):
        return True
    rest = clause[:span[0]] + clause[span[1]:]
    for word in remove:
        rest = rest.replace(word, "")
    return not FILLERS.sub("", rest).strip()


def concepts_asked(msg: Message, sizes: Sequence[str], colors: Sequence[str]) -> list[tuple[Concept, str]]:
    """(concept, the clause asking it) for each attribute the message asks about, in the order asked."""
    found: list[tuple[Concept, str]] = []
    for plain, masked in msg.pairs:
        for concept in CONCEPTS:
            if concept.whole and not concept.cue.fullmatch(FILLERS.sub("", masked)):
                continue
            span = cue(concept.cue, plain, masked)
            if span and concept.name == "价格" and PRICE_VETO.search(masked):
                continue
            if span and is_question(masked, span, [*sizes, *colors]):
                if all(concept.name != c.name for c, _ in found):
                    found.append((concept, masked))
                break
    return found


def asks_measurement(plain: str, masked: str, sizes: Sequence[str]) -> bool:
    span = cue(MEASURE_NAME, plain, masked)
    if span is None and not any(c.cue.search(plain) for c in CONCEPTS):
        span = cue(MEASURE_VAGUE, plain, masked)
    return span is not None and is_question(masked, span, sizes)


_ECHO_COLUMNS = ("材质", "面料", "成分", "填充物", "产地", "原产地", "配料", "配料表", "规格", "净含量")
_ECHO_STOP = frozenset({"正常", "真的", "新的", "好的", "一样", "对的", "正品", "同一", "可以", "适合", "这样", "那样"})
_ECHO = re.compile(r"是(?:不是)?([^□是吗么嘛]{2,6}?)(?:的|产的|做的)?[吗么嘛]")
# 「有内衬吗」, 「有没有核桃」: a part or an ingredient, answered only by a cell that names it.
_ECHO_HAS = re.compile(r"(?:有没有|有木有|带不带|有|带)([^□有吗么嘛不没的\s]{2,4}?)(?:的)?(?:[吗么嘛不没]|$)")


def _found_in(product: Product, word: str, columns: Sequence[str]) -> str | None:
    """The first column whose cell holds the word, or all but one character of it."""
    for size in range(len(word), max(len(word) - 1, 2) - 1, -1):
        for start in range(len(word) - size + 1):
            piece = word[start:start + size]
            column = next((c for c in columns if piece in fold(product.attributes.get(c, ""))), None)
            if column:
                return column
    return None


def echoed(product: Product, plain: str, masked: str) -> str | None:
    """The fact column a yes/no question echoes: 「是内蒙的吗」 → 产地 内蒙古锡林郭勒 (the words between 是 and 吗,
    all but one character of them, inside one of the product's fact cells); 「有内衬吗」, 「肉松卷有没有海苔」 → the
    cell naming 内衬 or 海苔 (a part or an ingredient may also be a piece of a product's name)."""
    match = _ECHO.search(masked)
    if match and match.group(1) not in _ECHO_STOP:
        return _found_in(product, match.group(1), _ECHO_COLUMNS)
    match = _ECHO_HAS.search(plain)
    if match:
        columns = (*_ECHO_COLUMNS, *(c for c in product.attributes if c not in _ECHO_COLUMNS))
        return next((c for c in columns if match.group(1) in fold(product.attributes.get(c, ""))), None)
    return None


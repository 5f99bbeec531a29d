"""Which product a buyer means: named in the message, given by the caller, or named earlier in the conversation.

A name fragment counts only when it rests on the product's kind noun or an alias (see kinds.py): 「羊毛围巾」
names no product of a sheet selling 羊毛大衣, and 「儿童羽绒服」 not the women's down jacket. A kind noun the sheet
does not sell is reported as `foreign`; it then outweighs the caller's product and the conversation, since the
buyer is plainly asking about something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ...corpus.products import Mention, Product, ProductSheet
from .kinds import Kinds, audience_before, kinds_of
from .lexicon import CONCEPTS, WORN_WITH
from .normalize import normalize


@dataclass(frozen=True)
class Reading:
    """The products a text names (mentions, narrowed to the products their kind allows) and the product kinds it
    names that the sheet does not sell."""

    mentions: list[Mention] = field(default_factory=list)
    unsold: list[Mention] = field(default_factory=list)  # where it names them; no product ids

    @property
    def foreign(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.term for m in self.unsold))


@dataclass(frozen=True)
class _Phrase:
    """A buyer's product noun: kind nouns in a row (「短袖衬衫」), the last one its head."""

    start: int
    end: int
    words: tuple[str, ...]
    audience: str | None
    said_from: int  # where the buyer's wording of it starts (an audience word or a modifier before it)


def _phrases(kinds: Kinds, text: str, skip: set[int]) -> list[_Phrase]:
    """Kind nouns in a row make one noun (「短袖衬衫」 is a shirt, 「短袖t恤」 the T-shirt) unless each names a
    different product the sheet sells (「卫衣羽绒服哪个暖和」 lists two)."""
    found: list[_Phrase] = []
    for start, end, word in kinds.scan(text):
        if start in skip:
            continue
        last = found[-1] if found else None
        if last and (start == last.end or (start == last.end + 1 and text[last.end] == "的")) \
                and (not kinds.sold(word) or kinds.meant((*last.words, word), last.audience)):
            found[-1] = replace(last, end=end, words=(*last.words, word))
            continue
        audience = audience_before(text, start)
        found.append(_Phrase(start, end, (word,), audience[0] if audience else None,
                             audience[1] if audience else start))
    return found


def _worn_with(text: str) -> set[int]:
    """Where a garment worn with the product starts (「大衣里面能穿毛衣吗」: the 毛衣 is not asked about)."""
    return {m.end() for m in WORN_WITH.finditer(text)}


def _attached(text: str, mention: Mention, at: int) -> bool:
    """Whether the mention stands right before position `at` (「羊毛围巾」, 「羊毛的围巾」)."""
    return mention.end == at or (mention.end + 1 == at and text[mention.end] == "的")


def _on_phrase(kinds: Kinds, text: str, raw: list[Mention], used: set[int],
               phrase: _Phrase) -> tuple[list[Mention], Mention | None]:
    """The mentions a buyer's product noun holds or is preceded by, narrowed to the products that noun may be;
    and the noun itself when no product is (「羊毛围巾」, 「儿童羽绒服」, 「猪肉干」)."""
    before = next((i for i, m in enumerate(raw) if i not in used and _attached(text, m, phrase.said_from)), None)
    inside = [i for i, m in enumerate(raw) if i not in used and m.start < phrase.end and m.end > phrase.start]
    allowed = kinds.meant(phrase.words, phrase.audience)
    if before is not None:
        allowed &= set(raw[before].product_ids)
    found = []
    for i in ([before] if before is not None else []) + inside:
        used.add(i)
        ids = tuple(pid for pid in raw[i].product_ids if pid in allowed)
        if ids:
            found.append(replace(raw[i], product_ids=ids))
    plain = phrase.audience is None and before is None and len(phrase.words) == 1
    if allowed or (plain and kinds.sold(phrase.words[0])):
        return found, None
    start = raw[before].start if before is not None else phrase.said_from
    return found, Mention(start, phrase.end, text[start:phrase.end], ())


def _standing_alone(sheet: ProductSheet, kinds: Kinds, text: str, mention: Mention) -> Mention | None:
    """A mention outside any product noun: a whole name, alias or id counts, and so does any fragment of a product
    with no known kind; a bare modifier (「五香的」) only beside its product's kind (「麻辣牛肉干跟五香的比」)."""
    if mention.term in sheet.exact_terms or any(not kinds.has_kind(pid) for pid in mention.product_ids):
        return mention
    rest = text[:mention.start] + "□" + text[mention.end:]
    ids = tuple(pid for pid in mention.product_ids if any(k in rest for k in kinds.of[pid]))
    return replace(mention, product_ids=ids) if ids else None


def read(sheet: ProductSheet, text: str) -> Reading:
    """The products a normalised text names, resting on kind nouns and aliases (see the module's docstring)."""
    kinds = kinds_of(sheet)
    skip = _worn_with(text)
    raw = [m for m in sheet.mentions(text) if m.start not in skip
           and (m.term in sheet.exact_terms or not any(c.cue.fullmatch(m.term) for c in CONCEPTS))]
    accepted: list[Mention] = []
    unsold: list[Mention] = []
    used: set[int] = set()
    for phrase in _phrases(kinds, text, skip):
        found, foreign = _on_phrase(kinds, text, raw, used, phrase)
        accepted += found
        unsold += [foreign] if foreign else []
    alone = (_standing_alone(sheet, kinds, text, m) for i, m in enumerate(raw) if i not in used)
    accepted += [m for m in alone if m]
    accepted.sort(key=lambda m: (-(m.end - m.start), m.start))
    return Reading(accepted, unsold)


@dataclass(frozen=True)
class Resolved:
    products: tuple[Product, ...]
    source: str  # message | caller | context | foreign | none
    ambiguous: bool = False
    foreign: tuple[str, ...] = ()  # product kinds named that the sheet does not sell


CONFIDENCE = {"message": 0.95, "caller": 0.9, "context": 0.8, "foreign": 0.5, "none": 0.5}


def _from_mentions(sheet: ProductSheet, found: list[Mention]) -> tuple[tuple[Product, ...], bool] | None:
    unique = [m.product_ids[0] for m in found if len(m.product_ids) == 1]
    if unique:
        return tuple(sheet.products[p] for p in dict.fromkeys(unique)), False
    if found:
        return tuple(sheet.products[p] for p in found[0].product_ids), True
    return None


def resolve(sheet: ProductSheet, reading: Reading, product: str | None, context: Sequence[str]) -> Resolved:
    """The product(s) the buyer means: named now, else — unless the buyer named a kind the sheet does not sell —
    given by the caller, or named earlier (newest first)."""
    now = _from_mentions(sheet, reading.mentions)
    if now:
        return Resolved(now[0], "message", now[1])
    if reading.foreign:
        return Resolved((), "foreign", foreign=reading.foreign)
    if product:
        given = sheet.candidates(product)
        if given:
            return Resolved(tuple(given), "caller", len(given) > 1)
    for earlier in reversed(list(context)):
        found = _from_mentions(sheet, read(sheet, normalize(earlier)).mentions)
        if found:
            return Resolved(found[0], "context", found[1])
    return Resolved((), "none")


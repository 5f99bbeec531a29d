"""Buyer text in the one form every pattern of the product lexicon is written for.

Buyers type traditional characters, full-width letters and emoji; the lexicon is simplified, half-width and lower
case. This is not the engine's retrieval normalisation (suggest.engine.text), which also drops fillers: here the
positions of product names must stay where they are.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D\u20E3\u2B00-\u2BFF]+|\\[[\u4e00-\u9fff]{1,6}\\]")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str] | None:
    """The characters the converter changes, read from its own character table (None: no table, convert all)."""
    import opencc

    table = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    if not table.is_file():  # pragma: no cover - another build of opencc
        return None
    chars = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and targets.split(" ")[0] != source:
            chars.add(source)
    return frozenset(chars)


def normalize(message: str) -> str:
    """NFKC, simplified characters, no emoji, lower case. The pure-Python converter is slow, so it runs only on
    messages holding a traditional character."""
    text = unicodedata.normalize("NFKC", message or "")
    traditional = _traditional()
    if traditional is None or not traditional.isdisjoint(text):
        text = _t2s().convert(text)
    return _EMOJI.sub(" ", text).lower()

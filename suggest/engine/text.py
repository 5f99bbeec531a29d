"""Normalisation of buyer messages: pure functions, applied identically to corpus examples and to queries.

Buyers type traditional characters, full-width letters, emoji, chat emoticon codes like [流泪], pinyin
abbreviations (kd, tk, fh) and fillers (亲, 在吗 …). All of that is noise for retrieval, but meaning must survive:
a message that is *only* a greeting keeps it, and negations are never touched.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import opencc

_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\U00002B00-\U00002BFF"
    "\U0000FE0F\U0000200D\U000020E3\U0001F1E6-\U0001F1FF]+"
)
_EMOTICON = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]|/:[A-Za-z]{1,8}|\^_\^|T_T|QAQ|orz", re.IGNORECASE)
_REPEATED_PUNCT = re.compile(r"([!?,.~。！？，、…~\-])\1+")
_SPACES = re.compile(r"\s+")
_ASCII_WORD = re.compile(r"[A-Za-z]+")
# Openers a buyer puts before the real question; removed only when something meaningful follows.
_FILLER = re.compile(r"^(?:(?:亲亲|亲爱的|亲|在吗|在不在|在不|在么|你好|您好|哈喽|hello|hi|老板|掌柜的|掌柜|客服|请问|问一下|问下)[\s,，!！?？~。]*)+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """Pinyin-initial shorthands buyers use (kd → 快递); editable data, not code."""
    table: dict[str, str] = {}
    text = resources.files("suggest.data").joinpath("abbreviations.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            short, full = line.split("\t")[:2]
            table[short.strip().lower()] = full.strip()
    return table


def _expand_abbreviation(match: re.Match) -> str:
    word = match.group(0)
    return abbreviations().get(word.lower(), word)


def normalize(message: str) -> str:
    """The canonical form used for retrieval and caching."""
    text = unicodedata.normalize("NFKC", message)
    text = _converter().convert(text)
    text = _EMOTICON.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _ASCII_WORD.sub(_expand_abbreviation, text)
    text = _SPACES.sub(" ", text).strip()
    if not any(ch.isalnum() for ch in text):  # only punctuation or symbols left: nothing to retrieve with
        return ""
    stripped = _FILLER.sub("", text).strip()
    if len(stripped) >= 4:  # "在吗" alone, or "在不在 问个事", is itself the greeting
        text = stripped
    return text.lower()

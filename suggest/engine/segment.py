"""Word segmentation for the lexical index: a private jieba tokenizer with the shop-domain dictionary.

jieba's module-level functions share one global tokenizer; ours is private so that the user dictionary
(包邮, 七天无理由, 花呗 …) never leaks into, or depends on, other code in the process.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from importlib import resources

import jieba

_STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 哦 哈 嘛 么 啦 哟 额 嗯 我 你 您 他 她 它 们 是 在 就 都 也 还 这 那 个 一 下 有 和 与 "
    "亲 请问 一下 这个 那个 可以 能 会 要 给 把 被 对 吗 呗 咋 怎么 什么".split()
)
# Negations carry meaning for buyers ("不要顺丰" is not "要顺丰"): they are never stopwords.
NEGATIONS = frozenset("不 没 别 无 非 未 不要 不想 不用 没有 别发 不能 不会".split())
TOKENS_VERSION = 1  # raise it when tokens() cuts the same text otherwise: indexes then segment their texts anew


class Segmenter:
    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        # an open file, closed here: given a path, jieba opens the file and never closes it
        with resources.files("suggest.data").joinpath("userdict.txt").open("rb") as handle:
            dictionary = handle.read()
        self._tokenizer.load_userdict(dictionary.decode("utf-8").splitlines())
        # What decides tokens(): an index keeps its texts' tokens under this stamp, and they are used while it holds
        digest = hashlib.sha256(dictionary + " ".join(sorted(_STOPWORDS)).encode()).hexdigest()[:16]
        self.stamp = f"{TOKENS_VERSION}:jieba {jieba.__version__}:{digest}"

    def words(self, text: str) -> list[str]:
        """All words, for clause splitting and display."""
        return [w for w in self._tokenizer.lcut(text) if w.strip()]

    def tokens_of(self, texts) -> dict[str, list[str]]:
        """Each distinct text's tokens."""
        return {t: self.tokens(t) for t in dict.fromkeys(texts)}

    def tokens(self, text: str) -> list[str]:
        """Index terms: words without stopwords and punctuation, negations kept."""
        out = []
        for word in self._tokenizer.lcut(text):
            word = word.strip()
            if not word or word in _STOPWORDS or not any(ch.isalnum() for ch in word):
                continue
            out.append(word)
        return out


@lru_cache(maxsize=1)
def default_segmenter() -> Segmenter:
    """One per process: loading the dictionary costs about a second."""
    return Segmenter()

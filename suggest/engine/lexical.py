"""The lexical index: BM25 (bm25s, Lucene variant: never negative on a tiny corpus) over jieba tokens."""

from __future__ import annotations

import logging

import bm25s
import numpy as np

from .segment import Segmenter


logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    def __init__(self, texts: list[str], segmenter: Segmenter, previous: "LexicalIndex | None" = None) -> None:
        """`previous`: the index before a corpus change, whose tokens are reused (segmenting is most of the cost)."""
        self._segmenter = segmenter
        known = previous._tokens if previous is not None else {}
        self._tokens = {t: known.get(t) or segmenter.tokens(t) or ["∅"] for t in dict.fromkeys(texts)}
        tokens = [self._tokens[t] for t in texts]
        self._retriever = bm25s.BM25(method="lucene")
        self._retriever.index(tokens, show_progress=False)
        self._size = len(texts)

    def scores(self, text: str) -> np.ndarray:
        """One BM25 score per indexed text (zeros when no query term is known)."""
        tokens = self._segmenter.tokens(text)
        if not tokens:
            return np.zeros(self._size, dtype=np.float32)
        vocab = self._retriever.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def top(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the `k` best-scoring texts that share a term with `text`, and their scores (unordered)."""
        scores = self.scores(text)
        matched = np.flatnonzero(scores > 0)
        if len(matched) > k:
            matched = matched[np.argpartition(-scores[matched], k - 1)[:k]]
        return matched, scores[matched]

"""The lexical index: BM25 (bm25s, Lucene variant: never negative on a tiny corpus) over jieba tokens.

Indexing every text costs what the corpus costs (seconds at 100,000 texts), too much for each editor's save.
So a corpus change re-indexes nothing: the texts gone are left out of the results, and the texts added are
scored apart with the base index's own statistics (its number of texts, document frequencies and average
length), the way a small segment added to a Lucene index is, so their scores compare with the base's. The
whole is indexed anew once the changes pass `drift.REBUILD_SHARE` of the texts.
"""

from __future__ import annotations

import logging
import math
from collections import Counter

import bm25s
import numpy as np

from .drift import rebuild_due
from .segment import Segmenter


logging.getLogger("bm25s").setLevel(logging.WARNING)
EMPTY = ["∅"]  # the terms of a text that has none (bm25s indexes no empty text)


class _Base:
    """One bm25s index over the texts of the moment it was built, with the statistics added texts need."""

    def __init__(self, keys: list[int], texts: list[str], tokens: list[list[str]]) -> None:
        order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
        self._keys, self._rows, self._texts = np.asarray(keys, dtype=np.int64)[order], order, texts
        self.size = len(tokens)
        self.retriever = bm25s.BM25(method="lucene")
        self.retriever.index(tokens, show_progress=False)
        self.vocab: dict[str, int] = self.retriever.vocab_dict
        self.document_frequency = Counter(term for terms in tokens for term in set(terms))
        self.average_length = sum(map(len, tokens)) / max(len(tokens), 1)

    def rows_of(self, keys: list[int], texts: list[str]) -> np.ndarray:
        """Each text's row here, or -1 where this index lacks it (its key unknown, or given to another text)."""
        if not self.size:
            return np.full(len(keys), -1, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys, keys), self.size - 1)
        rows = np.where(self._keys[at] == keys, self._rows[at], -1)
        known = np.flatnonzero(rows >= 0)
        base_texts = self._texts
        other = [i for i, row in zip(known.tolist(), rows[known].tolist()) if base_texts[row] != texts[i]]
        rows[other] = -1
        return rows

    def term_weight(self, tf: int, length: int) -> float:
        """bm25s's Lucene term-frequency part, with this index's average length."""
        k1, b = self.retriever.k1, self.retriever.b
        return tf / (k1 * ((1 - b) + b * length / self.average_length) + tf)


def _idf(documents: int, frequency: int) -> float:
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


class LexicalIndex:
    def __init__(self, keys: list[int], texts: list[str], segmenter: Segmenter,
                 previous: "LexicalIndex | None" = None, tokens: dict[str, list[str]] | None = None) -> None:
        """`keys`: each text's id (its vector id), by which, with the text, the texts of `previous`, the index
        before a corpus change, are known again; their tokens are reused (segmenting is most of the cost) and so is its
        base index while the changes stay small. `tokens`: texts already cut by this segmenter (kept with the
        index), for an index loaded anew."""
        self._segmenter = segmenter
        if previous is not None:  # its terms, with those of the texts added (a text gone stays until a rebuild)
            self._tokens = dict(previous._tokens)
        else:
            self._tokens = {t: terms or EMPTY for t, terms in (tokens or {}).items()}
        for text in texts:
            if text not in self._tokens:
                self._tokens[text] = segmenter.tokens(text) or EMPTY
        self._size = len(texts)
        base = previous._base if previous is not None else None
        if base is not None:
            rows = base.rows_of(keys, texts)
            kept = int((rows >= 0).sum())
            if rebuild_due((len(texts) - kept) + (base.size - kept), len(texts)):
                base = None
        if base is None:
            self._tokens = {t: self._tokens[t] for t in texts}
            base = _Base(keys, texts, [self._tokens[t] for t in texts])
            rows = np.arange(len(texts), dtype=np.int64)
        self._base = base
        self._kept = np.flatnonzero(rows >= 0)
        self._kept_base = rows[self._kept]
        self._whole = len(self._kept) == base.size == len(texts)  # rows are the base's own: nothing to map
        self.added = self._postings(np.flatnonzero(rows < 0), texts)

    def _postings(self, rows: np.ndarray, texts: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Term -> (rows, BM25 weights) of the texts added since the base was built."""
        base = self._base
        counts = [Counter(self._tokens[texts[row]]) for row in rows]
        outside = Counter(term for terms in counts for term in terms if term not in base.vocab)
        found: dict[str, tuple[list[int], list[float]]] = {}
        for row, terms in zip(rows.tolist(), counts):
            length = sum(terms.values())
            for term, tf in terms.items():
                idf = _idf(base.size, base.document_frequency[term]) if term in base.vocab \
                    else _idf(base.size + len(rows), outside[term])
                rows_of, weights = found.setdefault(term, ([], []))
                rows_of.append(row)
                weights.append(idf * base.term_weight(tf, length))
        return {term: (np.array(r, dtype=np.int64), np.array(w, dtype=np.float32)) for term, (r, w) in found.items()}

    def scores(self, text: str) -> np.ndarray:
        """One BM25 score per indexed text (zeros when no query term is known)."""
        tokens = self._segmenter.tokens(text)
        in_base = [self._base.vocab[t] for t in tokens if t in self._base.vocab]
        found = np.asarray(self._base.retriever.get_scores(in_base), dtype=np.float32) if in_base else None
        if found is not None and self._whole:
            out = found  # not another array as long as the corpus (100,000 texts: 0.1 ms a text to clear)
        else:
            out = np.zeros(self._size, dtype=np.float32)
            if found is not None:
                out[self._kept] = found[self._kept_base]
        for token in tokens:
            if token in self.added:
                rows, weights = self.added[token]
                out[rows] += weights
        return out

    def matches(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows of every text that shares a term with `text` (ascending), and their scores."""
        scores = self.scores(text)
        matched = np.flatnonzero(scores > 0)
        return matched, scores[matched]

    def top(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the `k` best-scoring texts that share a term with `text`, and their scores (unordered)."""
        return best(*self.matches(text), k)


def best(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best-scoring of these rows, and their scores (unordered)."""
    if len(rows) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[keep], scores[keep]
    return rows, scores

"""Situation scores for buyer messages: nearest examples (FAISS), BM25, two situation models, what agents taught.

A message is compared with its nearest candidates, not with every indexed text: the dense index's top
`retrieval_candidates`, reduced to one best similarity per situation. A situation none of whose texts is among the
candidates is at most as similar as the last candidate, and at least as its nearest prototype (`prototypes`): it
gets the lesser of the two. So the cost after the embedding grows with the candidates and the number of
situations, not with the corpus. BM25 scores every text sharing a term anyway (bm25s's way), so its best per
situation is taken over all of them, and its top `retrieval_candidates` are the candidates for ranking replies.
`retrieval_candidates = 0` scores every indexed text (the exhaustive reference `suggest bench --scale` compares
against).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .build import BuiltIndex
from .embed import Embedder
from .lexical import LexicalIndex, best
from .segment import Segmenter
from ..settings import Settings

LEARNED_SIMILARITY = 0.85  # from here on a learned message adds to its situation's score, fully at 1.0
LEARNED_BOOST = 0.3
DISMISSED_SIMILARITY = 0.9  # a dismissal counts against messages at least this similar to the dismissed one
DISMISSED_PENALTY = 0.15  # taken off the situation's score per such dismissal (at most three)


@dataclass(frozen=True)
class Weights:
    """How the three kinds of evidence are mixed; the baselines in `suggest eval` are other weights."""

    knn: float
    classifier: float
    lexical: float
    chars: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "Weights":
        return cls(settings.weight_knn, settings.weight_classifier, settings.weight_lexical, settings.weight_chars)


@dataclass(frozen=True)
class Learned:
    """What agents' choices taught, laid over the index without a refit: learned buyer messages per situation
    (nearest-example evidence, like the corpus's own examples) and dismissed (message, situation) pairs, which
    count against that situation for messages nearly the same."""

    situations: tuple[str, ...] = ()
    vectors: np.ndarray | None = None  # (learned, dim)
    dismissed_situations: tuple[str, ...] = ()
    dismissed_vectors: np.ndarray | None = None  # (dismissed, dim)


@dataclass
class Scores:
    """Per text: fused situation scores (over labels), each situation's best example similarity, and what is
    needed to rank one situation's replies (`fit`)."""

    situations: np.ndarray  # (n, labels)
    knn: np.ndarray  # (n, labels): cosine of each situation's nearest indexed text (a bound where not a candidate)
    queries: np.ndarray  # (n, dim)
    lex: list[tuple[np.ndarray, np.ndarray]]  # per text: BM25 candidates' rows (ascending) and scores in [0, 1]
    dense_rows: np.ndarray  # (n, candidates): the dense candidates' rows

    def near(self, texts: list[int]) -> np.ndarray:
        """Rows among the candidates of these texts (dense or BM25), ascending."""
        return np.unique(np.concatenate([self.dense_rows[texts].ravel(), *(self.lex[t][0] for t in texts)]))


def _best_per_label(labels: np.ndarray, values: np.ndarray, n_labels: int, fill: np.ndarray) -> np.ndarray:
    """(n, n_labels): per row of `labels`/`values` (candidates), each label's largest value, else `fill` (per
    row, or per row and label)."""
    fill = fill.astype(np.float32)
    out = np.array(np.broadcast_to(fill if fill.ndim == 2 else fill[:, None], (len(fill), n_labels)))
    rows = np.repeat(np.arange(labels.shape[0]), labels.shape[1])
    np.maximum.at(out, (rows, labels.ravel()), values.ravel().astype(np.float32))
    return out


class Scorer:
    """Scores against one index; built with each snapshot, never changed after (learned examples make a copy)."""

    def __init__(self, settings: Settings, embedder: Embedder, segmenter: Segmenter, index: BuiltIndex,
                 previous: "Scorer | None" = None) -> None:
        """`previous`: the scorer before a corpus change, whose work is reused where the change leaves it valid
        (segmented texts)."""
        self.settings = settings
        self.embedder = embedder
        self.index = index
        entries = index.entries
        self.labels = labels = index.classifier.classes
        label_of = {label: i for i, label in enumerate(labels)}
        self.entry_label = np.array([label_of[e.situation] for e in entries], dtype=np.int64)
        self.vid_row = np.full(max((e.vid for e in entries), default=0) + 1, -1, dtype=np.int64)
        self.vid_row[[e.vid for e in entries]] = np.arange(len(entries))
        self.row_vid = np.array([e.vid for e in entries], dtype=np.int64)
        self.lexical = LexicalIndex([e.vid for e in entries], [e.text for e in entries], segmenter,
                                    previous.lexical if previous else None,
                                    index.tokens if index.token_stamp == segmenter.stamp else None)
        self.chars = index.chars
        self._lay(Learned())

    def with_learned(self, learned: Learned) -> "Scorer":
        other = copy.copy(self)
        other._lay(learned)
        return other

    def _lay(self, learned: Learned) -> None:
        label_of = {label: i for i, label in enumerate(self.labels)}
        keep = [i for i, sid in enumerate(learned.situations) if sid in label_of]
        self.learned_vectors = learned.vectors[keep] if keep else None
        self.learned_labels = np.array([label_of[learned.situations[i]] for i in keep], dtype=np.int64)
        drop = [i for i, sid in enumerate(learned.dismissed_situations) if sid in label_of]
        self.dismissed_vectors = learned.dismissed_vectors[drop] if drop else None
        self.dismissed_rows = np.array([label_of[learned.dismissed_situations[i]] for i in drop], dtype=np.int64)
        self.learned = learned

    def _candidates(self) -> int:
        size = len(self.index.entries)
        wanted = self.settings.retrieval_candidates
        return size if wanted <= 0 else min(wanted, size)

    def _dense(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each situation's best cosine among the dense candidates (where it has none, the last candidate's or its
        nearest prototype's, the lesser), and the candidates' rows."""
        k = self._candidates()
        found, ids = self.index.dense.search(queries, k, exact=self.settings.retrieval_candidates <= 0)
        found = np.where(ids >= 0, found, -1.0)  # an approximate index may find fewer than asked
        rows = self.vid_row[np.maximum(ids, 0)]
        bound = found.min(axis=1, keepdims=True)
        floor = self.index.prototypes.floor(queries)
        fill = np.where(floor > -np.inf, np.minimum(floor, bound), bound)
        return _best_per_label(self.entry_label[rows], found, len(self.labels), fill), rows

    def _lexical(self, texts: list[str]) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Each situation's best BM25 score, scaled to [0, 1] per text, and the lexical candidates. BM25 scores
        every text sharing a term anyway, so the best per situation is taken over all of them: a situation whose
        texts are crowded out of the candidates by another's near-copies (a grown corpus) keeps its evidence."""
        k = self._candidates()
        per_label = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        found: list[tuple[np.ndarray, np.ndarray]] = []
        for i, text in enumerate(texts):
            rows, scores = self.lexical.matches(text)
            scaled = (scores / max(float(scores.max()) if len(scores) else 0.0, 1e-6)).astype(np.float32)
            if len(rows):
                np.maximum.at(per_label[i], self.entry_label[rows], scaled)
            rows, scaled = best(rows, scaled, k)
            order = np.argsort(rows, kind="stable")
            found.append((rows[order], scaled[order]))
        return per_label, found

    def score(self, texts: list[str], weights: Weights | None = None,
              spans: list[tuple[int, int]] | None = None) -> Scores:
        """Fused situation scores for normalised texts, in [0, 1]: 1 when every kind of evidence is certain.
        `spans`: where `texts[1:]` (a message's clauses) lie in `texts[0]`, to embed them within it."""
        weights = weights or Weights.from_settings(self.settings)
        queries = self.embedder.encode_in_context(texts, spans) if spans else self.embedder.encode_cached(texts)
        knn_raw, dense_rows = self._dense(queries)
        lex_per_label, lex = self._lexical(texts)
        n_labels = len(self.labels)
        fused = np.zeros((len(texts), n_labels), dtype=np.float32)
        knn = knn_raw
        if weights.knn:
            if self.learned_vectors is not None:  # what agents' choices taught counts like the corpus's examples
                sims = queries @ self.learned_vectors.T
                labels = np.broadcast_to(self.learned_labels, sims.shape)
                learned = _best_per_label(labels, sims, n_labels, np.full(len(texts), -1.0))
                knn = np.maximum(knn, learned)
                # and a message nearly the same as one agents answered is answered the same way
                recall = np.clip((learned - LEARNED_SIMILARITY) / (1.0 - LEARNED_SIMILARITY), 0.0, 1.0)
            soft = knn / self.settings.knn_temperature
            soft = np.exp(soft - soft.max(axis=1, keepdims=True))
            fused += weights.knn * soft / soft.sum(axis=1, keepdims=True)
        if weights.classifier:
            fused += weights.classifier * self.index.classifier.probabilities(queries)
        if weights.lexical:
            fused += weights.lexical * lex_per_label
        if weights.chars:
            fused += weights.chars * self.chars.probabilities(texts)
        total = weights.knn + weights.classifier + weights.lexical + weights.chars
        fused = fused / max(total, 1e-6)
        if weights.knn and self.learned_vectors is not None:
            fused = fused + LEARNED_BOOST * recall
        if self.dismissed_vectors is not None:
            near = (queries @ self.dismissed_vectors.T) >= DISMISSED_SIMILARITY  # (texts, dismissed)
            counts = np.zeros_like(fused)
            for j, row in enumerate(self.dismissed_rows):
                counts[:, row] += near[:, j]
            fused = np.maximum(fused - DISMISSED_PENALTY * np.minimum(counts, 3), 0.0)
        return Scores(fused, knn_raw, queries, lex, dense_rows)

    def fit(self, scores: Scores, texts: list[int], rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """How close each of some replies is to the given texts: its best row's cosine plus a tenth of its best
        scaled BM25, the best over the texts. `rows`: the replies' index rows, reply after reply, `lengths` of
        them each. The candidates say which situations; this says which of their replies."""
        fit = np.zeros(len(lengths), dtype=np.float32)
        if not len(rows):
            return fit
        sims = (scores.queries[texts] @ self.index.dense.vectors(self.row_vid[rows]).T).max(axis=0)
        lex = np.zeros(len(rows), dtype=np.float32)
        for t in texts:  # each row's scaled BM25 where it is a candidate of text t, the best over the texts
            found, scaled = scores.lex[t]
            if len(found):
                at = np.minimum(np.searchsorted(found, rows), len(found) - 1)
                lex = np.maximum(lex, np.where(found[at] == rows, scaled[at], 0.0))
        has = lengths > 0  # each reply's best row, in one pass (a reply without rows has none to reduce)
        starts = (np.cumsum(lengths) - lengths)[has]
        fit[has] = np.maximum.reduceat(sims, starts) + 0.1 * np.maximum.reduceat(lex, starts)
        return fit

"""The situation model: logistic regression on embeddings of the corpus's own example messages and replies.

Nearest-example similarity alone over-trusts one lucky neighbour; a linear model over all of a situation's
examples generalises better to new wordings. It trains in about a second, so it is refitted after every
corpus change; its weights are stored as plain arrays (no pickle).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


MAX_PER_SITUATION = 300  # training rows per situation: beyond this a model learns little more, and costs grow


def training_rows(labels: list[str], cap: int = MAX_PER_SITUATION) -> list[int]:
    """Rows to fit on: every row of a situation with at most `cap`, else `cap` spread evenly over its rows
    (the same ones every time), so fitting costs what the number of situations costs, not the corpus."""
    by_label: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, []).append(row)
    keep = []
    for rows in by_label.values():
        keep += rows if len(rows) <= cap else [rows[i * len(rows) // cap] for i in range(cap)]
    return sorted(keep)


class SituationModel:
    def __init__(self, classes: list[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.classes = classes
        self._coef = np.ascontiguousarray(coef, dtype=np.float32)
        self._intercept = np.asarray(intercept, dtype=np.float32)

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: list[str], c: float,
            previous: "SituationModel | None" = None) -> "SituationModel":
        """`previous`: the model before a small corpus change, to start from (8 iterations instead of 60: an
        editor's save refits in a fraction of a second)."""
        if len(set(labels)) < 2:  # a corpus with no active reply: only the background class is left
            classes = sorted(set(labels))
            return cls(classes, np.zeros((len(classes), vectors.shape[1])), np.zeros(len(classes)))
        model = LogisticRegression(C=c, max_iter=3000)
        if previous is not None and previous.classes == sorted(set(labels)) and len(previous.classes) > 2 \
                and previous._coef.shape[1] == vectors.shape[1]:
            model.set_params(warm_start=True)
            model.coef_ = previous._coef.astype(np.float64)
            model.intercept_ = previous._intercept.astype(np.float64)
        model.fit(vectors, labels)
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # sklearn stores one row for binary problems
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]])
        return cls([str(c) for c in model.classes_], coef, intercept)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self._coef.T + self._intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, classes=np.array(self.classes), coef=self._coef, intercept=self._intercept)

    @classmethod
    def load(cls, path: Path) -> "SituationModel":
        with np.load(path, allow_pickle=False) as data:
            return cls([str(c) for c in data["classes"]], data["coef"], data["intercept"])


class CharModel:
    """Logistic regression on character 1-3-grams: robust where embeddings are brittle (typos such as
    便意/便宜, shorthand, rare product words). Fitted from the index entries when the engine loads; it takes
    well under a second, so nothing extra is stored."""

    def __init__(self, texts: list[str], labels: list[str], classes: list[str], c: float) -> None:
        self.classes = list(classes)
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        features = self._vectorizer.fit_transform(texts)
        if len(set(labels)) < 2:  # nothing to tell apart: every text is the one class there is
            self._coef = np.zeros((features.shape[1], len(classes)))
            self._bias = np.array([0.0 if label in labels else -1e9 for label in classes])
            return
        # saga on the sparse n-grams: as accurate here as lbfgs run to convergence, and 7x faster to fit,
        # which matters because the model is refitted whenever the engine loads or the corpus changes.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=c, solver="saga", max_iter=100, tol=1e-3).fit(features, labels)
        # Columns reordered to `classes` once, so a query is one sparse product (sklearn's predict_proba
        # spends most of its time validating input); the fitted model itself is not kept (its own copy of the
        # weights would double this model's memory in every worker).
        position = {label: i for i, label in enumerate(model.classes_)}
        columns = [position.get(label) for label in classes]
        coef = model.coef_ if len(model.classes_) > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
        bias = model.intercept_ if len(model.classes_) > 2 else np.array([-model.intercept_[0], model.intercept_[0]])
        # float64 like the tf-idf rows: a float32 matrix would be copied and cast on every query.
        self._coef = np.ascontiguousarray(np.vstack([coef[c] if c is not None else np.zeros(coef.shape[1]) for c in columns]).T, dtype=np.float64)
        self._bias = np.array([bias[c] if c is not None else -1e9 for c in columns], dtype=np.float64)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Columns in the order of `classes` given at construction (a class unseen in training gets 0)."""
        logits = np.asarray(self._vectorizer.transform(texts) @ self._coef) + self._bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

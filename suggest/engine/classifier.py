"""The situation model: logistic regression on embeddings of the corpus's own example messages and replies.

Nearest-example similarity alone over-trusts one lucky neighbour; a linear model over all of a situation's
examples generalises better to new wordings. It trains in about a second, so it is refitted after every
corpus change; its weights are stored as plain arrays (no pickle), and applied in NumPy: sklearn is imported
only to fit, never by a worker that only serves.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np


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
        from sklearn.linear_model import LogisticRegression  # only where models are fitted (see CharModel)

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


def char_ngrams(text: str) -> list[str]:
    """The character 1-3-grams of each word padded with spaces, as sklearn's `char_wb` analyzer cuts them (the
    model is fitted with sklearn, and must see a query exactly as it saw the training texts)."""
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in (1, 2, 3):
            offset = 0
            grams.append(padded[:n])
            while offset + n < len(padded):
                offset += 1
                grams.append(padded[offset:offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


class CharModel:
    """Logistic regression on character 1-3-grams: robust where embeddings are brittle (typos such as
    便意/便宜, shorthand, rare product words).

    Fitted with the index and stored beside it (a fit takes seconds: see `drift`), and applied here in NumPy, so
    a serving worker never imports sklearn (70 MB per worker)."""

    def __init__(self, classes: list[str], grams: list[str], idf: np.ndarray, coef: np.ndarray,
                 bias: np.ndarray) -> None:
        self.classes = list(classes)
        self.grams = list(grams)
        self._column = {gram: i for i, gram in enumerate(self.grams)}
        self._idf = np.asarray(idf, dtype=np.float32)
        self._coef = np.ascontiguousarray(coef, dtype=np.float32)  # (grams, classes)
        self._bias = np.asarray(bias, dtype=np.float32)

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], classes: list[str], c: float) -> "CharModel":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        # n-grams of two texts or more: a third of the vocabulary, as accurate on tests/queries/tune.jsonl, and
        # the weights are most of a loaded shop's memory (14 MB of 25 for the shipped corpus before)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
        try:
            features = vectorizer.fit_transform(texts)
        except ValueError:  # so few texts that no n-gram is shared
            vectorizer.set_params(min_df=1)
            features = vectorizer.fit_transform(texts)
        grams = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        if len(set(labels)) < 2:  # nothing to tell apart: every text is the one class there is
            bias = np.array([0.0 if label in labels else -1e9 for label in classes])
            return cls(classes, grams, vectorizer.idf_, np.zeros((len(grams), len(classes))), bias)
        # saga on the sparse n-grams: as accurate here as lbfgs run to convergence, and 7x faster to fit; a fixed
        # seed for its shuffling, so one corpus always gives one model.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=c, solver="saga", max_iter=100, tol=1e-3, random_state=0).fit(features, labels)
        position = {label: i for i, label in enumerate(model.classes_)}
        columns = [position.get(label) for label in classes]
        coef = model.coef_ if len(model.classes_) > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
        bias = model.intercept_ if len(model.classes_) > 2 else np.array([-model.intercept_[0], model.intercept_[0]])
        coef = np.vstack([coef[i] if i is not None else np.zeros(coef.shape[1]) for i in columns]).T
        return cls(classes, grams, vectorizer.idf_, coef,
                   np.array([bias[i] if i is not None else -1e9 for i in columns]))

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's tf-idf row as (columns, values): sublinear counts times idf, unit length."""
        counts: dict[int, int] = {}
        for gram in char_ngrams(text):
            column = self._column.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self._idf[columns]
        norm = float(np.linalg.norm(values))
        return columns, values / norm if norm else values

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Columns in the order of `classes` given at fitting (a class unseen in training gets 0)."""
        logits = np.empty((len(texts), len(self.classes)), dtype=np.float32)
        for row, text in enumerate(texts):
            columns, values = self.features(text)
            logits[row] = values @ self._coef[columns] + self._bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, classes=np.array(self.classes), grams=np.array(self.grams), idf=self._idf,
                     coef=self._coef, bias=self._bias)

    @classmethod
    def load(cls, path: Path) -> "CharModel":
        with np.load(path, allow_pickle=False) as data:
            return cls([str(c) for c in data["classes"]], [str(g) for g in data["grams"]], data["idf"],
                       data["coef"], data["bias"])

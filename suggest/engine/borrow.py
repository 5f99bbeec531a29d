"""Lending the bundled buyer-intent bank to a home whose situations have none.

A shop that imports its own replies (a bench corpus, a 千牛 sheet) brings its own situations, often with a handful of
examples each. Its situations can still understand real buyers when they borrow the bank of the bundled situation
they clearly correspond to. "Clearly" is decided by meaning, not by id: the centroid of the home situation's texts
and the centroid of a bundled bank must be each other's nearest neighbours, and close. A situation with a bank of
its own never borrows, and one without a clear counterpart borrows nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..corpus.files import atomic_write, load_corpus
from ..records import Corpus
from ..settings import Settings
from .embed import Embedder
from .text import normalize

CACHE_VECTORS, CACHE_TEXTS = "lent_bank.npy", "lent_bank.json"


@dataclass(frozen=True)
class Lender:
    """The banks that may be lent: bundled situation id -> its buyer messages."""

    banks: dict[str, tuple[str, ...]]
    min_similarity: float = 0.95
    cache_dir: Path | None = None  # where the banks' vectors are kept: beside the lending corpus, for every home
    # texts and vectors once per process: a borrowing home syncs its index on every editor's save
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_corpus(cls, corpus: Corpus, min_similarity: float, cache_dir: Path | None = None) -> "Lender":
        return cls({sid: s.examples for sid, s in corpus.situations.items() if s.examples}, min_similarity,
                   cache_dir)

    def lent_hash(self, lender_id: str) -> str:
        payload = json.dumps(["lent", lender_id, list(self.banks[lender_id])], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def texts(self) -> list[tuple[str, str]]:
        """(bundled situation, normalised message), deduplicated, in a stable order."""
        if "texts" not in self._memo:
            self._memo["texts"] = self._normalized_texts()
        return self._memo["texts"]

    def _normalized_texts(self) -> list[tuple[str, str]]:
        seen, out = set(), []
        for sid in sorted(self.banks):
            for example in self.banks[sid]:
                text = normalize(example)
                if text and (sid, text) not in seen:
                    seen.add((sid, text))
                    out.append((sid, text))
        return out

    def vectors(self, embedder: Embedder, fallback_dir: Path,
                progress: bool = False) -> tuple[list[tuple[str, str]], np.ndarray]:
        """The bank's texts and vectors, embedded once per model and bank and kept in `cache_dir` (or, where that
        cannot be written, in `fallback_dir`: the borrowing home's index)."""
        texts = self.texts()
        key = ("vectors", embedder.name, embedder.dimension)
        if key not in self._memo:
            self._memo[key] = self._load_or_embed(embedder, texts, fallback_dir, progress)
        return texts, self._memo[key]

    def _load_or_embed(self, embedder: Embedder, texts: list[tuple[str, str]], fallback_dir: Path,
                       progress: bool) -> np.ndarray:
        for cache_dir in [d for d in (self.cache_dir, fallback_dir) if d is not None]:
            found = _cached(cache_dir, embedder, texts)
            if found is not None:
                return found
        vectors = embedder.encode([t for _, t in texts], progress=progress).astype(np.float32)
        for cache_dir in [d for d in (self.cache_dir, fallback_dir) if d is not None]:
            try:
                _store(cache_dir, embedder, texts, vectors)
                break
            except OSError:
                continue
        return vectors

    def digest(self) -> str:
        """Changes when any lendable bank changes: an index built with other banks is stale."""
        payload = json.dumps(sorted((sid, list(bank)) for sid, bank in self.banks.items()), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def match(self, home: dict[str, np.ndarray], borrowers: set[str], texts: list[tuple[str, str]],
              vectors: np.ndarray) -> dict[str, str]:
        """Home situation -> the bundled situation whose bank it borrows: mutual nearest centroids, close enough.

        `home`: every home situation's centroid (the unit mean of its own texts' vectors); only `borrowers` (those
        without a bank) borrow, but every home situation competes for the nearest bank."""
        lender_ids = sorted({sid for sid, _ in texts})
        if not borrowers or not lender_ids:
            return {}
        rows = np.array([lender_ids.index(sid) for sid, _ in texts])
        lent = np.stack([centroid(vectors[rows == i]) for i in range(len(lender_ids))])
        home_ids = sorted(home)
        own = np.stack([home[sid] for sid in home_ids])
        sims = own @ lent.T
        matches = {}
        for i, sid in enumerate(home_ids):
            if sid not in borrowers:
                continue
            j = int(np.argmax(sims[i]))
            if int(np.argmax(sims[:, j])) == i and sims[i, j] >= self.min_similarity:
                matches[sid] = lender_ids[j]
        return matches


def lender_for(settings: Settings) -> Lender | None:
    """The lender the settings name (its situations all have banks, so a home lends nothing to itself)."""
    folder = settings.bank_dir
    if folder is None:
        return None
    return Lender.from_corpus(load_corpus(folder), settings.bank_similarity, folder.parent / "index")


def _key(embedder: Embedder, texts: list[tuple[str, str]]) -> dict:
    return {"model": embedder.name, "dimension": embedder.dimension, "texts": [list(t) for t in texts]}


def _cached(cache_dir: Path, embedder: Embedder, texts: list[tuple[str, str]]) -> np.ndarray | None:
    try:
        if json.loads((cache_dir / CACHE_TEXTS).read_text(encoding="utf-8")) != _key(embedder, texts):
            return None
        vectors = np.load(cache_dir / CACHE_VECTORS)
    except (OSError, ValueError):
        return None
    return vectors if vectors.shape == (len(texts), embedder.dimension) else None


def _store(cache_dir: Path, embedder: Embedder, texts: list[tuple[str, str]], vectors: np.ndarray) -> None:
    """Vectors first, then the key that vouches for them: a crash between the two leaves a cache that misses."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{CACHE_VECTORS}.{os.getpid()}.tmp.npy"
    np.save(tmp, vectors)
    tmp.replace(cache_dir / CACHE_VECTORS)
    atomic_write(cache_dir / CACHE_TEXTS, json.dumps(_key(embedder, texts), ensure_ascii=False))


OWN_KINDS = ("example", "reply")  # a home situation's own texts, whose centroid lending compares


@dataclass(frozen=True)
class HomeSums:
    """Each home situation's own texts: the sum of their vectors and their number. Kept with the index in memory,
    so an edit moves the centroids by the rows it adds and removes instead of reading every vector again (0.3 s
    of an edit at 100,000 texts)."""

    sums: dict[str, tuple[np.ndarray, int]]

    def moved(self, situations: list[str], vectors: np.ndarray, sign: int) -> "HomeSums":
        """These sums with rows added (`sign` 1) or removed (-1)."""
        if not situations:
            return self
        sums = dict(self.sums)
        of = np.array(situations)
        for sid in sorted(set(situations)):  # a mask per situation: grouping rows in Python cost 0.4 s
            mask = of == sid
            total, count = sums.get(sid, (np.zeros(vectors.shape[1]), 0))
            total, count = total + sign * vectors[mask].sum(axis=0, dtype=np.float64), count + sign * int(mask.sum())
            if count > 0:
                sums[sid] = (total, count)
            else:
                sums.pop(sid, None)
        return HomeSums(sums)

    def centroids(self) -> dict[str, np.ndarray]:
        return {sid: centroid(total[None].astype(np.float32)) for sid, (total, _) in self.sums.items()}


def centroid(vectors: np.ndarray) -> np.ndarray:
    """The unit mean: the direction a situation's texts share."""
    centre = vectors.mean(axis=0)
    return centre / max(float(np.linalg.norm(centre)), 1e-9)

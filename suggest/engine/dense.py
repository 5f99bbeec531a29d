"""The dense index: FAISS inner product over unit vectors (= cosine), with stable ids for in-place updates."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

faiss.omp_set_num_threads(1)  # queries are single vectors: threads only add overhead on 2 cores


class DenseIndex:
    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def empty(cls, dimension: int) -> "DenseIndex":
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))

    @classmethod
    def read(cls, path: Path) -> "DenseIndex":
        return cls(faiss.read_index(str(path)))

    def write(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dimension(self) -> int:
        return self._index.d

    def __len__(self) -> int:
        return self._index.ntotal

    def ids(self) -> list[int]:
        return faiss.vector_to_array(self._index.id_map).tolist()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> None:
        if ids:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]) if len(ids) else np.zeros((0, self.dimension), np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) per query; FAISS pads with id -1 when k exceeds the size, so k is capped."""
        k = max(1, min(k, len(self)))
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, ids

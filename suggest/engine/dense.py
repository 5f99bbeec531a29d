"""The dense index: FAISS inner product over unit vectors (= cosine), with stable ids for in-place updates.

Exact search up to `APPROXIMATE_FROM` vectors; from there an inverted-file index (IVF), which visits the
`NPROBE` lists nearest the query instead of every vector (`suggest bench --scale` reports its recall against
exact search). Both take in-place additions and removals, so an editor's save never rebuilds it."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

faiss.omp_set_num_threads(1)  # queries are single vectors: threads only add overhead on 2 cores
APPROXIMATE_FROM = 10_000  # `suggest bench --scale`: exact search over 11,000 texts cost more than the rest of a query
NPROBE = 32  # lists visited per query (of about √n): recall@50 against exact search, see `suggest bench --scale`
TRAIN_PER_LIST = 40  # k-means sample per list (FAISS warns below 39)


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

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    def ids(self) -> list[int]:
        if not self.approximate:
            return faiss.vector_to_array(self._index.id_map).tolist()
        lists = self._index.invlists
        return [int(i) for n in range(lists.nlist) if lists.list_size(n)
                for i in faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n))]

    def suited(self) -> "DenseIndex":
        """This index, or the same vectors in an approximate one once it has grown past `APPROXIMATE_FROM`
        (and exact again if it shrinks below half of that)."""
        size = len(self)
        if self.approximate == (size >= APPROXIMATE_FROM) or (self.approximate and size >= APPROXIMATE_FROM // 2):
            return self
        ids = np.array(self.ids(), dtype=np.int64)
        vectors = self.vectors(ids)
        if size < APPROXIMATE_FROM:
            other = DenseIndex.empty(self.dimension)
        else:
            lists = int(np.sqrt(size))
            quantizer = faiss.IndexFlatIP(self.dimension)
            index = faiss.IndexIVFFlat(quantizer, self.dimension, lists, faiss.METRIC_INNER_PRODUCT)
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
            sample = np.random.default_rng(0).choice(size, min(size, lists * TRAIN_PER_LIST), replace=False)
            index.train(vectors[np.sort(sample)])
            index.nprobe = NPROBE
            quantizer.this.disown()  # the IVF index owns its quantizer from here on
            index.own_fields = True
            other = DenseIndex(index)
        other.add(ids, vectors)
        return other

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> None:
        if ids:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, self.dimension), np.float32)
        return self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, queries: np.ndarray, k: int, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) per query; FAISS pads with id -1 when k exceeds the size (or, approximate, what the
        visited lists hold), so k is capped. `exact`: visit every list of an approximate index."""
        k = max(1, min(k, len(self)))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if exact and self.approximate:
            return self._index.search(queries, k, params=faiss.SearchParametersIVF(nprobe=self._index.nlist))
        return self._index.search(queries, k)

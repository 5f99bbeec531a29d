"""The dense index: FAISS inner product over unit vectors (= cosine), with stable ids for in-place updates.

Exact search up to `APPROXIMATE_FROM` vectors; from there an inverted-file index (IVF), which visits the
`NPROBE` lists nearest the query instead of every vector (`suggest bench --scale` reports its recall against
exact search). Its lists hold about `LIST_SIZE` vectors each however large the index, so a query reads about
`NPROBE * LIST_SIZE` vectors plus one centroid per list, not a share of the corpus. They hold the vectors at half
precision: reading them from memory is what a query over 100,000 texts waits for, and cosines move by about 1e-4.
Both kinds take in-place additions and removals, so an editor's save never rebuilds it."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from .drift import rebuild_due

faiss.omp_set_num_threads(1)  # queries are single vectors: threads only add overhead on 2 cores
APPROXIMATE_FROM = 10_000  # `suggest bench --scale`: exact search over 11,000 texts cost more than the rest of a query
# Lists visited per query. Of the exact top 50 for dev and tuning messages over the grown bench corpus (a text as
# similar as the 50th counts), 48 found 0.994 at 11,000 texts and 0.997 at 100,000; `suggest bench --scale`
# reports it.
NPROBE = 48
# Vectors per list. √n lists (316 of 316 vectors at 100,000) read 15,000 vectors a query for 0.994 of the top 50;
# 1,000 lists of 100 read 4,800 plus the centroids, for 0.997, in a quarter of the time.
LIST_SIZE = 100
TRAIN_PER_LIST = 40  # k-means sample per list (FAISS warns below 39)


class DenseIndex:
    """The vectors as last built (`_index`, shared by copies and never changed once shared) with the changes
    since (`_added`, a small index of the same kind, and `_removed`, ids of `_index` left out of every answer), as
    the lexical index keeps its changes: an edit copies the changes, not 200 MB of vectors (100,000 texts). Past
    `drift.REBUILD_SHARE` of the vectors, `suited()` folds them in."""

    def __init__(self, index: faiss.Index, added: faiss.Index | None = None,
                 removed: np.ndarray | None = None, rows: "_Rows | None" = None) -> None:
        """`rows`: the built index's `_Rows`, where the caller has them (a copy shares them)."""
        self._index = index
        self._added = added if added is not None else _aside(index)
        self._removed = removed if removed is not None else np.zeros(0, dtype=np.int64)  # sorted
        self._rows = rows if rows is not None else _Rows.read(index)
        self._added_rows: _Rows | None = None  # `_added`'s, made when first read, dropped when it changes

    @classmethod
    def empty(cls, dimension: int) -> "DenseIndex":
        return cls(_flat(dimension))

    @classmethod
    def read(cls, path: Path) -> "DenseIndex":
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = NPROBE  # an index written by an earlier version keeps the number it was built with
        return cls(index)

    def copy(self) -> "DenseIndex":
        """Another index to change: it shares the built vectors and copies only the changes."""
        return DenseIndex(self._index, faiss.clone_index(self._added), self._removed.copy(), self._rows)

    def write(self, path: Path) -> None:
        faiss.write_index(self._folded_index(), str(path))  # not `_folded()`, whose `_Rows` would go unused

    @property
    def dimension(self) -> int:
        return self._index.d

    def __len__(self) -> int:
        return self._index.ntotal - len(self._removed) + self._added.ntotal

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    @property
    def layout(self) -> tuple[str, int]:
        """The kind of the built index and its number of lists (1 when exact): another layout is written whole."""
        if not self.approximate:
            return ("flat", 1)
        return ("ivf-fp16" if self._half else "ivf", self._index.nlist)

    @property
    def _half(self) -> bool:
        return _in_half_lists(self._index)

    @property
    def _changes(self) -> int:
        return len(self._removed) + self._added.ntotal

    def ids(self) -> list[int]:
        return self._base_ids().tolist() + self._added_ids().tolist()

    def _added_ids(self) -> np.ndarray:
        if _in_half_lists(self._added):
            return _list_ids(self._added)
        return faiss.vector_to_array(self._added.id_map)

    def _base_ids(self) -> np.ndarray:
        if self._rows is not None:
            ids = self._rows.ids
        else:  # an index of lists written by an earlier version, until `suited()` makes it anew
            ids = _list_ids(self._index)
        return ids[~np.isin(ids, self._removed)] if len(self._removed) else ids

    def _folded(self) -> "DenseIndex":
        """The same vectors in one index of the built kind, without changes aside."""
        return DenseIndex(self._folded_index()) if self._changes else self

    def _folded_index(self) -> faiss.Index:
        if not self._changes:
            return self._index
        index = faiss.clone_index(self._index)
        if len(self._removed):
            index.remove_ids(self._removed)
        added = self._added_ids()
        if len(added):
            index.add_with_ids(self._added.reconstruct_batch(added), added)
        return index

    def fits_its_size(self) -> bool:
        """Whether the kind of index and its lists are the ones `suited()` would make for this many vectors (an
        index of lists written by an earlier version, at full precision, is not)."""
        size = len(self)
        if not self.approximate:
            return size < APPROXIMATE_FROM
        return size >= APPROXIMATE_FROM // 2 and self._half and \
            _lists_for(size) // 2 <= self._index.nlist <= 2 * _lists_for(size)

    def suited(self) -> "DenseIndex":
        """This index, or the same vectors with the changes folded in once they pass their share, and in an
        approximate index once it has grown past `APPROXIMATE_FROM` (exact again if it shrinks below half), with
        lists trained anew once their number is off by half from `LIST_SIZE`'s."""
        size = len(self)
        if self.fits_its_size():
            return self._folded() if rebuild_due(self._changes, size) else self
        ids = np.array(self.ids(), dtype=np.int64)
        vectors = np.ascontiguousarray(self.vectors(ids), dtype=np.float32)
        if size < APPROXIMATE_FROM:
            index = _flat(self.dimension)
        else:
            lists = _lists_for(size)
            index = _half_lists(faiss.IndexFlatIP(self.dimension), lists)
            sample = np.random.default_rng(0).choice(size, min(size, lists * TRAIN_PER_LIST), replace=False)
            index.train(vectors[np.sort(sample)])
            index.nprobe = NPROBE
        index.add_with_ids(vectors, ids)
        return DenseIndex(index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._added.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
            self._added_rows = None

    def remove(self, ids: list[int]) -> None:
        """Take out these ids (each held, by the built index or among the changes)."""
        if not len(ids):
            return
        ids = np.asarray(ids, dtype=np.int64)
        added = np.isin(ids, self._added_ids())
        if added.any():
            self._added.remove_ids(ids[added])
            self._added_rows = None
        self._removed = np.union1d(self._removed, ids[~added])

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """Each id's vector. Ranking replies reads a few hundred a situation, so this is a gather by id, whatever
        the changes aside: finding them with `np.isin` over the added ids cost 0.2 ms a call (1,200 added)."""
        if not len(ids):
            return np.zeros((0, self.dimension), np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._rows is None:  # an index of lists written by an earlier version, until `suited()` lays it out
            return self._vectors_by_reconstruction(ids)
        if not self._added.ntotal:
            return self._rows.vectors(ids)
        out, held = self._rows.vectors_held(ids)
        added = np.flatnonzero(~held)
        if len(added):
            if self._added_rows is None:
                self._added_rows = _Rows.read(self._added)
            out[added] = self._added_rows.vectors(ids[added])
        return out

    def _vectors_by_reconstruction(self, ids: np.ndarray) -> np.ndarray:
        added = np.isin(ids, self._added_ids())
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        for held, index in ((~added, self._index), (added, self._added)):
            if held.any():
                out[held] = index.reconstruct_batch(ids[held])
        return out

    def search(self, queries: np.ndarray, k: int, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) per query, best first; FAISS pads with id -1 when k exceeds the size (or, approximate,
        what the visited lists hold), so k is capped. `exact`: visit every list of an approximate index."""
        k = max(1, min(k, len(self)))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        unless_removed = faiss.IDSelectorNot(faiss.IDSelectorBatch(self._removed)) if len(self._removed) else None
        if self.approximate:
            # the lists to visit, chosen once for the built index and for the changes aside, whose lists share its
            # centroids: choosing them again cost the changes as much as visiting them
            nlist = self._index.nlist  # never more lists than there are: FAISS misreads the -1 that pad the choice
            visit = faiss.SearchParametersIVF(nprobe=nlist if exact else min(self._index.nprobe, nlist))
            coarse, lists = self._index.quantizer.search(queries, visit.nprobe)
            built = visit if unless_removed is None else \
                faiss.SearchParametersIVF(nprobe=visit.nprobe, sel=unless_removed)
            found, ids = _search_lists(self._index, queries, k, lists, coarse, built)
        else:
            found, ids = self._index.search(queries, k, params=None if unless_removed is None
                                            else faiss.SearchParameters(sel=unless_removed))
        if not self._added.ntotal:
            return found, ids
        if _in_half_lists(self._added):
            more, more_ids = _search_lists(self._added, queries, k, lists, coarse, visit)
        else:
            more, more_ids = self._added.search(queries, k)  # padded as the built index pads: id -1, least score
        return faiss.merge_knn_results(np.stack([found, more]), np.stack([ids, more_ids]), keep_max=True)


class _Rows:
    """The vectors of an index by id, at full precision in one array, gathered by NumPy.

    An index of 16-bit lists: FAISS decodes such a vector one call at a time (2 µs each: ranking the candidate
    replies' rows took 3 ms a query over 100,000 texts, and NumPy's own cast from 16 bits was no faster), where
    NumPy gathers rows in a tenth of that. The lists and these rows hold half as much again as one full-precision
    index did (300 MB at 100,000 texts), for a search a third faster. An exact index: its own storage, read in
    place (FAISS's `reconstruct_batch` looks each id up in a hash map)."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, order: np.ndarray | None = None,
                 owner: faiss.Index | None = None) -> None:
        """`ids` ascending; `vectors[order[i]]` is the vector of `ids[i]` (`order` None: in that order).
        `owner`: the index whose memory `vectors` is, kept alive with it."""
        self.ids, self._vectors, self._order, self._owner = ids, vectors, order, owner

    @classmethod
    def read(cls, index: faiss.Index) -> "_Rows | None":
        """The rows of an exact index or of lists of 16-bit floats (built, or changes aside); None for lists
        written by an earlier version, which `suited()` lays out anew."""
        if _in_half_lists(index):
            return cls.of(index)
        return cls.of_flat(index) if isinstance(index, faiss.IndexIDMap2) else None

    @classmethod
    def of(cls, index: faiss.IndexIVFScalarQuantizer) -> "_Rows":
        """Read list by list into place: sorting a copy would hold the vectors twice for a moment (+200 MB)."""
        lists, dimension = index.invlists, index.d
        ids = _list_ids(index)
        order = np.argsort(ids, kind="stable")
        place = np.empty(len(ids), dtype=np.int64)
        place[order] = np.arange(len(ids))
        vectors = np.empty((len(ids), dimension), dtype=np.float32)
        at = 0
        for n in range(lists.nlist):
            size = lists.list_size(n)
            if size:
                codes = faiss.rev_swig_ptr(lists.get_codes(n), size * lists.code_size)
                vectors[place[at:at + size]] = np.frombuffer(codes, dtype=np.float16).reshape(size, dimension)
                at += size
        return cls(ids[order], vectors)

    @classmethod
    def of_flat(cls, index: faiss.IndexIDMap2) -> "_Rows":
        """A view of an exact index's vectors: valid until the index changes (the caller makes another then)."""
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        if not len(ids):
            return cls(ids, np.zeros((0, index.d), np.float32))
        flat = faiss.downcast_index(index.index)
        vectors = faiss.rev_swig_ptr(flat.get_xb(), len(ids) * index.d).reshape(len(ids), index.d)
        ascending = bool(np.all(ids[1:] > ids[:-1]))
        order = None if ascending else np.argsort(ids, kind="stable")
        return cls(ids if ascending else ids[order], vectors, order, index)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The vectors of `ids`, each held here."""
        return self.vectors_held(ids)[0]

    def vectors_held(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of `ids` and whether each is held here (one that is not gets some other vector)."""
        if not len(self.ids):
            return np.zeros((len(ids), self._vectors.shape[1]), np.float32), np.zeros(len(ids), dtype=bool)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return self._vectors[at if self._order is None else self._order[at]], self.ids[at] == ids


def _search_lists(index: faiss.IndexIVF, queries: np.ndarray, k: int, lists: np.ndarray, coarse: np.ndarray,
                  params: faiss.SearchParametersIVF) -> tuple[np.ndarray, np.ndarray]:
    """`search_preassigned` with search parameters (the number of lists, the ids left out), which FAISS's Python
    wrapper refuses though the method takes them."""
    found = np.empty((len(queries), k), dtype=np.float32)
    ids = np.empty((len(queries), k), dtype=np.int64)
    index.search_preassigned_c(len(queries), faiss.swig_ptr(queries), k, faiss.swig_ptr(lists),
                               faiss.swig_ptr(coarse), faiss.swig_ptr(found), faiss.swig_ptr(ids), False, params)
    return found, ids


def _list_ids(index: faiss.IndexIVF) -> np.ndarray:
    """The ids an IVF index holds, list after list."""
    lists = index.invlists
    return np.concatenate([np.zeros(0, dtype=np.int64)] + [
        faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).astype(np.int64)
        for n in range(lists.nlist) if lists.list_size(n)])


def _lists_for(size: int) -> int:
    return max(1, size // LIST_SIZE)


def _flat(dimension: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def _aside(index: faiss.Index) -> faiss.Index:
    """An empty index for the changes beside `index`. Beside lists of 16-bit floats, lists on the same centroids:
    a query visits the same lists in both, so the changes cost their share of those lists, as if folded in. An
    exact index for them grew with the changes up to the 5% that folds them in: over 100,000 texts, a search of
    two texts took 0.3 ms more with 1.2% of the rows aside, 1.6 ms more with 4.9%; in lists, 0.12 and 0.25."""
    if not _in_half_lists(index):
        return _flat(index.d)
    aside = _half_lists(faiss.clone_index(index.quantizer), index.nlist)
    aside.sq = index.sq  # 16-bit floats need no training: the centroids were the part trained, and are shared
    aside.is_trained = True
    aside.nprobe = index.nprobe
    return aside


def _half_lists(quantizer: faiss.Index, lists: int) -> faiss.IndexIVFScalarQuantizer:
    """Lists of 16-bit floats on `quantizer`'s centroids, which it owns from here on. Over 100,000 texts (dev
    messages with their clauses) three queries took 1.5 ms instead of 2.1 at full precision, recall@50 0.998 both;
    8-bit codes were slower (1.65 ms) and found less (0.987)."""
    index = faiss.IndexIVFScalarQuantizer(quantizer, quantizer.d, lists, faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT)
    index.by_residual = False  # the codes are the vectors: `_Rows` reads them as they are
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # remove by id
    quantizer.this.disown()
    index.own_fields = True
    return index


def _in_half_lists(index: faiss.Index) -> bool:
    """Lists of 16-bit floats, the vectors themselves (not their residuals): what `suited()` makes."""
    return isinstance(index, faiss.IndexIVFScalarQuantizer) and not index.by_residual

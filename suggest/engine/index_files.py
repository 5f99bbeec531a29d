"""The index directory's files: the vectors (FAISS), the entries, their tokens, the situation models and the
manifest, written last.

Vectors, entries and tokens cost what the corpus costs to write (a 100,000-text index is 200 MB of vectors
and 25 MB of JSON, seconds with the flush): too much for every editor's save. So they are written whole only
now and then (a *base*), and each save writes just what changed since the base (`CHANGES`: the rows added,
with their vectors and tokens, and the ids of the rows gone), rewritten whole each time, small by
construction: once it passes `drift.REBUILD_SHARE` of the rows, the next save writes a new base instead.
The changes file names the base it applies to; one left from an older base is ignored.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

import numpy as np

from ..corpus.files import atomic_write
from ..errors import IndexError_
from ..records import Manifest
from ..storage.files import FILE_MODE
from .classifier import CharModel, SituationModel, training_rows
from .dense import DenseIndex
from .drift import rebuild_due
from .prototypes import Prototypes

if TYPE_CHECKING:
    from .borrow import HomeSums

BANK_PREFIX = "@"  # manifest key of a situation's buyer-intent bank ("@bargain"); reply ids never start with it
MANIFEST, ENTRIES, VECTORS, CLASSIFIER, CHARS, PROTOTYPES, TOKENS, CHANGES = (
    "manifest.json", "entries.json", "dense.faiss", "classifier.npz", "chars.npz", "prototypes.npz", "tokens.json",
    "changes.npz")
ENTRY_FIELDS = ["vid", "reply", "situation", "kind", "text"]  # the order of an entry's row in ENTRIES
Model = TypeVar("Model")


@dataclass(frozen=True)
class Entry:
    """One indexed text: an example buyer message (of a reply or of a situation's bank), a reply's own text, or
    a background message."""

    vid: int
    reply: str | None
    situation: str
    kind: str  # example | reply | bank | oos
    text: str  # normalised

    @property
    def unit(self) -> str | None:
        """The corpus unit this entry comes from: a reply id, or the bank's key; None for background."""
        return BANK_PREFIX + self.situation if self.kind == "bank" else self.reply


@dataclass(frozen=True)
class IndexBase:
    """The vectors, entries and tokens as last written whole: `stamp` names them (in ENTRIES and CHANGES), `vids`
    (sorted) are their rows' ids. An id is never given twice (`next_vid`), so the ids tell which rows are new
    since it and which are gone."""

    stamp: str
    vids: np.ndarray

    @classmethod
    def of(cls, entries: list["Entry"], stamp: str | None = None) -> "IndexBase":
        """The base of `entries`: one read back (its `stamp`), or a new one."""
        return cls(stamp if stamp is not None else secrets.token_hex(8),
                   np.sort(np.array([e.vid for e in entries], dtype=np.int64)))



@dataclass
class BuiltIndex:
    manifest: Manifest
    entries: list[Entry]
    dense: DenseIndex
    classifier: SituationModel
    chars: CharModel
    prototypes: Prototypes
    # Each text's index terms, cut by the segmenter whose stamp is `token_stamp`: a loading engine's BM25 takes
    # them instead of segmenting every text again (half a second for a shop of 3,500 texts).
    tokens: dict[str, list[str]] = field(default_factory=dict)
    token_stamp: str = ""
    base: IndexBase | None = None  # None: not written yet
    home_sums: HomeSums | None = None  # in memory only, for lending (see `borrow.HomeSums`); None: not known


def next_vid(entries: list[Entry], floor: int) -> int:
    """An id no row of `entries` has, nor any id given before (`floor`: the manifest's `next_vid`)."""
    return max(floor, max((e.vid for e in entries), default=-1) + 1)


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise IndexError_(f"{path}: corrupt index manifest ({exc}); rebuild with `suggest index build`") from None
    if not isinstance(manifest.replies, dict) or not isinstance(manifest.dimension, int):
        raise IndexError_(f"{path}: corrupt index manifest (bad field types); rebuild with `suggest index build`")
    return manifest


def read_index(index_dir: Path, known: BuiltIndex | None = None) -> BuiltIndex:
    """`known`: the index in memory. While the files are still the ones it came from (the same manifest), it is
    taken as it is (parsing 100,000 entries costs a second), with a copy of its vectors the caller may change."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexError_(f"{index_dir}: no index here; build it with `suggest index build`")
    if known is not None and known.manifest == manifest:
        return replace(known, dense=known.dense.copy())
    entries, stamp = _read_entries(index_dir)
    classifier, chars, prototypes = _read_models(index_dir)
    tokens, token_stamp = _read_tokens(index_dir)
    try:
        dense = DenseIndex.read(index_dir / VECTORS)
    except RuntimeError as exc:
        raise IndexError_(f"{index_dir / VECTORS}: corrupt FAISS index ({str(exc).splitlines()[0]}); "
                          "rebuild with `suggest index build`") from None
    base = IndexBase.of(entries, stamp)
    entries = _apply_changes(index_dir, base, entries, dense, tokens)
    vids = {e.vid for e in entries}
    if dense.dimension != manifest.dimension or len(dense) != len(entries) or set(dense.ids()) != vids:
        # e.g. a crash between writing the vectors and the entries: the files are from different builds
        raise IndexError_(f"{index_dir}: vectors and entries disagree ({len(dense)} vs {len(entries)}); "
                          "rebuild with `suggest index build`")
    if prototypes is None:  # an index written by an earlier version: chosen now, written by the next sync
        vectors, labels, _ = situation_rows(entries, dense)
        prototypes = Prototypes.fit(vectors, labels, classifier.classes)
    return BuiltIndex(manifest, entries, dense, classifier, chars, prototypes, tokens, token_stamp, base)


def situation_rows(entries: list[Entry], dense: DenseIndex) -> tuple[np.ndarray, list[str], list[str]]:
    """The vectors, situations and texts the situation models are fitted on (`training_rows`)."""
    fitted = [entries[row] for row in training_rows([e.situation for e in entries])]
    return (dense.vectors(np.array([e.vid for e in fitted], dtype=np.int64)), [e.situation for e in fitted],
            [e.text for e in fitted])


def _read_entries(index_dir: Path) -> tuple[list[Entry], str]:
    """The base's entries and its stamp."""
    path = index_dir / ENTRIES
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["fields"] != ENTRY_FIELDS:
            raise TypeError(f"fields {stored['fields']}, expected {ENTRY_FIELDS}")
        return [Entry(*row) for row in stored["rows"]], str(stored.get("base", ""))
    except (OSError, json.JSONDecodeError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IndexError_(f"{path}: corrupt index entries ({exc}); rebuild with `suggest index build`") from None


def _read_models(index_dir: Path) -> tuple[SituationModel, CharModel, Prototypes | None]:
    """The situation models; no prototypes where an earlier version wrote the index."""
    prototypes = _read_model(index_dir / PROTOTYPES, Prototypes.load) if (index_dir / PROTOTYPES).is_file() else None
    return _read_model(index_dir / CLASSIFIER, SituationModel.load), _read_model(index_dir / CHARS, CharModel.load), \
        prototypes


def _read_model(path: Path, load: Callable[[Path], Model]) -> Model:
    """`load(path)`, or an error naming the file."""
    try:
        return load(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexError_(f"{path}: corrupt situation model ({exc}); rebuild with `suggest index build`") from None


def _read_tokens(index_dir: Path) -> tuple[dict[str, list[str]], str]:
    """The stored tokens and their segmenter's stamp; none (texts segmented at load) when missing or unreadable:
    an index written before they were kept, or a file cut short."""
    try:
        stored = json.loads((index_dir / TOKENS).read_text(encoding="utf-8"))
        # interned: a term is one string however many texts (and shops in a worker) use it
        return ({text: [sys.intern(term) for term in terms] for text, terms in stored["tokens"].items()},
                str(stored["segmenter"]))
    except (OSError, json.JSONDecodeError, TypeError, KeyError, ValueError, UnicodeDecodeError):
        return {}, ""


def _apply_changes(index_dir: Path, base: IndexBase, entries: list[Entry], dense: DenseIndex,
                   tokens: dict[str, list[str]]) -> list[Entry]:
    """The base's entries with the changes since it (`dense` and `tokens` changed in place)."""
    path = index_dir / CHANGES
    if not path.exists():
        return entries
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["base"]) != base.stamp:
                return entries  # left from an older base, which the current one already holds
            removed, vids, vectors = stored["removed"], stored["vids"], stored["vectors"]
            rows, added_tokens = json.loads(str(stored["rows"])), json.loads(str(stored["tokens"]))
        added = [Entry(*row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexError_(f"{path}: corrupt index changes ({exc}); rebuild with `suggest index build`") from None
    if [e.vid for e in added] != vids.tolist() or vectors.shape != (len(vids), dense.dimension):
        raise IndexError_(f"{path}: corrupt index changes (rows and vectors disagree); "
                          "rebuild with `suggest index build`")
    gone = set(removed.tolist())
    dense.remove(removed.tolist())
    dense.add(vids, vectors)
    tokens.update({text: [sys.intern(term) for term in terms] for text, terms in added_tokens.items()})
    return [e for e in entries if e.vid not in gone] + added


def write_index(index_dir: Path, built: BuiltIndex, models_changed: bool = True) -> BuiltIndex:
    """Write `built` (whole, or as its changes since its base while they stay small) and return it with the
    base it was written against. Files are written beside the old ones and renamed, the manifest last, so a
    crash mid-write leaves the previous index intact (or one that `read_index` refuses and a sync rebuilds).
    `models_changed`: False when the situation models are the ones already written."""
    index_dir.mkdir(parents=True, exist_ok=True)
    base = built.base
    vids = np.array([e.vid for e in built.entries], dtype=np.int64)
    if base is not None:
        added = ~np.isin(vids, base.vids)
        removed = np.setdiff1d(base.vids, vids, assume_unique=True)  # ids are unique: far faster
        if rebuild_due(int(added.sum()) + len(removed), len(vids)):
            base = None
    tokens = built.tokens
    if base is None:
        base = IndexBase.of(built.entries)
        tokens = {e.text: tokens[e.text] for e in built.entries}  # without the texts gone since the last base
        _write_base(index_dir, built.dense, built.entries, tokens, built.token_stamp, base)
    else:
        _write_changes(index_dir, built, base, [e for e, new in zip(built.entries, added) if new], removed)
    if models_changed:
        write_models(index_dir, built)
    # one line: with `indent` the json module encodes in Python, 0.15 s an edit for 25,000 replies' hashes
    atomic_write(index_dir / MANIFEST, json.dumps(vars(built.manifest), ensure_ascii=False))
    return replace(built, tokens=tokens, base=base)


def write_models(index_dir: Path, built: BuiltIndex) -> None:
    for name, model in ((CLASSIFIER, built.classifier), (CHARS, built.chars), (PROTOTYPES, built.prototypes)):
        _write_binary(index_dir / name, model.save)


def _write_binary(path: Path, save) -> None:
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    save(tmp)
    os.chmod(tmp, FILE_MODE)  # like every file written from the corpus: owner-only
    tmp.replace(path)


def _write_base(index_dir: Path, dense: DenseIndex, entries: list[Entry], tokens: dict[str, list[str]],
                token_stamp: str, base: IndexBase) -> None:
    _write_binary(index_dir / VECTORS, dense.write)
    atomic_write(index_dir / TOKENS, json.dumps({"segmenter": token_stamp, "tokens": tokens}, ensure_ascii=False))
    # one document of rows, encoded in one call: a line per entry cost a second per save at 100,000 entries;
    # written after the vectors, as it names the base: a crash before it leaves vectors the entries disagree with
    rows = [[e.vid, e.reply, e.situation, e.kind, e.text] for e in entries]
    atomic_write(index_dir / ENTRIES, json.dumps({"fields": ENTRY_FIELDS, "base": base.stamp, "rows": rows},
                                                 ensure_ascii=False))
    (index_dir / CHANGES).unlink(missing_ok=True)


def _write_changes(index_dir: Path, built: BuiltIndex, base: IndexBase, added: list[Entry],
                   removed: np.ndarray) -> None:
    vids = np.array([e.vid for e in added], dtype=np.int64)
    rows = [[e.vid, e.reply, e.situation, e.kind, e.text] for e in added]
    tokens = {e.text: built.tokens[e.text] for e in added if e.text in built.tokens}

    def save(path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, base=np.array(base.stamp), removed=removed, vids=vids, vectors=built.dense.vectors(vids),
                     rows=np.array(json.dumps(rows, ensure_ascii=False)),
                     tokens=np.array(json.dumps(tokens, ensure_ascii=False)))
            handle.flush()
            os.fsync(handle.fileno())

    _write_binary(index_dir / CHANGES, save)

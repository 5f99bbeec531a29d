"""corpus → index directory: vectors in FAISS, entries, the situation model and a manifest.

The manifest records the model, dimension, corpus hash, build time and a content hash per reply. `sync`
compares it with the corpus: a different model or format means a full rebuild; otherwise only the replies
that were added, edited or deleted are re-embedded. How the files are written: `index_files`.
"""

from __future__ import annotations

import fcntl
import logging
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from .classifier import CharModel, SituationModel
from ..corpus.files import bank_hash, corpus_hash
from .borrow import OWN_KINDS, HomeSums, Lender
from .dense import DenseIndex
from .prototypes import Prototypes
from .drift import rebuild_due
from .embed import Embedder
from .index_files import (BANK_PREFIX, MANIFEST, PROTOTYPES, VECTORS, BuiltIndex, Entry, next_vid, read_index,
                          read_manifest, situation_rows, write_index, write_models)
from .segment import default_segmenter
from ..errors import IndexError_
from ..records import Corpus, Manifest
from .text import normalize
from .threads import one_blas_thread

__all__ = ["BANK_PREFIX", "MANIFEST", "VECTORS", "BuiltIndex", "Entry", "read_index", "read_manifest", "sync_index"]

FORMAT = 3
OOS = "_oos"  # the background situation: messages no reply answers
LOCK = ".lock"
SUM_BLOCK = 8192  # rows read at a time to sum the home situations' vectors
log = logging.getLogger(__name__)


def background_messages() -> list[str]:
    text = resources.files("suggest.data").joinpath("out_of_scope.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _unit_texts(corpus: Corpus, unit: str) -> tuple[str | None, str, list[tuple[str, str]]]:
    """(reply id, situation, [(kind, normalised text)]) of one unit of the corpus."""
    if unit.startswith(BANK_PREFIX):
        situation = corpus.situations[unit[len(BANK_PREFIX):]]
        return None, situation.id, _dedupe([("bank", normalize(e)) for e in situation.examples])
    reply = corpus.replies[unit]
    if reply.retired:
        return unit, reply.situation, []
    texts = [("example", normalize(e)) for e in reply.examples] + [("reply", normalize(reply.text))]
    return unit, reply.situation, _dedupe(texts)


def unit_hashes(corpus: Corpus) -> dict[str, str]:
    """Content hash per unit of the corpus (each reply, each situation's bank): what incremental sync compares."""
    hashes = {rid: r.index_digest for rid, r in corpus.replies.items()}
    hashes.update({BANK_PREFIX + sid: bank_hash(s) for sid, s in corpus.situations.items() if s.examples})
    return hashes


def _dedupe(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, out = set(), []
    for kind, text in texts:
        if text and (kind, text) not in seen:
            seen.add((kind, text))
            out.append((kind, text))
    return out


def staleness(manifest: Manifest | None, corpus: Corpus, embedder: Embedder, lender: Lender | None = None,
              digest: str | None = None) -> str | None:
    """Why the index cannot be served as it is, or None when it is current. `digest`: the corpus's hash, where
    the caller has it already."""
    if manifest is None:
        return "no index yet"
    if manifest.format != FORMAT:
        return f"index format {manifest.format} (this version writes {FORMAT})"
    if manifest.model != embedder.name or manifest.dimension != embedder.dimension:
        return f"built with model {manifest.model!r}, configured {embedder.name!r}"
    if manifest.corpus_hash != (digest or corpus_hash(corpus)):
        return "the corpus changed since the index was built"
    if manifest.lender != (lender.digest() if lender else ""):
        return "the lent buyer-intent bank changed since the index was built"
    return None


def sync_index(index_dir: Path, corpus: Corpus, embedder: Embedder, classifier_c: float,
               full: bool = False, progress: bool = False, lender: Lender | None = None,
               known: BuiltIndex | None = None) -> tuple[BuiltIndex, dict[str, int]]:
    """Bring the index in line with the corpus, re-embedding only what changed unless `full`. Situations without
    a bank of their own borrow one from `lender` when they clearly match (see `borrow`).

    One writer at a time, whoever it is (`suggest index build`, a worker loading, an editor's save): an exclusive
    lock on `index/.lock`; the next writer then finds the index current, or updates what is left.
    `known`: the index in memory, reused while the files are still its own (see `read_index`).
    Returns the index and counts of replies added, updated and removed (all replies on a full build).
    """
    one_blas_thread()
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            return _sync_index(index_dir, corpus, embedder, classifier_c, full, progress, lender, known)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sync_index(index_dir: Path, corpus: Corpus, embedder: Embedder, classifier_c: float, full: bool,
                progress: bool, lender: Lender | None, known: BuiltIndex | None) -> tuple[BuiltIndex, dict[str, int]]:
    old: BuiltIndex | None = None
    digest = corpus_hash(corpus)
    if not full:
        try:
            manifest = read_manifest(index_dir)
            reason = staleness(manifest, corpus, embedder, lender, digest)
            if manifest is not None and not reason:
                current = known if known is not None and known.manifest == manifest else read_index(index_dir)
                if current.dense.fits_its_size():
                    if not (index_dir / PROTOTYPES).is_file():  # written by an earlier version: chosen on reading
                        write_models(index_dir, current)
                    return current, {"added": 0, "updated": 0, "removed": 0}
                # else nothing to embed, but the vectors are laid out anew (an index written by an earlier version)
            if manifest is not None and manifest.format == FORMAT and manifest.model == embedder.name \
                    and manifest.dimension == embedder.dimension:
                old = read_index(index_dir, known)
        except IndexError_ as exc:
            log.warning("%s; rebuilding from scratch", exc)
            old = None

    hashes = unit_hashes(corpus)
    if old is None:
        dense = DenseIndex.empty(embedder.dimension)
        entries: list[Entry] = []
        home_sums: HomeSums | None = None
        changed = set(hashes)
        removed: set[str] = set()
        background = background_messages()
        new_items = [(None, OOS, "oos", normalize(t)) for t in background]
    else:
        dense = old.dense
        previous = old.manifest.replies
        changed = {rid for rid, h in hashes.items() if previous.get(rid) != h}
        removed = set(previous) - set(hashes)
        lent_before = {u for u in removed if u.startswith(BANK_PREFIX)}  # lent banks: kept below while unchanged
        stale = changed | (removed - lent_before)
        entries, gone = [], []
        for e in old.entries:  # one pass: 100,000 entries' units read twice cost 0.25 s of an edit
            (gone if e.unit in stale else entries).append(e)
        home_sums = old.home_sums.moved(*_own(gone, dense), -1) if old.home_sums else None  # before they go
        dense.remove([e.vid for e in gone])
        new_items = []
    for unit in sorted(changed):
        rid, sid, texts = _unit_texts(corpus, unit)
        new_items += [(rid, sid, kind, text) for kind, text in texts]
    base = old.base if old is not None else None
    floor = old.manifest.next_vid if old is not None else 0
    first = next_vid(entries, floor)
    vectors = embedder.encode([t for *_, t in new_items], progress=progress)
    fresh = [Entry(first + i, rid, sid, kind, text) for i, (rid, sid, kind, text) in enumerate(new_items)]
    dense.add(np.array([e.vid for e in fresh], dtype=np.int64), vectors)
    if home_sums is not None:
        home_sums = home_sums.moved(*_own(fresh, dense), 1)
    entries = entries + fresh
    entries, lent_hashes, home_sums = _lend(index_dir, corpus, embedder, lender, dense, entries, floor, hashes,
                                            old.manifest.replies if old is not None else {}, progress, home_sums)
    suited = dense.suited()
    if suited.layout != dense.layout:
        base = None  # the vectors are now another kind of index (exact, or lists trained anew): written whole
    dense = suited
    classifier, chars, prototypes, drift = _situation_models(old, dense, entries, classifier_c)
    manifest = Manifest(model=embedder.name, dimension=embedder.dimension, corpus_hash=digest,
                        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), format=FORMAT,
                        entries=len(entries), replies={**hashes, **lent_hashes},
                        lender=lender.digest() if lender else "", drift=drift, next_vid=next_vid(entries, floor))
    segmenter = default_segmenter()
    # the texts' tokens as they were, with the new texts' (a text gone stays until the index is written whole)
    tokens = dict(old.tokens) if old is not None and old.token_stamp == segmenter.stamp else {}
    tokens.update(segmenter.tokens_of(e.text for e in entries if e.text not in tokens))
    built = write_index(index_dir, BuiltIndex(manifest, entries, dense, classifier, chars, prototypes, tokens,
                                              segmenter.stamp, base, home_sums),
                        models_changed=old is None or classifier is not old.classifier
                        or not (index_dir / PROTOTYPES).is_file())
    changed = {u for u in changed if not u.startswith(BANK_PREFIX)}  # the counts speak of replies
    removed = {u for u in removed if not u.startswith(BANK_PREFIX)}
    counts = {"added": len(changed - set(old.manifest.replies)) if old else len(changed),
              "updated": len(changed & set(old.manifest.replies)) if old else 0,
              "removed": len(removed)}
    return built, counts


def _situation_models(old: BuiltIndex | None, dense: DenseIndex, entries: list[Entry],
                      c: float) -> tuple[SituationModel, CharModel, Prototypes, int]:
    """The old models while the situations are the same and few rows changed since their fit (see `drift`),
    else all fitted anew; with the rows changed since their fit."""
    labels = [e.situation for e in entries]
    drift = 0
    if old is not None:  # rows gone and rows added (a changed text is a new row, with a new id)
        before = np.array([e.vid for e in old.entries], dtype=np.int64)
        after = np.array([e.vid for e in entries], dtype=np.int64)
        drift = old.manifest.drift + len(np.setdiff1d(before, after, assume_unique=True)) \
            + len(np.setdiff1d(after, before, assume_unique=True))
    if old is not None and old.classifier.classes == sorted(set(labels)) and not rebuild_due(drift, len(entries)):
        return old.classifier, old.chars, old.prototypes, drift
    vectors, fitted_labels, texts = situation_rows(entries, dense)
    classifier = SituationModel.fit(vectors, fitted_labels, c, previous=old.classifier if old is not None else None)
    chars = CharModel.fit(texts, fitted_labels, classifier.classes, c)
    return classifier, chars, Prototypes.fit(vectors, fitted_labels, classifier.classes), 0


def _lend(index_dir: Path, corpus: Corpus, embedder: Embedder, lender: Lender | None, dense: DenseIndex,
          entries: list[Entry], floor: int, hashes: dict[str, str], previous: dict[str, str],
          progress: bool, home_sums: HomeSums | None) -> tuple[list[Entry], dict[str, str], HomeSums | None]:
    """`entries` with the banks lent now, their unit hashes, and the home situations' sums (`home_sums`, or
    computed where they were not known and are needed). A bank lent at the last sync (`previous`) to the same
    situation is kept as it is (the same rows: nothing for the dense and BM25 indexes to redo); one lent elsewhere
    or no longer is removed from `dense`."""
    lent_before = [e for e in entries if e.kind == "bank" and e.unit not in hashes]
    lent, lent_hashes, home_sums = _borrow(index_dir, corpus, embedder, lender, dense, entries, floor, progress,
                                           home_sums) if lender is not None else ([], {}, home_sums)
    same = {unit for unit, digest in lent_hashes.items() if previous.get(unit) == digest}
    gone = {e.vid for e in lent_before if e.unit not in same}
    dense.remove(sorted(gone))
    lent = [(e, v) for e, v in lent if e.unit not in same]
    if lent:
        dense.add(np.array([e.vid for e, _ in lent], dtype=np.int64), np.stack([v for _, v in lent]))
    return [e for e in entries if e.vid not in gone] + [e for e, _ in lent], lent_hashes, home_sums


def _borrow(index_dir: Path, corpus: Corpus, embedder: Embedder, lender: Lender, dense: DenseIndex,
            entries: list[Entry], floor: int, progress: bool, home_sums: HomeSums | None
            ) -> tuple[list[tuple[Entry, np.ndarray]], dict[str, str], HomeSums | None]:
    """Bank entries lent to the situations that have none, with their (cached) vectors, their unit hashes, and
    the home sums the match was made with: nothing is re-embedded. `entries` holds the banks lent before: new
    rows get new ids."""
    borrowers = {sid for sid, s in corpus.situations.items() if not s.examples}
    if not borrowers:
        return [], {}, home_sums
    if home_sums is None:
        home_sums = _home_sums(entries, dense)
    home = home_sums.centroids()
    texts, bank_vectors = lender.vectors(embedder, index_dir, progress)
    matches = lender.match(home, borrowers, texts, bank_vectors)
    first = next_vid(entries, floor)
    lent: list[tuple[Entry, np.ndarray]] = []
    for sid, lender_id in sorted(matches.items()):
        for (source, text), vector in zip(texts, bank_vectors):
            if source == lender_id:
                lent.append((Entry(first + len(lent), None, sid, "bank", text), vector))
    if matches:
        log.info("lent buyer-intent banks: %s", ", ".join(f"{s}<-{b}" for s, b in sorted(matches.items())))
    return lent, {BANK_PREFIX + sid: lender.lent_hash(b) for sid, b in matches.items()}, home_sums


def _home_sums(entries: list[Entry], dense: DenseIndex) -> HomeSums:
    """The home situations' sums read anew (the first edit after loading), `SUM_BLOCK` rows at a time: every
    vector at once was a 200 MB copy at 100,000 texts, and 0.47 s of that edit where blocks take 0.14 s."""
    sums = HomeSums({})
    for start in range(0, len(entries), SUM_BLOCK):
        sums = sums.moved(*_own(entries[start:start + SUM_BLOCK], dense), 1)
    return sums


def _own(entries: list[Entry], dense: DenseIndex) -> tuple[list[str], np.ndarray]:
    """The situations and vectors of the home's own texts among `entries` (not lent banks, not background)."""
    own = [e for e in entries if e.kind in OWN_KINDS]
    return [e.situation for e in own], dense.vectors(np.array([e.vid for e in own], dtype=np.int64))

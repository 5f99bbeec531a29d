"""corpus → index directory: vectors in FAISS, entries, the situation model and a manifest.

The manifest records the model, dimension, corpus hash, build time and a content hash per reply. `sync`
compares it with the corpus: a different model or format means a full rebuild; otherwise only the replies
that were added, edited or deleted are re-embedded. Files are written beside the old ones and renamed, the
manifest last, so a crash mid-build leaves the previous index intact.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from .classifier import CharModel, SituationModel, training_rows
from ..corpus.files import atomic_write, bank_hash, corpus_hash, reply_hash
from .borrow import Lender
from .dense import DenseIndex
from .drift import rebuild_due
from .embed import Embedder
from .segment import default_segmenter
from ..storage.files import FILE_MODE
from ..errors import IndexError_
from ..records import Corpus, Manifest
from .text import normalize

FORMAT = 3
BANK_PREFIX = "@"  # manifest key of a situation's buyer-intent bank ("@bargain"); reply ids never start with it
OOS = "_oos"  # the background situation: messages no reply answers
MANIFEST, ENTRIES, VECTORS, CLASSIFIER, CHARS, TOKENS = \
    "manifest.json", "entries.json", "dense.faiss", "classifier.npz", "chars.npz", "tokens.json"
LOCK = ".lock"
log = logging.getLogger(__name__)


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


ENTRY_FIELDS = ["vid", "reply", "situation", "kind", "text"]  # the order of an entry's row in ENTRIES


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
    hashes = {rid: reply_hash(r) for rid, r in corpus.replies.items()}
    hashes.update({BANK_PREFIX + sid: bank_hash(s) for sid, s in corpus.situations.items() if s.examples})
    return hashes


def _dedupe(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, out = set(), []
    for kind, text in texts:
        if text and (kind, text) not in seen:
            seen.add((kind, text))
            out.append((kind, text))
    return out


@dataclass
class BuiltIndex:
    manifest: Manifest
    entries: list[Entry]
    dense: DenseIndex
    classifier: SituationModel
    chars: CharModel
    # Each text's index terms, cut by the segmenter whose stamp is `token_stamp`: a loading engine's BM25 takes
    # them instead of segmenting every text again (half a second for a shop of 3,500 texts).
    tokens: dict[str, list[str]] = field(default_factory=dict)
    token_stamp: str = ""


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
    """`known`: the index in memory. While the files are still the ones it came from (the same manifest), its
    entries and models are taken as they are (parsing 100,000 entries costs a second) and only the vectors are
    read: a copy the caller may change."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexError_(f"{index_dir}: no index here; build it with `suggest index build`")
    if known is not None and known.manifest == manifest:
        entries, classifier, chars = known.entries, known.classifier, known.chars
        tokens, token_stamp = known.tokens, known.token_stamp
    else:
        entries, classifier, chars = _read_entries_and_models(index_dir)
        tokens, token_stamp = _read_tokens(index_dir)
    try:
        dense = DenseIndex.read(index_dir / VECTORS)
    except RuntimeError as exc:
        raise IndexError_(f"{index_dir / VECTORS}: corrupt FAISS index ({str(exc).splitlines()[0]}); "
                          "rebuild with `suggest index build`") from None
    if dense.dimension != manifest.dimension or set(dense.ids()) != {e.vid for e in entries}:
        # e.g. a crash between writing the vectors and the entries: the files are from different builds
        raise IndexError_(f"{index_dir}: vectors and entries disagree ({len(dense)} vs {len(entries)}); "
                          "rebuild with `suggest index build`")
    return BuiltIndex(manifest, entries, dense, classifier, chars, tokens, token_stamp)


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


def _read_entries_and_models(index_dir: Path) -> tuple[list[Entry], SituationModel, CharModel]:
    entries_path = index_dir / ENTRIES
    try:
        stored = json.loads(entries_path.read_text(encoding="utf-8"))
        if stored["fields"] != ENTRY_FIELDS:
            raise TypeError(f"fields {stored['fields']}, expected {ENTRY_FIELDS}")
        entries = [Entry(*row) for row in stored["rows"]]
    except (OSError, json.JSONDecodeError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IndexError_(f"{entries_path}: corrupt index entries ({exc}); rebuild with `suggest index build`") from None
    try:
        classifier = SituationModel.load(index_dir / CLASSIFIER)
        chars = CharModel.load(index_dir / CHARS)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexError_(f"{index_dir}: corrupt situation model ({exc}); "
                          "rebuild with `suggest index build`") from None
    return entries, classifier, chars


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


def _write(index_dir: Path, built: BuiltIndex) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp_vectors = index_dir / f".{VECTORS}.{os.getpid()}.tmp"
    built.dense.write(tmp_vectors)
    os.chmod(tmp_vectors, FILE_MODE)  # like every file written from the corpus: owner-only
    tmp_vectors.replace(index_dir / VECTORS)
    for name, model in ((CLASSIFIER, built.classifier), (CHARS, built.chars)):
        tmp = index_dir / f".{name}.{os.getpid()}.tmp"
        model.save(tmp)
        os.chmod(tmp, FILE_MODE)
        tmp.replace(index_dir / name)
    # one document of rows, encoded in one call: a line per entry cost a second per save at 100,000 entries
    rows = [[e.vid, e.reply, e.situation, e.kind, e.text] for e in built.entries]
    atomic_write(index_dir / ENTRIES, json.dumps({"fields": ENTRY_FIELDS, "rows": rows}, ensure_ascii=False))
    atomic_write(index_dir / TOKENS, json.dumps({"segmenter": built.token_stamp, "tokens": built.tokens},
                                                ensure_ascii=False))
    atomic_write(index_dir / MANIFEST, json.dumps(vars(built.manifest), ensure_ascii=False, indent=1))


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
                return current, {"added": 0, "updated": 0, "removed": 0}
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
        dense.remove([e.vid for e in old.entries if e.unit in stale])
        entries = [e for e in old.entries if e.unit not in stale]
        new_items = []
    for unit in sorted(changed):
        rid, sid, texts = _unit_texts(corpus, unit)
        new_items += [(rid, sid, kind, text) for kind, text in texts]
    next_vid = max((e.vid for e in entries), default=-1) + 1
    vectors = embedder.encode([t for *_, t in new_items], progress=progress)
    fresh = [Entry(next_vid + i, rid, sid, kind, text) for i, (rid, sid, kind, text) in enumerate(new_items)]
    dense.add(np.array([e.vid for e in fresh], dtype=np.int64), vectors)
    entries = entries + fresh
    entries, lent_hashes = _lend(index_dir, corpus, embedder, lender, dense, entries, hashes,
                                 old.manifest.replies if old is not None else {}, progress)
    dense = dense.suited()
    classifier, chars, drift = _situation_models(old, dense, entries, classifier_c)
    manifest = Manifest(model=embedder.name, dimension=embedder.dimension, corpus_hash=digest,
                        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), format=FORMAT,
                        entries=len(entries), replies={**hashes, **lent_hashes},
                        lender=lender.digest() if lender else "", drift=drift)
    segmenter = default_segmenter()
    known_tokens = old.tokens if old is not None and old.token_stamp == segmenter.stamp else {}
    tokens = segmenter.tokens_of((e.text for e in entries), known_tokens)
    built = BuiltIndex(manifest, entries, dense, classifier, chars, tokens, segmenter.stamp)
    _write(index_dir, built)
    changed = {u for u in changed if not u.startswith(BANK_PREFIX)}  # the counts speak of replies
    removed = {u for u in removed if not u.startswith(BANK_PREFIX)}
    counts = {"added": len(changed - set(old.manifest.replies)) if old else len(changed),
              "updated": len(changed & set(old.manifest.replies)) if old else 0,
              "removed": len(removed)}
    return built, counts


def _situation_models(old: BuiltIndex | None, dense: DenseIndex, entries: list[Entry],
                      c: float) -> tuple[SituationModel, CharModel, int]:
    """The old models while the situations are the same and few rows changed since their fit (see `drift`),
    else both fitted anew; with the rows changed since their fit."""
    labels = [e.situation for e in entries]
    drift = 0
    if old is not None:  # rows gone and rows added (a changed text is a new row)
        before, after = {(e.vid, e.text) for e in old.entries}, {(e.vid, e.text) for e in entries}
        drift = old.manifest.drift + len(before - after) + len(after - before)
    if old is not None and old.classifier.classes == sorted(set(labels)) and not rebuild_due(drift, len(entries)):
        return old.classifier, old.chars, drift
    fitted = [entries[row] for row in training_rows(labels)]
    vectors = dense.vectors(np.array([e.vid for e in fitted], dtype=np.int64))
    classifier = SituationModel.fit(vectors, [e.situation for e in fitted], c,
                                    previous=old.classifier if old is not None else None)
    chars = CharModel.fit([e.text for e in fitted], [e.situation for e in fitted], classifier.classes, c)
    return classifier, chars, 0


def _lend(index_dir: Path, corpus: Corpus, embedder: Embedder, lender: Lender | None, dense: DenseIndex,
          entries: list[Entry], hashes: dict[str, str], previous: dict[str, str],
          progress: bool) -> tuple[list[Entry], dict[str, str]]:
    """`entries` with the banks lent now, and their unit hashes. A bank lent at the last sync (`previous`) to
    the same situation is kept as it is (the same rows: nothing for the dense and BM25 indexes to redo); one
    lent elsewhere or no longer is removed from `dense`."""
    lent_before = [e for e in entries if e.kind == "bank" and e.unit not in hashes]
    lent, lent_hashes = _borrow(index_dir, corpus, embedder, lender, dense, entries, progress) \
        if lender is not None else ([], {})
    same = {unit for unit, digest in lent_hashes.items() if previous.get(unit) == digest}
    gone = {e.vid for e in lent_before if e.unit not in same}
    dense.remove(sorted(gone))
    lent = [(e, v) for e, v in lent if e.unit not in same]
    if lent:
        dense.add(np.array([e.vid for e, _ in lent], dtype=np.int64), np.stack([v for _, v in lent]))
    return [e for e in entries if e.vid not in gone] + [e for e, _ in lent], lent_hashes


def _borrow(index_dir: Path, corpus: Corpus, embedder: Embedder, lender: Lender, dense: DenseIndex,
            entries: list[Entry], progress: bool) -> tuple[list[tuple[Entry, np.ndarray]], dict[str, str]]:
    """Bank entries lent to the situations that have none, with their (cached) vectors, and their unit hashes:
    nothing is re-embedded. `entries` holds the banks lent before: new rows get new ids."""
    borrowers = {sid for sid, s in corpus.situations.items() if not s.examples}
    if not borrowers:
        return [], {}
    own = [e for e in entries if e.kind in ("example", "reply")]
    vectors = dense.vectors(np.array([e.vid for e in own], dtype=np.int64))
    home: dict[str, list[np.ndarray]] = {}
    for entry, vector in zip(own, vectors):
        home.setdefault(entry.situation, []).append(vector)
    texts, bank_vectors = lender.vectors(embedder, index_dir, progress)
    matches = lender.match({sid: np.stack(v) for sid, v in home.items()}, borrowers, texts, bank_vectors)
    next_vid = max((e.vid for e in entries), default=-1) + 1
    lent: list[tuple[Entry, np.ndarray]] = []
    for sid, lender_id in sorted(matches.items()):
        for (source, text), vector in zip(texts, bank_vectors):
            if source == lender_id:
                lent.append((Entry(next_vid + len(lent), None, sid, "bank", text), vector))
    if matches:
        log.info("lent buyer-intent banks: %s", ", ".join(f"{s}<-{b}" for s, b in sorted(matches.items())))
    return lent, {BANK_PREFIX + sid: lender.lent_hash(b) for sid, b in matches.items()}

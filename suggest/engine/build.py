"""corpus → index directory: vectors in FAISS, entries, the situation model and a manifest.

The manifest records the model, dimension, corpus hash, build time and a content hash per reply. `sync`
compares it with the corpus: a different model or format means a full rebuild; otherwise only the replies
that were added, edited or deleted are re-embedded. Files are written beside the old ones and renamed, the
manifest last, so a crash mid-build leaves the previous index intact.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from .classifier import SituationModel
from ..corpus.files import atomic_write, bank_hash, corpus_hash, reply_hash
from .dense import DenseIndex
from .embed import Embedder
from ..errors import IndexError_
from ..records import Corpus, Manifest
from .text import normalize

FORMAT = 2
BANK_PREFIX = "@"  # manifest key of a situation's buyer-intent bank ("@bargain"); reply ids never start with it
OOS = "_oos"  # the background situation: messages no reply answers
MANIFEST, ENTRIES, VECTORS, CLASSIFIER = "manifest.json", "entries.jsonl", "dense.faiss", "classifier.npz"
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


def read_index(index_dir: Path) -> BuiltIndex:
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexError_(f"{index_dir}: no index here; build it with `suggest index build`")
    entries_path = index_dir / ENTRIES
    try:
        entries = [Entry(**json.loads(line)) for line in entries_path.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise IndexError_(f"{entries_path}: corrupt index entries ({exc}); rebuild with `suggest index build`") from None
    try:
        dense = DenseIndex.read(index_dir / VECTORS)
    except RuntimeError as exc:
        raise IndexError_(f"{index_dir / VECTORS}: corrupt FAISS index ({str(exc).splitlines()[0]}); "
                          "rebuild with `suggest index build`") from None
    try:
        classifier = SituationModel.load(index_dir / CLASSIFIER)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexError_(f"{index_dir / CLASSIFIER}: corrupt situation model ({exc}); "
                          "rebuild with `suggest index build`") from None
    if dense.dimension != manifest.dimension or set(dense.ids()) != {e.vid for e in entries}:
        # e.g. a crash between writing the vectors and the entries: the files are from different builds
        raise IndexError_(f"{index_dir}: vectors and entries disagree ({len(dense)} vs {len(entries)}); "
                          "rebuild with `suggest index build`")
    return BuiltIndex(manifest, entries, dense, classifier)


def staleness(manifest: Manifest | None, corpus: Corpus, embedder: Embedder) -> str | None:
    """Why the index cannot be served as it is, or None when it is current."""
    if manifest is None:
        return "no index yet"
    if manifest.format != FORMAT:
        return f"index format {manifest.format} (this version writes {FORMAT})"
    if manifest.model != embedder.name or manifest.dimension != embedder.dimension:
        return f"built with model {manifest.model!r}, configured {embedder.name!r}"
    if manifest.corpus_hash != corpus_hash(corpus):
        return "the corpus changed since the index was built"
    return None


def _write(index_dir: Path, built: BuiltIndex) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp_vectors = index_dir / f".{VECTORS}.tmp"
    built.dense.write(tmp_vectors)
    tmp_vectors.replace(index_dir / VECTORS)
    tmp_classifier = index_dir / f".{CLASSIFIER}.tmp"
    built.classifier.save(tmp_classifier)
    tmp_classifier.replace(index_dir / CLASSIFIER)
    atomic_write(index_dir / ENTRIES, "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in built.entries))
    atomic_write(index_dir / MANIFEST, json.dumps(asdict(built.manifest), ensure_ascii=False, indent=1))


def sync_index(index_dir: Path, corpus: Corpus, embedder: Embedder, classifier_c: float,
               full: bool = False, progress: bool = False) -> tuple[BuiltIndex, dict[str, int]]:
    """Bring the index in line with the corpus, re-embedding only what changed unless `full`.

    Returns the index and counts of replies added, updated and removed (all replies on a full build).
    """
    old: BuiltIndex | None = None
    if not full:
        try:
            manifest = read_manifest(index_dir)
            reason = staleness(manifest, corpus, embedder)
            if manifest is not None and not reason:
                return read_index(index_dir), {"added": 0, "updated": 0, "removed": 0}
            if manifest is not None and manifest.format == FORMAT and manifest.model == embedder.name \
                    and manifest.dimension == embedder.dimension:
                old = read_index(index_dir)
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
        stale = changed | removed
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
    all_vectors = dense.vectors(np.array([e.vid for e in entries], dtype=np.int64))
    classifier = SituationModel.fit(all_vectors, [e.situation for e in entries], classifier_c)
    manifest = Manifest(model=embedder.name, dimension=embedder.dimension, corpus_hash=corpus_hash(corpus),
                        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), format=FORMAT,
                        entries=len(entries), replies=hashes)
    built = BuiltIndex(manifest, entries, dense, classifier)
    _write(index_dir, built)
    changed = {u for u in changed if not u.startswith(BANK_PREFIX)}  # the counts speak of replies
    removed = {u for u in removed if not u.startswith(BANK_PREFIX)}
    counts = {"added": len(changed - set(old.manifest.replies)) if old else len(changed),
              "updated": len(changed & set(old.manifest.replies)) if old else 0,
              "removed": len(removed)}
    return built, counts

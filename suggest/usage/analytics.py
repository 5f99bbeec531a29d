"""The editors' report, from the feedback log: which replies agents use, which they never use, and the buyer
messages the corpus does not serve (the engine abstained, or the agent dismissed every suggestion), grouped by
similarity so that each group reads as one missing situation.

Grouping is greedy: messages (masked, normalised, counted) are taken most frequent first; each joins the
group whose centroid it is closest to if that cosine is at least `similarity`, otherwise it starts a group.

Cost (10,000 distinct messages: `python -m suggest.tools.analytics_bench`): a message is embedded once, ever
(its vector is kept in the feedback database, see suggest.usage.feedback, and read from there, not re-embedded,
by every later report); the grouping works on those vectors a block of messages at a time (`group_vectors`:
the same result as the one-at-a-time pass) and is kept in memory for the same messages, order and similarity,
so a page shown again costs the SQL reads only; each representative's nearest situation is computed once per
engine index.
"""

from __future__ import annotations

import hashlib
import math
import weakref
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from threading import Lock

import numpy as np

from .feedback import FeedbackStore, model_key
from ..records import Corpus
from ..engine.text import normalize
from ..engine.threads import one_blas_thread

GROUP_SIMILARITY = 0.85  # m3e-small: paraphrases of one question score about 0.9, different questions 0.65-0.8
MAX_MESSAGES = 10000  # distinct unserved messages grouped, most frequent first
MAX_ROWS = 50000  # newest logged rows read per report (events; messages dismissed only)
EMBED_BATCH = 8  # the embedder's ONNX path (no PyTorch in a serving worker) takes up to 8 texts at a time
SAVE_EVERY = 256  # vectors embedded by a report are saved this often (a cut-off report keeps its work)
BLOCK = 128  # messages compared with the centroids in one matrix product
CACHE_SIZE = 8  # groupings kept in memory
VECTOR_CACHE = 20000  # stored vectors kept in memory (1 kB each for m3e-small)
LOW_RANK = 128  # dimensions of the projection that bounds similarities when there are many groups
BOUND_FROM = 1024  # groups from which the bound is used (below it the full product is cheap)
BOUND_SLACK = 1e-3  # float32 rounding in the bound
NEAREST_SIZE = 50000  # messages whose nearest situation is kept in memory
MAX_PASSING = 0.05  # share of (row, group) pairs the bound may pass for it to be worth it


@dataclass(frozen=True)
class ReplyUsage:
    id: str
    text: str
    situation: str
    situation_name: str
    copied: int = 0
    sent: int = 0
    dismissed: int = 0

    @property
    def uses(self) -> int:
        return self.copied + self.sent

    def to_dict(self) -> dict:
        return {**asdict(self), "uses": self.uses}


@dataclass
class Gap:
    """One group of similar unserved buyer messages."""

    representative: str
    count: int
    messages: list[tuple[str, int]]  # distinct messages with their counts, most frequent first
    abstained: int = 0
    dismissed_all: int = 0
    nearest_situation: str | None = None
    nearest_name: str | None = None
    nearest_score: float | None = None

    def to_dict(self) -> dict:
        return {"representative": self.representative, "count": self.count,
                "messages": [{"message": m, "count": c} for m, c in self.messages],
                "abstained": self.abstained, "dismissed_all": self.dismissed_all,
                "nearest_situation": self.nearest_situation, "nearest_name": self.nearest_name,
                "nearest_score": self.nearest_score}


@dataclass
class Report:
    days: int | None
    since: str | None
    totals: dict[str, int]
    most_used: list[ReplyUsage] = field(default_factory=list)
    least_used: list[ReplyUsage] = field(default_factory=list)
    never_used: list[ReplyUsage] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    by_situation: list[dict] = field(default_factory=list)  # {id, name, uses}

    @property
    def max_uses(self) -> int:
        return max([u.uses for u in self.most_used] + [1])

    @property
    def max_gap(self) -> int:
        return max([g.count for g in self.gaps] + [1])

    def to_dict(self) -> dict:
        return {"days": self.days, "since": self.since, "totals": self.totals,
                "most_used": [u.to_dict() for u in self.most_used],
                "least_used": [u.to_dict() for u in self.least_used],
                "never_used": [u.to_dict() for u in self.never_used],
                "gaps": [g.to_dict() for g in self.gaps], "by_situation": self.by_situation}


def _since(days: int | None, now: datetime | None = None) -> str | None:
    if not days:
        return None
    now = now or datetime.now(timezone.utc)
    return (now - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")


def _basis(vectors: np.ndarray, rank: int, sample: int = 2048) -> np.ndarray:
    """An orthonormal basis (columns) of the `rank` directions that carry most of the rows' length."""
    step = max(1, len(vectors) // sample)
    rows = vectors[::step].astype(np.float64)
    _, eigenvectors = np.linalg.eigh(rows.T @ rows)
    return np.ascontiguousarray(eigenvectors[:, ::-1][:, :rank], dtype=np.float32)


def group_vectors(vectors: np.ndarray, similarity: float = GROUP_SIMILARITY, block: int = BLOCK) -> list[list[int]]:
    """Row indexes of `vectors` (unit length) grouped greedily by cosine similarity to each group's centroid,
    rows in order of preference: each row joins the group whose centroid is most similar, if that is at least
    `similarity`, otherwise it starts a group.

    The result is exactly that of the one-row-at-a-time pass; the work is done a block of rows at a time. For
    each block, one matrix product gives every row's similarity to every centroid, or, once there are many
    groups, an upper bound of it from a low-rank projection (u·c <= Pu·Pc + |u - PPu| |c - PPc|), so that only
    the few groups whose bound reaches `similarity` are compared in full. As a row joins or starts a group, that
    group's column is recomputed for the rows after it in the block."""
    one_blas_thread()  # many small products, which BLAS threads slow down (more so on a busy two-core server)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dimension = vectors.shape
    if not n:
        return []
    rank = LOW_RANK if dimension >= 2 * LOW_RANK else 0
    low = basis = rest = low_centroids = rest_centroids = None  # the low-rank bound, from BOUND_FROM groups on
    threshold = similarity - BOUND_SLACK
    groups: list[list[int]] = []
    sums = np.zeros((n, dimension), dtype=np.float32)
    centroids = np.zeros((n, dimension), dtype=np.float32)  # unit length, one row per group so far
    for start in range(0, n, block):
        rows = vectors[start:start + block]
        size, known = len(rows), len(groups)
        if rank and low is None and known >= BOUND_FROM:
            basis = _basis(vectors, rank)
            low = vectors @ basis
            rest = _remainder(vectors, low)
            low_centroids = np.zeros((n, rank), dtype=np.float32)
            np.matmul(centroids[:known], basis, out=low_centroids[:known])
            rest_centroids = np.zeros(n, dtype=np.float32)
            rest_centroids[:known] = _remainder(centroids[:known], low_centroids[:known])
        # per row of the block and group: the similarity (or its bound), with room for the groups the block starts
        sims = np.empty((size, known + size), dtype=np.float32)
        bounded = low is not None
        if bounded:
            np.matmul(low[start:start + size], low_centroids[:known].T, out=sims[:, :known])
            sims[:, :known] += np.outer(rest[start:start + size], rest_centroids[:known])
            # vectors without a low-rank structure (the bound passes too many groups): the full product
            bounded = np.count_nonzero(sims[:, :known] >= threshold) <= MAX_PASSING * size * known
        if not bounded:
            np.matmul(rows, centroids[:known].T, out=sims[:, :known])
        sims[:, known:] = -np.inf
        for offset in range(size):
            row = rows[offset]
            count = len(groups)
            best = -1
            if bounded:  # the groups whose bound reaches the threshold, compared in full
                candidates = (sims[offset, :count] >= threshold).nonzero()[0]
                if len(candidates):
                    exact = centroids[candidates] @ row
                    j = int(exact.argmax())  # the first of equals: the lowest group, as in the plain pass
                    if exact[j] >= similarity:
                        best = int(candidates[j])
            elif count:
                j = int(sims[offset, :count].argmax())
                if sims[offset, j] >= similarity:
                    best = j
            if best < 0:
                best = count
                groups.append([])
            groups[best].append(start + offset)
            total = sums[best]
            total += row
            centroid = centroids[best]
            np.multiply(total, 1.0 / max(math.sqrt(total @ total), 1e-9), out=centroid)
            if low is not None:
                low_centroid = low_centroids[best]
                np.matmul(centroid, basis, out=low_centroid)
                rest_centroids[best] = math.sqrt(max(float(centroid @ centroid - low_centroid @ low_centroid), 0.0))
            if offset + 1 < size:  # the rows after this one see the group as it is now
                if bounded:
                    later = slice(start + offset + 1, start + size)
                    np.matmul(low[later], low_centroids[best], out=sims[offset + 1:, best])
                    sims[offset + 1:, best] += rest[later] * rest_centroids[best]
                else:
                    np.matmul(rows[offset + 1:], centroid, out=sims[offset + 1:, best])
    return groups


def _remainder(vectors: np.ndarray, low: np.ndarray) -> np.ndarray:
    """The length of each row outside the low-rank projection."""
    return np.sqrt(np.maximum(np.einsum("ij,ij->i", vectors, vectors) - np.einsum("ij,ij->i", low, low), 0))


def group_messages(messages: list[str], embedder, similarity: float = GROUP_SIMILARITY) -> list[list[int]]:
    """Indexes of `messages` grouped greedily by cosine similarity to each group's centroid (input order is
    the order of preference: put the most frequent first). Embeds every message: reports use the stored
    vectors instead (`message_vectors`)."""
    if not messages:
        return []
    return group_vectors(embedder.encode([normalize(m) or m for m in messages]), similarity)


class _Vectors:
    """Stored vectors read before, per database and model, so that a report after a few new messages reads
    only those from SQLite (a vector never changes once stored)."""

    def __init__(self, size: int = VECTOR_CACHE) -> None:
        self._lock = Lock()
        self._size = size
        self._items: dict[tuple[str, str], dict[str, np.ndarray]] = {}

    def get(self, store: FeedbackStore, model: str, messages: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            known = self._items.get((str(store.path), model), {})
            return {m: known[m] for m in messages if m in known}

    def put(self, store: FeedbackStore, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            known = self._items.setdefault((str(store.path), model), {})
            if sum(map(len, self._items.values())) + len(vectors) > self._size:
                known.clear()
                self._items = {(str(store.path), model): known}
            known.update(vectors)

    def clear(self) -> None:
        with self._lock:
            self._items = {}


VECTORS = _Vectors()


def message_vectors(store: FeedbackStore, messages: list[str], embedder) -> np.ndarray:
    """Unit-length float32 rows for `messages` (as stored): the stored vectors, and for the messages without
    one (logged before vectors were kept, or by a store without an embedder) the embedder's, saved so that no
    message is ever embedded twice."""
    model = model_key(embedder)
    found = VECTORS.get(store, model, messages)
    read = store.vectors([m for m in messages if m not in found], model)
    found.update(read)
    missing = [m for m in dict.fromkeys(messages) if m not in found]
    embedded: dict[str, np.ndarray] = {}
    pending: list[tuple[str, np.ndarray]] = []
    for start in range(0, len(missing), EMBED_BATCH):
        chunk = missing[start:start + EMBED_BATCH]
        for message, vector in zip(chunk, embedder.encode([normalize(m) or m for m in chunk])):
            vector = np.asarray(vector, dtype=np.float16)  # as stored: the same numbers on every report
            embedded[message] = vector
            pending.append((message, vector))
        if len(pending) >= SAVE_EVERY:
            store.save_vectors(model, pending)
            pending = []
    store.save_vectors(model, pending)
    found.update(embedded)
    VECTORS.put(store, model, {**read, **embedded})
    if not messages:
        return np.zeros((0, getattr(embedder, "dimension", 0) or 0), dtype=np.float32)
    return np.vstack([found[m] for m in messages]).astype(np.float32)


class _Groupings:
    """Groupings already computed, keyed by the model, the similarity and the messages in their order."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[tuple, list[list[int]]] = OrderedDict()
        self._size = size
        self._lock = Lock()

    @staticmethod
    def key(model: str, similarity: float, messages: list[str]) -> tuple:
        digest = hashlib.sha256("\x00".join(messages).encode("utf-8")).hexdigest()
        return model, round(float(similarity), 6), len(messages), digest

    def get(self, key: tuple) -> list[list[int]] | None:
        with self._lock:
            groups = self._items.get(key)
            if groups is not None:
                self._items.move_to_end(key)
            return groups

    def put(self, key: tuple, groups: list[list[int]]) -> None:
        with self._lock:
            self._items[key] = groups
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


GROUPINGS = _Groupings()
_COMPUTING = Lock()


def cached_groups(store: FeedbackStore, messages: list[str], embedder,
                  similarity: float = GROUP_SIMILARITY) -> list[list[int]]:
    """`group_vectors` over the stored vectors of `messages`, computed once per model, similarity and list."""
    if not messages:
        return []
    key = GROUPINGS.key(model_key(embedder), similarity, messages)
    groups = GROUPINGS.get(key)
    if groups is None:
        with _COMPUTING:  # two editors opening the page at once: the second one waits and takes the result
            groups = GROUPINGS.get(key)
            if groups is None:
                groups = group_vectors(message_vectors(store, messages, embedder), similarity)
                GROUPINGS.put(key, groups)
    return groups


def build_report(corpus: Corpus, store: FeedbackStore, embedder=None, engine=None, days: int | None = 30,
                 top: int = 10, similarity: float = GROUP_SIMILARITY, now: datetime | None = None) -> Report:
    """The report over the last `days` days (None: everything). `embedder` groups the unserved messages
    (without it every distinct message is its own group); `engine`, if given, names each group's nearest
    situation."""
    since = _since(days, now)
    usage = store.usage(since)
    rows: list[ReplyUsage] = []
    for reply in corpus.replies.values():
        counts = usage.get(reply.id, {})
        situation = corpus.situations.get(reply.situation)
        rows.append(ReplyUsage(reply.id, reply.text, reply.situation, situation.name if situation else reply.situation,
                               counts.get("copied", 0), counts.get("sent", 0), counts.get("dismissed", 0)))
    active = [u for u in rows if not corpus.replies[u.id].retired]
    used = [u for u in active if u.uses > 0]
    most = sorted(used, key=lambda u: (-u.uses, u.dismissed, u.id))[:top]
    shown = {u.id for u in most}
    # the least used of the rest: a reply is in one list or the other, never both
    least = sorted((u for u in used if u.id not in shown), key=lambda u: (u.uses, -u.dismissed, u.id))[:top]
    never = sorted((u for u in active if u.uses == 0), key=lambda u: (u.situation, u.id))

    per_situation: dict[str, int] = {}
    for u in rows:
        per_situation[u.situation] = per_situation.get(u.situation, 0) + u.uses
    by_situation = [{"id": sid, "name": corpus.situations[sid].name if sid in corpus.situations else sid, "uses": n}
                    for sid, n in sorted(per_situation.items(), key=lambda item: (-item[1], item[0])) if n]

    # unserved messages: logged events, and messages whose every feedback row is a dismissal
    kinds: dict[str, dict[str, int]] = {}
    for _, kind, message in store.events(since, MAX_ROWS):
        kinds.setdefault(message, {"abstained": 0, "dismissed_all": 0})[kind] += 1
    for _, message in store.dismissed_only(since, MAX_ROWS):
        entry = kinds.setdefault(message, {"abstained": 0, "dismissed_all": 0})
        if not entry["dismissed_all"]:
            entry["dismissed_all"] = 1
    distinct = sorted(kinds, key=lambda m: (-sum(kinds[m].values()), m))[:MAX_MESSAGES]
    if embedder is not None:
        groups = cached_groups(store, distinct, embedder, similarity)
    else:
        groups = [[i] for i in range(len(distinct))]
    gaps = []
    for members in groups:
        messages = [(distinct[i], sum(kinds[distinct[i]].values())) for i in members]
        messages.sort(key=lambda item: -item[1])
        gaps.append(Gap(representative=messages[0][0], count=sum(c for _, c in messages), messages=messages,
                        abstained=sum(kinds[distinct[i]]["abstained"] for i in members),
                        dismissed_all=sum(kinds[distinct[i]]["dismissed_all"] for i in members)))
    gaps.sort(key=lambda g: (-g.count, g.representative))
    if engine is not None and gaps:
        _name_nearest(engine, gaps, store)

    feedback_totals = {"copied": 0, "sent": 0, "dismissed": 0}
    for counts in usage.values():
        for action in feedback_totals:
            feedback_totals[action] += counts.get(action, 0)
    totals = {**feedback_totals,
              "abstained": sum(k["abstained"] for k in kinds.values()),
              "dismissed_all": sum(k["dismissed_all"] for k in kinds.values()),
              "active_replies": len(active), "used_replies": len(used), "never_used": len(never),
              "gap_groups": len(gaps)}
    return Report(days=days, since=since, totals=totals, most_used=most, least_used=least, never_used=never,
                  gaps=gaps, by_situation=by_situation)


class _Nearest:
    """The situations of the engine's index as one matrix, and each message's nearest situation, computed once
    per index and corpus (an edit gives the engine new ones: then everything is computed again)."""

    def __init__(self, size: int = NEAREST_SIZE) -> None:
        self._lock = Lock()
        self._size = size
        self._refs: tuple = ()
        self._situations: list[str] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._found: dict[str, tuple[str, float]] = {}

    def _current(self, engine) -> None:
        index, corpus = engine.index, engine.corpus
        if self._refs and self._refs[0]() is index and self._refs[1]() is corpus:
            return
        entries = [e for e in index.entries if e.situation in corpus.situations]
        self._matrix = index.dense.vectors(np.array([e.vid for e in entries], dtype=np.int64))
        self._situations = [e.situation for e in entries]
        self._found = {}
        try:
            self._refs = (weakref.ref(index), weakref.ref(corpus))
        except TypeError:  # pragma: no cover - objects without weak references: computed on every report
            self._refs = ()

    def lookup(self, engine, messages: list[str], vectors) -> dict[str, tuple[str, float]]:
        """(situation id, cosine) per message; `vectors(missing)` gives the rows of those not seen yet."""
        with self._lock:
            self._current(engine)
            found, situations, matrix = self._found, self._situations, self._matrix
            missing = [m for m in dict.fromkeys(messages) if m not in found]
        if missing and situations:
            sims = vectors(missing) @ matrix.T
            best = sims.argmax(axis=1)
            fresh = {m: (situations[int(b)], round(float(row[b]), 3)) for m, row, b in zip(missing, sims, best)}
            with self._lock:
                if found is self._found:  # still the same index and corpus
                    if len(found) + len(fresh) > self._size:
                        found.clear()
                    found.update(fresh)
            found = {**found, **fresh}
        return {m: found[m] for m in messages if m in found}

    def clear(self) -> None:
        with self._lock:
            self._refs = ()
            self._found = {}


NEAREST = _Nearest()


def _name_nearest(engine, gaps: list[Gap], store: FeedbackStore | None = None) -> None:
    """Each group's closest situation: the highest cosine between its representative message and any example
    (or reply text) of the situation in the engine's index. Low values mean the corpus has nothing like it.
    The representatives' vectors are the stored ones (embedded once) when `store` is given."""
    def vectors(messages: list[str]) -> np.ndarray:
        if store is not None:
            return message_vectors(store, messages, engine.embedder)
        return engine.embedder.encode([normalize(m) or m for m in messages])

    try:
        corpus = engine.corpus
        nearest = NEAREST.lookup(engine, [g.representative for g in gaps], vectors)
    except Exception:  # the report is useful without it
        return
    for gap in gaps:
        if gap.representative in nearest:
            situation_id, score = nearest[gap.representative]
            situation = corpus.situations.get(situation_id)
            if situation is None:  # the corpus changed meanwhile
                continue
            gap.nearest_situation = situation.id
            gap.nearest_name = situation.name
            gap.nearest_score = score


def format_report(report: Report) -> str:
    """Plain text for `suggest report`."""
    t = report.totals
    period = f"last {report.days} days" if report.days else "all time"
    lines = [f"report ({period}): {t['copied']} copied, {t['sent']} sent, {t['dismissed']} dismissed; "
             f"{t['abstained']} abstained, {t['dismissed_all']} dismissed-all messages",
             f"replies: {t['used_replies']} of {t['active_replies']} active replies used, {t['never_used']} never used",
             "", "most used:"]
    lines += [f"  {u.uses:5d}  {u.id:20} {u.text[:50]}" for u in report.most_used] or ["  (none)"]
    lines += ["", "least used:"]
    lines += [f"  {u.uses:5d}  {u.id:20} {u.text[:50]}" for u in report.least_used] or ["  (none)"]
    lines += ["", f"never used ({len(report.never_used)}):"]
    lines += [f"         {u.id:20} {u.text[:50]}" for u in report.never_used[:50]] or ["  (none)"]
    if len(report.never_used) > 50:
        lines.append(f"         … and {len(report.never_used) - 50} more")
    lines += ["", "unserved buyer messages, grouped (abstained / dismissed every suggestion):"]
    for gap in report.gaps:
        near = f"  nearest situation: {gap.nearest_name} (similarity {gap.nearest_score:.2f})" if gap.nearest_name else ""
        lines.append(f"  {gap.count:5d}  {gap.representative}  [abstained {gap.abstained}, dismissed {gap.dismissed_all}]{near}")
        for message, count in gap.messages[1:6]:
            lines.append(f"         · {message} ({count})")
    if not report.gaps:
        lines.append("  (none)")
    return "\n".join(lines)

"""The editors' report, from the feedback log: which replies agents use, which they never use, and the buyer
messages the corpus does not serve (the engine abstained, or the agent dismissed every suggestion), grouped by
similarity so that each group reads as one missing situation.

Grouping is greedy: messages (masked, normalised, counted) are taken most frequent first; each joins the
group whose centroid it is closest to if that cosine is at least `similarity`, otherwise it starts a group.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from .feedback import FeedbackStore
from ..records import Corpus
from ..engine.text import normalize

GROUP_SIMILARITY = 0.85  # m3e-small: paraphrases of one question score about 0.9, different questions 0.65-0.8
MAX_MESSAGES = 2000


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


def group_messages(messages: list[str], embedder, similarity: float = GROUP_SIMILARITY) -> list[list[int]]:
    """Indexes of `messages` grouped greedily by cosine similarity to each group's centroid (input order is
    the order of preference: put the most frequent first)."""
    if not messages:
        return []
    vectors = embedder.encode([normalize(m) or m for m in messages])
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        best, best_sim = -1, -1.0
        if sums:
            centroids = np.vstack([s / max(np.linalg.norm(s), 1e-9) for s in sums])
            sims = centroids @ vector
            best = int(np.argmax(sims))
            best_sim = float(sims[best])
        if best >= 0 and best_sim >= similarity:
            groups[best].append(i)
            sums[best] = sums[best] + vector
        else:
            groups.append([i])
            sums.append(vector.astype(np.float64))
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
    for _, kind, message in store.events(since, MAX_MESSAGES):
        kinds.setdefault(message, {"abstained": 0, "dismissed_all": 0})[kind] += 1
    for _, message in store.dismissed_only(since, MAX_MESSAGES):
        entry = kinds.setdefault(message, {"abstained": 0, "dismissed_all": 0})
        if not entry["dismissed_all"]:
            entry["dismissed_all"] = 1
    distinct = sorted(kinds, key=lambda m: (-sum(kinds[m].values()), m))[:MAX_MESSAGES]
    if embedder is not None:
        groups = group_messages(distinct, embedder, similarity)
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
        _name_nearest(engine, gaps)

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


def _name_nearest(engine, gaps: list[Gap]) -> None:
    """Each group's closest situation: the highest cosine between its representative message and any example
    (or reply text) of the situation in the engine's index. Low values mean the corpus has nothing like it."""
    try:
        index = engine.index
        corpus = engine.corpus
        entries = [e for e in index.entries if e.situation in corpus.situations]
        if not entries:
            return
        vectors = index.dense.vectors(np.array([e.vid for e in entries], dtype=np.int64))
        queries = engine.embedder.encode([normalize(g.representative) or g.representative for g in gaps])
    except Exception:  # the report is useful without it
        return
    sims = queries @ vectors.T
    for gap, row in zip(gaps, sims):
        best = int(np.argmax(row))
        situation = corpus.situations[entries[best].situation]
        gap.nearest_situation = situation.id
        gap.nearest_name = situation.name
        gap.nearest_score = round(float(row[best]), 3)


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

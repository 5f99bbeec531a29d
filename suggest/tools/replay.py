"""Replay: does the engine get better with use? A stream of labelled buyer messages is answered in order, and
after each the agent "sends" a reply of the right situation (the first suggestion of a gold situation, or else that
situation's first reply), as `POST /api/v1/feedback` with action "sent" would record it. Hit@1 on the second half
of the stream is compared with the same stream with learning off."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..engine.suggester import Suggester
from ..usage.learning import Learner, LearningStore
from .evaluate import Query


@dataclass(frozen=True)
class ReplayReport:
    mode: str
    hit1_second_half: float
    learned: int
    pending: int
    messages: int


def replay(engine: Suggester, queries: list[Query], mode: str) -> ReplayReport:
    stream = [q for q in queries if q.gold]
    half = len(stream) // 2
    hits = 0
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        learner = Learner(LearningStore(Path(tmp) / "learning.sqlite3"), mode, engine.settings.learned_per_situation)
        try:
            for i, q in enumerate(stream):
                result = engine.suggest(q.message, k=5, context=list(q.context) or None)
                if i >= half:
                    hits += bool(result.suggestions) and result.suggestions[0].situation in q.gold
                chosen = next((s.id for s in result.suggestions if s.situation in q.gold), None)
                if chosen is None:
                    replies = [r for g in q.gold for r in engine.corpus.active_replies_of(g)]
                    chosen = replies[0].id if replies else None
                if chosen is None:
                    continue
                learner.observe(engine, q.message, engine.reply(chosen), "sent")
            report = ReplayReport(mode, hits / max(len(stream) - half, 1), learner.store.count("learned"),
                                  learner.store.count("pending"), len(stream))
        finally:
            engine.set_learned([], [])
    return report


def format_replay(reports: list[ReplayReport]) -> str:
    lines = [f"{'replay (learning)':18}{'hit@1, 2nd half':>17}{'learned':>9}{'pending':>9}"]
    for r in reports:
        lines.append(f"{r.mode:18}{r.hit1_second_half:17.3f}{r.learned:9d}{r.pending:9d}")
    lines.append(f"stream: {reports[0].messages} labelled messages, each followed by a 'sent' feedback")
    return "\n".join(lines)

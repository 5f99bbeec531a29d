"""Learning from agents' choices: a reply an agent copies or sends makes the buyer's message (masked as the
feedback log masks it) an example of that reply's situation; a dismissed reply counts against its situation for
similar messages.

Mode `review` (the default) keeps every candidate for an editor to accept or reject; `auto` learns at once unless
the choice looks wrong (the message scores low for the chosen situation, or the same message was chosen for
another situation), and those wait for review; `off` learns nothing. Learned examples live in the storage layer
(SQLite, or the PostgreSQL several servers share), not in the corpus files: the engine lays them over its index
(`Suggester.set_learned`) without a refit, and every worker of every server notices a change by a version number
within `REFRESH_SECONDS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from threading import Lock

from sqlalchemy import (CheckConstraint, Column, Index, Integer, MetaData, Table, Text, UniqueConstraint, func, select,
                        update)

from ..engine.suggester import Suggester
from ..engine.text import normalize
from ..errors import ConfigError
from ..records import Reply
from ..storage.database import Database
from .privacy import mask

MODES = ("off", "review", "auto")
STATUSES = ("pending", "learned", "rejected")
REFRESH_SECONDS = 0.5  # how often a worker asks whether another one learned something
REASONS = {"low_score": "the message scores low for the chosen situation",
           "conflict": "the same message was chosen for another situation",
           "review": "learning is in review mode"}

METADATA = MetaData()
CANDIDATES = Table(
    "candidates", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("situation", Text, nullable=False),
    Column("reply_id", Text),
    Column("action", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    Column("decided_at", Text),
    Column("decided_by", Text),
    UniqueConstraint("message", "situation"),
    CheckConstraint("status IN ('pending', 'learned', 'rejected')", name="candidates_status_check"),
    Index("candidates_status", "status", "situation"),
    sqlite_autoincrement=True,
)
DISMISSALS = Table(
    "dismissals", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("situation", Text, nullable=False),
    UniqueConstraint("message", "situation"),
    sqlite_autoincrement=True,
)
META = Table("meta", METADATA, Column("key", Text, primary_key=True), Column("value", Integer, nullable=False))
_BUMP = update(META).where(META.c.key == "version").values(value=META.c.value + 1)


@dataclass(frozen=True)
class Candidate:
    id: int
    created_at: str
    message: str
    situation: str
    reply_id: str | None
    action: str
    status: str
    reason: str | None
    decided_at: str | None
    decided_by: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"setting 'learning' must be one of {', '.join(MODES)} (got {mode!r})", field="learning")
    return mode


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class LearningStore:
    """Candidates, learned examples and dismissals; a version number that changes with every learned change."""

    def __init__(self, where: Database | Path) -> None:
        self.db = Database.at(where)
        self.db.create(METADATA)
        with self.db.write() as db:
            db.execute(self.db.insert(META).values(key="version", value=0).on_conflict_do_nothing())

    def version(self) -> int:
        with self.db.read() as db:
            return int(db.execute(select(META.c.value).where(META.c.key == "version")).scalar_one())

    def propose(self, message: str, situation: str, reply_id: str | None, action: str, status: str,
                reason: str | None) -> Candidate | None:
        """A new candidate, or None when the same message is already known for this situation."""
        learned = status == "learned"
        with self.db.write() as db:
            row = db.execute(self.db.insert(CANDIDATES).values(
                created_at=_now(), message=message, situation=situation, reply_id=reply_id, action=action,
                status=status, reason=reason, decided_at=_now() if learned else None,
                decided_by="auto" if learned else None).on_conflict_do_nothing().returning(*CANDIDATES.c)).first()
            if row is None:
                return None
            if learned:
                db.execute(_BUMP)
        return Candidate(*row)

    def chosen_situations(self, message: str) -> set[str]:
        with self.db.read() as db:
            return set(db.execute(select(CANDIDATES.c.situation).where(
                CANDIDATES.c.message == message, CANDIDATES.c.status != "rejected")).scalars())

    def decide(self, ids: list[int], status: str, editor: str) -> int:
        """Accept (status 'learned') or reject candidates, or take a learned example back ('rejected')."""
        if status not in ("learned", "rejected"):
            raise ValueError(status)
        with self.db.write() as db:
            count = db.execute(update(CANDIDATES).where(CANDIDATES.c.id.in_(ids), CANDIDATES.c.status != status)
                               .values(status=status, decided_at=_now(), decided_by=editor)).rowcount
            if count:
                db.execute(_BUMP)
        return count

    def dismiss(self, message: str, situation: str) -> None:
        with self.db.write() as db:
            if db.execute(self.db.insert(DISMISSALS).values(created_at=_now(), message=message, situation=situation)
                          .on_conflict_do_nothing()).rowcount:
                db.execute(_BUMP)

    def candidates(self, status: str, limit: int = 1000) -> list[Candidate]:
        with self.db.read() as db:
            rows = db.execute(select(CANDIDATES).where(CANDIDATES.c.status == status)
                              .order_by(CANDIDATES.c.situation, CANDIDATES.c.id.desc()).limit(limit)).all()
        return [Candidate(*r) for r in rows]

    def count(self, status: str) -> int:
        with self.db.read() as db:
            return int(db.execute(select(func.count()).select_from(CANDIDATES)
                                  .where(CANDIDATES.c.status == status)).scalar_one())

    def learned(self, per_situation: int) -> list[tuple[str, str]]:
        """(situation, message) of learned examples, the newest `per_situation` of each situation."""
        newest = func.row_number().over(partition_by=CANDIDATES.c.situation, order_by=CANDIDATES.c.id.desc())
        ranked = select(CANDIDATES.c.situation, CANDIDATES.c.message, newest.label("n")).where(
            CANDIDATES.c.status == "learned").subquery()
        with self.db.read() as db:
            rows = db.execute(select(ranked.c.situation, ranked.c.message).where(ranked.c.n <= per_situation)
                              .order_by(ranked.c.situation, ranked.c.n)).all()
        return [(s, m) for s, m in rows]

    def dismissals(self, limit: int = 5000) -> list[tuple[str, str]]:
        with self.db.read() as db:
            rows = db.execute(select(DISMISSALS.c.situation, DISMISSALS.c.message)
                              .order_by(DISMISSALS.c.id.desc()).limit(limit)).all()
        return [(s, m) for s, m in rows]


def _clause_of(engine: Suggester, message: str, situation: str) -> str:
    """Of a message asking several things, the part the chosen reply answered ("能便宜点吗 包邮不" answered with
    a bargaining reply teaches "能便宜点吗", not that 包邮不 is bargaining)."""
    segments = engine.suggest(message).segments
    if len(segments) < 2:
        return message
    return next((seg.text for seg in segments if seg.situations and seg.situations[0].id == situation), message)


class Learner:
    """Turns agents' choices into candidates (by the mode) and keeps an engine's learned overlay current."""

    def __init__(self, store: LearningStore, mode: str, per_situation: int) -> None:
        self.store = store
        self.mode = check_mode(mode)
        self.per_situation = per_situation
        self._seen_version: int | None = None
        self._seen_stamp: tuple | None = None  # the store's commit stamp when that version was read
        self._checked_at = 0.0
        self._lock = Lock()

    def observe(self, engine: Suggester, message: str, reply: Reply, action: str) -> Candidate | None:
        """An agent's choice: `copied` or `sent` proposes the message for the reply's situation (learned by `engine`
        at once when the mode allows); `dismissed` counts against it. Returns the candidate made, if any."""
        if self.mode == "off":
            return None
        masked = mask(message).strip()
        if not normalize(masked):
            return None
        if action == "dismissed":
            self.store.dismiss(masked, reply.situation)
            return None
        masked = _clause_of(engine, masked, reply.situation)
        reason = "review"
        if self.mode == "auto":
            reason = None
            if self.store.chosen_situations(masked) - {reply.situation}:
                reason = "conflict"
            elif engine.situation_score(masked, reply.situation) < engine.settings.suggest_threshold:
                reason = "low_score"
        status = "learned" if reason is None else "pending"
        candidate = self.store.propose(masked, reply.situation, reply.id, action, status, reason)
        if candidate is not None and candidate.status == "learned":
            self.refresh(engine, force=True)  # this engine at once; other workers' within REFRESH_SECONDS
        return candidate

    def refresh(self, engine: Suggester, force: bool = False) -> bool:
        """Lay the learned examples over `engine` when they changed (at most one check per REFRESH_SECONDS)."""
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_SECONDS:
            return False
        with self._lock:
            self._checked_at = now
            stamp = self.store.db.commit_stamp()  # before the version: a commit while it is read shows next time
            if stamp is not None and stamp == self._seen_stamp and not force:
                return False
            version = self.store.version()
            if version == self._seen_version and not force:
                self._seen_stamp = stamp
                return False
            learned = self.store.learned(self.per_situation) if self.mode != "off" else []
            dismissed = self.store.dismissals() if self.mode != "off" else []
            engine.set_learned(learned, dismissed)
            self._seen_version, self._seen_stamp = version, stamp  # only once laid: a failure is tried again
            return True

"""The feedback log: which suggested reply an agent copied, sent or dismissed, in SQLite; and events without a
reply: messages the engine abstained on, and messages where the agent dismissed every suggestion (what the
editors' analytics groups to find the situations the corpus is missing). Kept in the storage layer: SQLite
(<home>/var/feedback.sqlite3; one short-lived connection per write, WAL journal, busy timeout, so any number of
threads and gunicorn workers log at once) or the PostgreSQL several servers share. Messages are masked (suggest.usage.privacy: e-mail addresses, WeChat ids, QQ
numbers, ID card numbers, mobile and order numbers, addresses, names) before they reach the disk, and the
SQLite file is owner-only (0600, see suggest.storage.files).

Bounds on what any caller (the feedback API may be open to anonymous callers) can log: a stored message is
at most `max_chars` characters (masked first, then cut, with "…"), and at most `hourly_limit` unserved rows
(events and dismissals, what the analytics groups) are logged per hour; beyond it they are dropped.

Vectors: the analytics groups unserved messages by their embeddings. Each distinct stored message is embedded
once per model and kept in the table `vectors` (float16, unit length, keyed by the message as stored and the
model's name and dimension): at log time when the store has an `embedder`, otherwise by the first report that
needs it (suggest.usage.analytics). Databases of earlier versions get the table (and an index for the hourly
count) when they are opened.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import (CheckConstraint, Column, Connection, Index, Integer, LargeBinary, MetaData, Table, Text, case,
                        func, insert, literal, select)

from ..storage.database import Database
from .privacy import mask

log = logging.getLogger(__name__)

METADATA = MetaData()
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("reply_id", Text, nullable=False),
    Column("situation", Text),
    Column("action", Text, nullable=False),
    CheckConstraint("action IN ('copied', 'sent', 'dismissed')", name="feedback_action_check"),
    Index("feedback_reply", "reply_id"),
    Index("feedback_action_created", "action", "created_at"),
    sqlite_autoincrement=True,
)
EVENTS = Table(
    "events", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("message", Text, nullable=False),
    CheckConstraint("kind IN ('abstained', 'dismissed_all')", name="events_kind_check"),
    Index("events_created", "created_at"),
    sqlite_autoincrement=True,
)
VECTORS = Table(
    "vectors", METADATA,
    Column("message", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    Column("vector", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)
EVENT_KINDS = ("abstained", "dismissed_all")
MAX_STORED_CHARS = 300  # buyer messages are a line or two; longer ones are cut (the API accepts up to 2,000)
HOURLY_LIMIT = 3000  # unserved rows (events + dismissals) logged per hour, whoever sends them
TRUNCATED = "…"
_CHUNK = 900  # messages per lookup (SQLite allows 999 host parameters at least; the limit is asked)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def model_key(embedder) -> str:
    """What a stored vector is keyed by besides the message: the model's name and dimension (vectors of another
    model, or of the same model run int8, are never mixed)."""
    name = getattr(embedder, "name", None) or type(embedder).__name__
    dimension = getattr(embedder, "dimension", None)
    return f"{name}/{dimension}" if dimension else str(name)


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created_at: str
    message: str
    reply_id: str
    situation: str | None
    action: str

    def to_dict(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "message": self.message, "reply_id": self.reply_id,
                "situation": self.situation, "action": self.action}


class FeedbackStore:
    """`embedder` (optional, settable later, e.g. once the engine has loaded): embed each new unserved message
    as it is logged, so reports never wait for the model. `max_chars` and `hourly_limit`: see the module."""

    def __init__(self, where: Database | Path, embedder=None, max_chars: int = MAX_STORED_CHARS,
                 hourly_limit: int | None = HOURLY_LIMIT) -> None:
        self.db = Database.at(where)
        self.db.create(METADATA)
        self.embedder = embedder
        self.max_chars = max_chars
        self.hourly_limit = hourly_limit
        self._warned = 0.0  # when the hourly limit was last reported (once in ten minutes, not per row)

    @property
    def path(self) -> Path | None:
        """The SQLite file, when the log is one (the analytics benchmark copies it)."""
        return self.db.path

    def _stored(self, message: str) -> str:
        """The message as it is kept: masked, then cut to `max_chars` (masking first: a cut never leaves part of
        a phone number for the patterns to miss)."""
        masked = mask(message)
        if self.max_chars and len(masked) > self.max_chars:
            masked = masked[:self.max_chars - len(TRUNCATED)].rstrip() + TRUNCATED
        return masked

    def _over_limit(self, db: Connection, now: datetime) -> bool:
        """Whether the unserved rows of the last hour already reach `hourly_limit`."""
        if not self.hourly_limit:
            return False
        since = _stamp(now - timedelta(hours=1))
        limit = self.hourly_limit
        events = select(literal(1)).select_from(EVENTS).where(EVENTS.c.created_at >= since).limit(limit).subquery()
        dismissed = (select(literal(1)).select_from(FEEDBACK)
                     .where(FEEDBACK.c.action == "dismissed", FEEDBACK.c.created_at >= since).limit(limit).subquery())
        count = db.execute(select(select(func.count()).select_from(events).scalar_subquery()
                                  + select(func.count()).select_from(dismissed).scalar_subquery())).scalar_one()
        if int(count) < limit:
            return False
        if now.timestamp() - self._warned > 600:
            self._warned = now.timestamp()
            log.warning("feedback log: %d unserved messages in the last hour, the limit; more are not logged "
                        "until the hour has room", limit)
        return True

    def add(self, message: str, reply_id: str, action: str, situation: str | None = None) -> FeedbackRecord:
        """One copied, sent or dismissed reply. A dismissal over the hourly limit is not stored: the record
        returned then has id 0."""
        now = datetime.now(timezone.utc)
        created = _stamp(now)
        stored = self._stored(message)
        vector = None
        if action == "dismissed":
            with self.db.read() as db:
                if self._over_limit(db, now):
                    return FeedbackRecord(0, created, stored, reply_id, situation, action)
                vector = self._vector(db, stored)
        with self.db.write() as db:  # the row and its message's vector in one transaction
            row_id = int(db.execute(insert(FEEDBACK).values(
                created_at=created, message=stored, reply_id=reply_id, situation=situation, action=action))
                .inserted_primary_key[0])
            self._keep_vector(db, stored, vector)
        return FeedbackRecord(row_id, created, stored, reply_id, situation, action)

    def log_event(self, kind: str, message: str, dedupe_seconds: int = 600) -> int:
        """A message the corpus did not serve: `abstained` (no suggestion) or `dismissed_all` (the agent
        dismissed every suggestion). Masked (and cut) like feedback rows. The same message and kind again within
        `dedupe_seconds` is not logged twice (pages ask again when the stage changes), nor is anything over the
        hourly limit; returns the row id, or 0 when nothing was logged."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        if not isinstance(message, str) or not message.strip():
            return 0
        now = datetime.now(timezone.utc)
        created = _stamp(now)
        stored = self._stored(message.strip())
        with self.db.read() as db:
            if dedupe_seconds > 0:
                since = _stamp(now - timedelta(seconds=dedupe_seconds))
                if db.execute(select(literal(1)).select_from(EVENTS).where(
                        EVENTS.c.kind == kind, EVENTS.c.message == stored, EVENTS.c.created_at >= since).limit(1)).first():
                    return 0
            if self._over_limit(db, now):
                return 0
            vector = self._vector(db, stored)
        with self.db.write() as db:
            row_id = int(db.execute(insert(EVENTS).values(created_at=created, kind=kind, message=stored))
                         .inserted_primary_key[0])
            self._keep_vector(db, stored, vector)
        return row_id

    def log_abstention(self, message: str, dedupe_seconds: int = 600) -> int:
        """The engine had no suggestion for `message` (Result.abstained)."""
        return self.log_event("abstained", message, dedupe_seconds)

    def log_dismissed_all(self, message: str, dedupe_seconds: int = 600) -> int:
        """The agent dismissed every suggestion shown for `message`."""
        return self.log_event("dismissed_all", message, dedupe_seconds)

    # ---- vectors ----------------------------------------------------------------------------------------------

    def _vector(self, db: Connection, stored: str) -> tuple[str, np.ndarray] | None:
        """(model, vector) of a message about to be logged, when the store has an embedder and no vector of the
        message is kept yet. Logging never fails over it: a message left without one is embedded by the next
        report that needs it."""
        embedder = self.embedder
        if embedder is None:
            return None
        try:
            model = model_key(embedder)
            if db.execute(select(literal(1)).select_from(VECTORS)
                          .where(VECTORS.c.message == stored, VECTORS.c.model == model)).first():
                return None
            from ..engine.text import normalize

            # the engine has just embedded this text to answer it (its cache), unless masking changed it
            encode = getattr(embedder, "encode_cached", None) or embedder.encode
            return model, np.asarray(encode([normalize(stored) or stored])[0], dtype=np.float16)
        except Exception:
            log.exception("feedback log: could not embed a logged message (the report will)")
            return None

    def _keep_vector(self, db: Connection, stored: str, vector: tuple[str, np.ndarray] | None) -> None:
        if vector is not None:
            self._save_vectors(db, [{"message": stored, "model": vector[0], "vector": vector[1].tobytes()}])

    def _save_vectors(self, db: Connection, rows: list[dict]) -> None:
        upsert = self.db.insert(VECTORS)
        db.execute(upsert.on_conflict_do_update(index_elements=["message", "model"],
                                                set_={"vector": upsert.excluded.vector}), rows)

    def vectors(self, messages: Iterable[str], model: str) -> dict[str, np.ndarray]:
        """The stored vectors (float16) of those of `messages` that have one for `model`."""
        wanted = list(dict.fromkeys(messages))
        out: dict[str, np.ndarray] = {}
        with self.db.read() as db:
            size = _CHUNK
            raw = db.connection.dbapi_connection
            if hasattr(raw, "getlimit"):  # SQLite, Python 3.11: fewer, larger lookups are faster
                size = max(_CHUNK, min(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1, 10000))
            elif self.db.dialect == "postgresql":
                size = 10000
            for start in range(0, len(wanted), size):
                query = select(VECTORS.c.message, VECTORS.c.vector).where(
                    VECTORS.c.model == model, VECTORS.c.message.in_(wanted[start:start + size]))
                for message, blob in db.execute(query):
                    out[message] = np.frombuffer(blob, dtype=np.float16)
        return out

    def save_vectors(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [{"message": message, "model": model, "vector": np.asarray(vector, dtype=np.float16).tobytes()}
                for message, vector in items]
        if rows:
            with self.db.write() as db:
                self._save_vectors(db, rows)

    # ---- reading ----------------------------------------------------------------------------------------------

    def usage(self, since: str | None = None) -> dict[str, dict[str, int]]:
        """Per reply id: counts of copied, sent and dismissed, since the ISO time `since` (None: all)."""
        query = select(FEEDBACK.c.reply_id, FEEDBACK.c.action, func.count())
        if since:
            query = query.where(FEEDBACK.c.created_at >= since)
        out: dict[str, dict[str, int]] = {}
        with self.db.read() as db:
            for reply_id, action, count in db.execute(query.group_by(FEEDBACK.c.reply_id, FEEDBACK.c.action)):
                out.setdefault(reply_id, {"copied": 0, "sent": 0, "dismissed": 0})[action] = int(count)
        return out

    def events(self, since: str | None = None, limit: int = 5000) -> list[tuple[str, str, str]]:
        """(created_at, kind, masked message), newest first."""
        query = select(EVENTS.c.created_at, EVENTS.c.kind, EVENTS.c.message)
        if since:
            query = query.where(EVENTS.c.created_at >= since)
        with self.db.read() as db:
            return [tuple(row) for row in db.execute(query.order_by(EVENTS.c.id.desc()).limit(limit))]

    def dismissed_only(self, since: str | None = None, limit: int = 5000) -> list[tuple[str, str]]:
        """(last time, masked message) of messages whose every feedback row is a dismissal (nothing was
        copied or sent for them): the agent found nothing usable."""
        query = select(func.max(FEEDBACK.c.created_at), FEEDBACK.c.message)
        if since:
            query = query.where(FEEDBACK.c.created_at >= since)
        used = func.sum(case((FEEDBACK.c.action != "dismissed", 1), else_=0))
        query = query.group_by(FEEDBACK.c.message).having(used == 0).order_by(func.max(FEEDBACK.c.id).desc())
        with self.db.read() as db:
            return [tuple(row) for row in db.execute(query.limit(limit))]

    def recent(self, limit: int = 100) -> list[FeedbackRecord]:
        with self.db.read() as db:
            rows = db.execute(select(FEEDBACK.c.id, FEEDBACK.c.created_at, FEEDBACK.c.message, FEEDBACK.c.reply_id,
                                     FEEDBACK.c.situation, FEEDBACK.c.action)
                              .order_by(FEEDBACK.c.id.desc()).limit(limit)).all()
        return [FeedbackRecord(*row) for row in rows]

"""The feedback log: which suggested reply an agent copied, sent or dismissed, in SQLite; and events without a
reply: messages the engine abstained on, and messages where the agent dismissed every suggestion (what the
editors' analytics groups to find the situations the corpus is missing).

One short-lived connection per write, so any number of threads and gunicorn workers can log at once
(WAL journal, busy timeout). Messages are masked (suggest.usage.privacy: e-mail addresses, WeChat ids, QQ
numbers, ID card numbers, mobile and order numbers, addresses, names) before they reach the disk, and the
database file is owner-only (0600, see suggest.database).

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
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from ..database import prepare
from .privacy import mask

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    message    TEXT NOT NULL,
    reply_id   TEXT NOT NULL,
    situation  TEXT,
    action     TEXT NOT NULL CHECK (action IN ('copied', 'sent', 'dismissed'))
);
CREATE INDEX IF NOT EXISTS feedback_reply ON feedback (reply_id);
CREATE INDEX IF NOT EXISTS feedback_action_created ON feedback (action, created_at);
CREATE TABLE IF NOT EXISTS events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('abstained', 'dismissed_all')),
    message    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_created ON events (created_at);
CREATE TABLE IF NOT EXISTS vectors (
    message    TEXT NOT NULL,
    model      TEXT NOT NULL,
    vector     BLOB NOT NULL,
    PRIMARY KEY (message, model)
) WITHOUT ROWID;
"""
EVENT_KINDS = ("abstained", "dismissed_all")
MAX_STORED_CHARS = 300  # buyer messages are a line or two; longer ones are cut (the API accepts up to 2,000)
HOURLY_LIMIT = 3000  # unserved rows (events + dismissals) logged per hour, whoever sends them
TRUNCATED = "…"
_CHUNK = 900  # SQLite host parameters per lookup (999 at least in every SQLite; the limit is asked)


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

    def __init__(self, path: Path, embedder=None, max_chars: int = MAX_STORED_CHARS,
                 hourly_limit: int | None = HOURLY_LIMIT) -> None:
        self.path = prepare(path, SCHEMA)
        self.embedder = embedder
        self.max_chars = max_chars
        self.hourly_limit = hourly_limit
        self._warned = 0.0  # when the hourly limit was last reported (once in ten minutes, not per row)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0)

    def _stored(self, message: str) -> str:
        """The message as it is kept: masked, then cut to `max_chars` (masking first: a cut never leaves part of
        a phone number for the patterns to miss)."""
        masked = mask(message)
        if self.max_chars and len(masked) > self.max_chars:
            masked = masked[:self.max_chars - len(TRUNCATED)].rstrip() + TRUNCATED
        return masked

    def _over_limit(self, db: sqlite3.Connection, now: datetime) -> bool:
        """Whether the unserved rows of the last hour already reach `hourly_limit`."""
        if not self.hourly_limit:
            return False
        since = _stamp(now - timedelta(hours=1))
        limit = self.hourly_limit
        count = db.execute(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE created_at >= ? LIMIT ?))"
            " + (SELECT COUNT(*) FROM (SELECT 1 FROM feedback WHERE action = 'dismissed' AND created_at >= ? LIMIT ?))",
            (since, limit, since, limit)).fetchone()[0]
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
        with closing(self._connect()) as db:
            vector = None
            if action == "dismissed":
                if self._over_limit(db, now):
                    return FeedbackRecord(0, created, stored, reply_id, situation, action)
                vector = self._vector(db, stored)
            with db:  # the row and its message's vector in one transaction
                cursor = db.execute(
                    "INSERT INTO feedback (created_at, message, reply_id, situation, action) VALUES (?, ?, ?, ?, ?)",
                    (created, stored, reply_id, situation, action))
                row_id = int(cursor.lastrowid)
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
        with closing(self._connect()) as db:
            if dedupe_seconds > 0:
                since = _stamp(now - timedelta(seconds=dedupe_seconds))
                if db.execute("SELECT 1 FROM events WHERE kind = ? AND message = ? AND created_at >= ? LIMIT 1",
                              (kind, stored, since)).fetchone():
                    return 0
            if self._over_limit(db, now):
                return 0
            vector = self._vector(db, stored)
            with db:
                cursor = db.execute("INSERT INTO events (created_at, kind, message) VALUES (?, ?, ?)",
                                    (created, kind, stored))
                row_id = int(cursor.lastrowid)
                self._keep_vector(db, stored, vector)
            return row_id

    def log_abstention(self, message: str, dedupe_seconds: int = 600) -> int:
        """The engine had no suggestion for `message` (Result.abstained)."""
        return self.log_event("abstained", message, dedupe_seconds)

    def log_dismissed_all(self, message: str, dedupe_seconds: int = 600) -> int:
        """The agent dismissed every suggestion shown for `message`."""
        return self.log_event("dismissed_all", message, dedupe_seconds)

    # ---- vectors ----------------------------------------------------------------------------------------------

    def _vector(self, db: sqlite3.Connection, stored: str) -> tuple[str, np.ndarray] | None:
        """(model, vector) of a message about to be logged, when the store has an embedder and no vector of the
        message is kept yet. Logging never fails over it: a message left without one is embedded by the next
        report that needs it."""
        embedder = self.embedder
        if embedder is None:
            return None
        try:
            model = model_key(embedder)
            if db.execute("SELECT 1 FROM vectors WHERE message = ? AND model = ?", (stored, model)).fetchone():
                return None
            from ..engine.text import normalize

            # the engine has just embedded this text to answer it (its cache), unless masking changed it
            encode = getattr(embedder, "encode_cached", None) or embedder.encode
            return model, np.asarray(encode([normalize(stored) or stored])[0], dtype=np.float16)
        except Exception:
            log.exception("feedback log: could not embed a logged message (the report will)")
            return None

    @staticmethod
    def _keep_vector(db: sqlite3.Connection, stored: str, vector: tuple[str, np.ndarray] | None) -> None:
        if vector is not None:
            db.execute("INSERT OR REPLACE INTO vectors (message, model, vector) VALUES (?, ?, ?)",
                       (stored, vector[0], vector[1].tobytes()))

    def vectors(self, messages: Iterable[str], model: str) -> dict[str, np.ndarray]:
        """The stored vectors (float16) of those of `messages` that have one for `model`."""
        wanted = list(dict.fromkeys(messages))
        out: dict[str, np.ndarray] = {}
        with closing(self._connect()) as db:
            size = _CHUNK
            if hasattr(db, "getlimit"):  # Python 3.11: fewer, larger lookups are faster
                size = max(_CHUNK, min(db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1, 10000))
            for start in range(0, len(wanted), size):
                chunk = wanted[start:start + size]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT message, vector FROM vectors WHERE model = ? AND message IN ({marks})"
                for message, blob in db.execute(query, (model, *chunk)):
                    out[message] = np.frombuffer(blob, dtype=np.float16)
        return out

    def save_vectors(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(message, model, np.asarray(vector, dtype=np.float16).tobytes()) for message, vector in items]
        if rows:
            with closing(self._connect()) as db, db:
                db.executemany("INSERT OR REPLACE INTO vectors (message, model, vector) VALUES (?, ?, ?)", rows)

    # ---- reading ----------------------------------------------------------------------------------------------

    def usage(self, since: str | None = None) -> dict[str, dict[str, int]]:
        """Per reply id: counts of copied, sent and dismissed, since the ISO time `since` (None: all)."""
        query = "SELECT reply_id, action, COUNT(*) FROM feedback"
        args: tuple = ()
        if since:
            query += " WHERE created_at >= ?"
            args = (since,)
        out: dict[str, dict[str, int]] = {}
        with closing(self._connect()) as db:
            for reply_id, action, count in db.execute(query + " GROUP BY reply_id, action", args):
                out.setdefault(reply_id, {"copied": 0, "sent": 0, "dismissed": 0})[action] = int(count)
        return out

    def events(self, since: str | None = None, limit: int = 5000) -> list[tuple[str, str, str]]:
        """(created_at, kind, masked message), newest first."""
        query = "SELECT created_at, kind, message FROM events"
        args: list = []
        if since:
            query += " WHERE created_at >= ?"
            args.append(since)
        with closing(self._connect()) as db:
            return db.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()

    def dismissed_only(self, since: str | None = None, limit: int = 5000) -> list[tuple[str, str]]:
        """(last time, masked message) of messages whose every feedback row is a dismissal (nothing was
        copied or sent for them): the agent found nothing usable."""
        query = ("SELECT MAX(created_at), message FROM feedback" + (" WHERE created_at >= ?" if since else "")
                 + " GROUP BY message HAVING SUM(action != 'dismissed') = 0 ORDER BY MAX(id) DESC LIMIT ?")
        args = ((since,) if since else ()) + (limit,)
        with closing(self._connect()) as db:
            return db.execute(query, args).fetchall()

    def recent(self, limit: int = 100) -> list[FeedbackRecord]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT id, created_at, message, reply_id, situation, action FROM feedback "
                              "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [FeedbackRecord(*row) for row in rows]

"""The feedback log: which suggested reply an agent copied, sent or dismissed, in SQLite; and events without a
reply: messages the engine abstained on, and messages where the agent dismissed every suggestion (what the
editors' analytics groups to find the situations the corpus is missing).

One short-lived connection per write, so any number of threads and gunicorn workers can log at once
(WAL journal, busy timeout). Messages are masked (suggest.usage.privacy: e-mail addresses, WeChat ids, QQ
numbers, ID card numbers, mobile and order numbers, addresses, names) before they reach the disk, and the
database file is owner-only (0600, see suggest.database).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..database import prepare
from .privacy import mask

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
CREATE TABLE IF NOT EXISTS events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('abstained', 'dismissed_all')),
    message    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_created ON events (created_at);
"""
EVENT_KINDS = ("abstained", "dismissed_all")


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
    def __init__(self, path: Path) -> None:
        self.path = prepare(path, SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0)

    def add(self, message: str, reply_id: str, action: str, situation: str | None = None) -> FeedbackRecord:
        created = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        masked = mask(message)
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, message, reply_id, situation, action) VALUES (?, ?, ?, ?, ?)",
                (created, masked, reply_id, situation, action))
            row_id = int(cursor.lastrowid)
        return FeedbackRecord(row_id, created, masked, reply_id, situation, action)

    def log_event(self, kind: str, message: str, dedupe_seconds: int = 600) -> int:
        """A message the corpus did not serve: `abstained` (no suggestion) or `dismissed_all` (the agent
        dismissed every suggestion). Masked like feedback rows. The same message and kind again within
        `dedupe_seconds` is not logged twice (pages ask again when the stage changes); returns the row id, or
        0 when nothing was logged."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        if not isinstance(message, str) or not message.strip():
            return 0
        now = datetime.now(timezone.utc)
        created = now.isoformat(timespec="seconds").replace("+00:00", "Z")
        masked = mask(message.strip())
        with closing(self._connect()) as db, db:
            if dedupe_seconds > 0:
                since = (now - timedelta(seconds=dedupe_seconds)).isoformat(timespec="seconds").replace("+00:00", "Z")
                if db.execute("SELECT 1 FROM events WHERE kind = ? AND message = ? AND created_at >= ? LIMIT 1",
                              (kind, masked, since)).fetchone():
                    return 0
            cursor = db.execute("INSERT INTO events (created_at, kind, message) VALUES (?, ?, ?)",
                                (created, kind, masked))
            return int(cursor.lastrowid)

    def log_abstention(self, message: str, dedupe_seconds: int = 600) -> int:
        """The engine had no suggestion for `message` (Result.abstained)."""
        return self.log_event("abstained", message, dedupe_seconds)

    def log_dismissed_all(self, message: str, dedupe_seconds: int = 600) -> int:
        """The agent dismissed every suggestion shown for `message`."""
        return self.log_event("dismissed_all", message, dedupe_seconds)

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
            return [tuple(r) for r in db.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit))]

    def dismissed_only(self, since: str | None = None, limit: int = 5000) -> list[tuple[str, str]]:
        """(last time, masked message) of messages whose every feedback row is a dismissal (nothing was
        copied or sent for them): the agent found nothing usable."""
        query = ("SELECT MAX(created_at), message FROM feedback" + (" WHERE created_at >= ?" if since else "")
                 + " GROUP BY message HAVING SUM(action != 'dismissed') = 0 ORDER BY MAX(id) DESC LIMIT ?")
        args = ((since,) if since else ()) + (limit,)
        with closing(self._connect()) as db:
            return [tuple(r) for r in db.execute(query, args)]

    def recent(self, limit: int = 100) -> list[FeedbackRecord]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT id, created_at, message, reply_id, situation, action FROM feedback "
                              "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [FeedbackRecord(*row) for row in rows]

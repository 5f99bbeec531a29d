"""The feedback log: which suggested reply an agent copied, sent or dismissed, in SQLite.

One short-lived connection per write, so any number of threads and gunicorn workers can log at once
(WAL journal, busy timeout). Messages are masked (suggest.privacy) before they reach the disk.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

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
"""


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
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

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

    def recent(self, limit: int = 100) -> list[FeedbackRecord]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT id, created_at, message, reply_id, situation, action FROM feedback "
                              "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [FeedbackRecord(*row) for row in rows]

"""Editor sessions and login throttling, shared by every worker through SQLite (<home>/var/logins.sqlite3).

A session lives on the server: the cookie carries only a random id, so logging out ends it everywhere (a cookie
captured before logout no longer works) and the cookie says nothing about who is logged in. Failed logins are
counted per account-and-address and per address in one transaction, so workers and threads cannot race past the
limit, and an attack from one address slows that address without locking the account's owner out elsewhere.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..database import prepare

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id         TEXT PRIMARY KEY,
    editor     TEXT NOT NULL,
    started_at REAL NOT NULL,
    password   TEXT,
    ended_at   REAL
);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
"""


@dataclass(frozen=True)
class Session:
    id: str
    editor: str
    started_at: float
    password: str | None  # fingerprint of the password at login: a changed password ends the session


class LoginStore:
    def __init__(self, path: Path) -> None:
        self.path = prepare(path, SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0, isolation_level=None)

    # ---- sessions -------------------------------------------------------------------------------------------

    def start(self, editor: str, password: str | None) -> str:
        sid = secrets.token_urlsafe(32)
        with closing(self._connect()) as db:
            db.execute("INSERT INTO sessions (id, editor, started_at, password) VALUES (?, ?, ?, ?)",
                       (sid, editor, time.time(), password))
        return sid

    def get(self, sid: str, max_age_seconds: float) -> Session | None:
        """The session while it has not ended nor expired."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT id, editor, started_at, password FROM sessions WHERE id = ? AND ended_at IS NULL "
                             "AND started_at > ?", (sid, time.time() - max_age_seconds)).fetchone()
        return Session(*row) if row else None

    def end(self, sid: str) -> None:
        with closing(self._connect()) as db:
            db.execute("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (time.time(), sid))

    # ---- throttling ------------------------------------------------------------------------------------------

    def attempt(self, limits: dict[str, int], window_seconds: float) -> int:
        """Seconds to wait before another attempt under any of the keys (each with its own limit per window), or 0:
        then the attempt is counted as a failure at once, in the same transaction (a success takes it back), so
        parallel guesses cannot slip past the limit."""
        keys = list(limits)
        now = time.time()
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM failures WHERE at <= ?", (now - window_seconds,))
            waits = []
            for key, limit in limits.items():
                times = [t for (t,) in db.execute("SELECT at FROM failures WHERE key = ? ORDER BY at DESC LIMIT ?",
                                                  (key, limit))]
                if len(times) >= limit:
                    waits.append(int(window_seconds - (now - times[-1])) + 1)
            if not waits:
                db.executemany("INSERT INTO failures (key, at) VALUES (?, ?)", [(k, now) for k in keys])
            db.execute("COMMIT")
        return max(waits, default=0)

    def succeeded(self, keys: list[str]) -> None:
        """The attempt just counted was right: take it back."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            for key in keys:
                db.execute("DELETE FROM failures WHERE rowid = (SELECT max(rowid) FROM failures WHERE key = ?)", (key,))
            db.execute("COMMIT")

    def clear(self, keys: list[str]) -> None:
        with closing(self._connect()) as db:
            db.executemany("DELETE FROM failures WHERE key = ?", [(k,) for k in keys])

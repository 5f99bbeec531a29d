"""Learning from agents' choices: a reply an agent copies or sends makes the buyer's message (masked as the
feedback log masks it) an example of that reply's situation; a dismissed reply counts against its situation for
similar messages.

Mode `review` (the default) keeps every candidate for an editor to accept or reject; `auto` learns at once unless
the choice looks wrong (the message scores low for the chosen situation, or the same message was chosen for
another situation), and those wait for review; `off` learns nothing. Learned examples live in SQLite, not in the
corpus files: the engine lays them over its index (`Suggester.set_learned`) without a refit, and every worker
notices a change by a version number within `REFRESH_SECONDS`.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from threading import Lock

from ..database import prepare
from ..engine.suggester import Suggester
from ..engine.text import normalize
from ..errors import ConfigError
from ..records import Reply
from .privacy import mask

MODES = ("off", "review", "auto")
STATUSES = ("pending", "learned", "rejected")
REFRESH_SECONDS = 0.5  # how often a worker asks whether another one learned something
REASONS = {"low_score": "the message scores low for the chosen situation",
           "conflict": "the same message was chosen for another situation",
           "review": "learning is in review mode"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    message     TEXT NOT NULL,
    situation   TEXT NOT NULL,
    reply_id    TEXT,
    action      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'learned', 'rejected')),
    reason      TEXT,
    decided_at  TEXT,
    decided_by  TEXT,
    UNIQUE (message, situation)
);
CREATE INDEX IF NOT EXISTS candidates_status ON candidates (status, situation);
CREATE TABLE IF NOT EXISTS dismissals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    message     TEXT NOT NULL,
    situation   TEXT NOT NULL,
    UNIQUE (message, situation)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('version', 0);
"""


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

    def __init__(self, path: Path) -> None:
        self.path = prepare(path, SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0)

    def version(self) -> int:
        with closing(self._connect()) as db:
            return int(db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0])

    def propose(self, message: str, situation: str, reply_id: str | None, action: str, status: str,
                reason: str | None) -> Candidate | None:
        """A new candidate, or None when the same message is already known for this situation."""
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO candidates (created_at, message, situation, reply_id, action, status, reason, "
                "decided_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), message, situation, reply_id, action, status, reason,
                 _now() if status == "learned" else None, "auto" if status == "learned" else None))
            if not cursor.rowcount:
                return None
            if status == "learned":
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
            row = db.execute("SELECT * FROM candidates WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return Candidate(*row)

    def chosen_situations(self, message: str) -> set[str]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT situation FROM candidates WHERE message = ? AND status != 'rejected'",
                              (message,)).fetchall()
        return {r[0] for r in rows}

    def decide(self, ids: list[int], status: str, editor: str) -> int:
        """Accept (status 'learned') or reject candidates, or take a learned example back ('rejected')."""
        if status not in ("learned", "rejected"):
            raise ValueError(status)
        with closing(self._connect()) as db, db:
            marks = ",".join("?" * len(ids))
            count = db.execute(f"UPDATE candidates SET status = ?, decided_at = ?, decided_by = ? "
                               f"WHERE id IN ({marks}) AND status != ?", (status, _now(), editor, *ids, status)).rowcount
            if count:
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
        return count

    def dismiss(self, message: str, situation: str) -> None:
        with closing(self._connect()) as db, db:
            if db.execute("INSERT OR IGNORE INTO dismissals (created_at, message, situation) VALUES (?, ?, ?)",
                          (_now(), message, situation)).rowcount:
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")

    def candidates(self, status: str, limit: int = 1000) -> list[Candidate]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM candidates WHERE status = ? ORDER BY situation, id DESC LIMIT ?",
                              (status, limit)).fetchall()
        return [Candidate(*r) for r in rows]

    def count(self, status: str) -> int:
        with closing(self._connect()) as db:
            return int(db.execute("SELECT count(*) FROM candidates WHERE status = ?", (status,)).fetchone()[0])

    def learned(self, per_situation: int) -> list[tuple[str, str]]:
        """(situation, message) of learned examples, the newest `per_situation` of each situation."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT situation, message FROM (SELECT situation, message, row_number() OVER "
                "(PARTITION BY situation ORDER BY id DESC) AS n FROM candidates WHERE status = 'learned') "
                "WHERE n <= ? ORDER BY situation", (per_situation,)).fetchall()
        return [(s, m) for s, m in rows]

    def dismissals(self, limit: int = 5000) -> list[tuple[str, str]]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT situation, message FROM dismissals ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
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
            version = self.store.version()
            if version == self._seen_version and not force:
                return False
            learned = self.store.learned(self.per_situation) if self.mode != "off" else []
            dismissed = self.store.dismissals() if self.mode != "off" else []
            engine.set_learned(learned, dismissed)
            self._seen_version = version
            return True

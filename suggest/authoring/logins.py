"""Editor sessions and login throttling, shared by every worker and server through
the storage layer (SQLite <home>/var/logins.sqlite3, or the shared PostgreSQL).

A session lives on the server: the cookie carries only a random id, so logging out ends it everywhere (a cookie
captured before logout no longer works) and the cookie says nothing about who is logged in. Failed logins are
counted per account-and-address and per address in one transaction, so workers and threads cannot race past the
limit, and an attack from one address slows that address without locking the account's owner out elsewhere.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Float, Index, MetaData, Table, Text, and_, delete, func, insert, select, update

from ..storage.database import Database

METADATA = MetaData()
SESSIONS = Table(
    "sessions", METADATA,
    Column("id", Text, primary_key=True),
    Column("editor", Text, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("password", Text),
    Column("ended_at", Float),
)
FAILURES = Table("failures", METADATA, Column("key", Text, nullable=False), Column("at", Float, nullable=False),
                 Index("failures_key", "key", "at"))


@dataclass(frozen=True)
class Session:
    id: str
    editor: str
    started_at: float
    password: str | None  # fingerprint of the password at login: a changed password ends the session


class LoginStore:
    def __init__(self, where: Database | Path) -> None:
        self.db = Database.at(where)
        self.db.create(METADATA)

    @property
    def path(self) -> Path | None:
        return self.db.path

    # ---- sessions -------------------------------------------------------------------------------------------

    def start(self, editor: str, password: str | None) -> str:
        sid = secrets.token_urlsafe(32)
        with self.db.write() as db:
            db.execute(insert(SESSIONS).values(id=sid, editor=editor, started_at=time.time(), password=password))
        return sid

    def get(self, sid: str, max_age_seconds: float) -> Session | None:
        """The session while it has not ended nor expired."""
        query = select(SESSIONS.c.id, SESSIONS.c.editor, SESSIONS.c.started_at, SESSIONS.c.password).where(
            SESSIONS.c.id == sid, SESSIONS.c.ended_at.is_(None), SESSIONS.c.started_at > time.time() - max_age_seconds)
        with self.db.read() as db:
            row = db.execute(query).first()
        return Session(*row) if row else None

    def end(self, sid: str) -> None:
        with self.db.write() as db:
            db.execute(update(SESSIONS).where(SESSIONS.c.id == sid, SESSIONS.c.ended_at.is_(None))
                       .values(ended_at=time.time()))

    # ---- throttling ------------------------------------------------------------------------------------------

    def attempt(self, limits: dict[str, int], window_seconds: float) -> int:
        """Seconds to wait before another attempt under any of the keys (each with its own limit per window), or 0:
        then the attempt is counted as a failure at once, in the same transaction (a success takes it back), so
        parallel guesses cannot slip past the limit, whichever worker or server they reach."""
        now = time.time()
        with self.db.write(exclusive="login-failures") as db:
            db.execute(delete(FAILURES).where(FAILURES.c.at <= now - window_seconds))
            waits = []
            for key, limit in limits.items():
                times = db.execute(select(FAILURES.c.at).where(FAILURES.c.key == key)
                                   .order_by(FAILURES.c.at.desc()).limit(limit)).scalars().all()
                if len(times) >= limit:
                    waits.append(int(window_seconds - (now - times[-1])) + 1)
            if not waits:
                db.execute(insert(FAILURES), [{"key": key, "at": now} for key in limits])
        return max(waits, default=0)

    def succeeded(self, keys: list[str]) -> None:
        """The attempt just counted was right: take it back (the newest failure of each key)."""
        with self.db.write(exclusive="login-failures") as db:
            for key in keys:
                newest = select(func.max(FAILURES.c.at)).where(FAILURES.c.key == key).scalar_subquery()
                db.execute(delete(FAILURES).where(and_(FAILURES.c.key == key, FAILURES.c.at == newest)))

    def clear(self, keys: list[str]) -> None:
        with self.db.write() as db:
            db.execute(delete(FAILURES).where(FAILURES.c.key.in_(keys)))

"""SQLite files in the home's var/ directory (feedback log, audit history): created with their schema and in
WAL mode, so several gunicorn workers and threads can write with short-lived connections."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def prepare(path: Path, schema: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30.0)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
    return path

"""SQLite files in the home's var/ directory (feedback log, audit history): created owner-only and in WAL mode,
so several gunicorn workers and threads can write with short-lived connections (their tables are created by
suggest.storage.database).

File modes: every file the service writes holding buyer or editor data is owner-only (0600). For these
databases `prepare()` creates the file as 0600 and tightens one left by an older version, together with its
-wal / -shm / -journal side files; the side files SQLite creates later take the database file's mode.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

FILE_MODE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


def owner_only(path: Path) -> None:
    """Set the database `path` and those of its side files that exist to FILE_MODE."""
    path = Path(path)
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
        try:
            os.chmod(candidate, FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError:  # another user's file (e.g. created by root): usable, but say so
            log.warning("cannot make %s owner-only (mode 0600): not its owner", candidate)


def prepare_file(path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create the file owner-only before SQLite opens it, so it is never readable by others, not even briefly.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    owner_only(path)
    _write_ahead_log(path)
    owner_only(path)
    return path


def _write_ahead_log(path: Path, timeout_s: float = 30.0) -> None:
    """The file in WAL mode (kept by the file once set). Switching needs the file to itself, and SQLite refuses
    at once, not after its busy timeout, while another worker opening the same new file holds it: try again."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=timeout_s)) as db:
                if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                db.execute("PRAGMA journal_mode=WAL")
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)

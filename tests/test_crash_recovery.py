"""A writer killed mid-change (kill -9) leaves no change without its history row: the next writer settles it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from suggest.authoring.editing import EditingService
from suggest.authoring.history import History
from suggest.corpus.files import load_corpus
from suggest.engine.suggester import Suggester
from suggest.settings import load_settings

# A child process saves one reply and is killed after the files and the index are written, before the change
# is marked done: the moment a burst of saves hit when it was killed.
CHILD = """
import sys, time
from pathlib import Path
from suggest.authoring.editing import EditingService
from suggest.engine.suggester import Suggester
from suggest.settings import load_settings

home = Path(sys.argv[1])
engine = Suggester.load(load_settings(home, env={}))
written = engine.update_corpus

def then_stall(corpus):
    counts = written(corpus)
    (home / "written").write_text("yes")
    time.sleep(120)
    return counts

engine.update_corpus = then_stall
service = EditingService(engine, home / "var" / "history.sqlite3")
reply = service.get_reply(sys.argv[2])
service.save_reply({**reply.to_dict(), "text": sys.argv[3]}, "killed-editor", reply.id,
                   version=service.reply_dict(reply)["version"])
"""


def _killed_mid_save(home: Path, reply_id: str, text: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), reply_id, text], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while not (home / "written").exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the child never wrote its change"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stderr.close()


def test_a_save_killed_after_writing_is_recorded_by_the_next_writer_and_can_be_reverted(home, embedder):
    reply_id = next(iter(load_corpus(home / "corpus").replies))
    _killed_mid_save(home, reply_id, "亲，这是被中断的那次保存写下的话术")

    history = History(home / "var" / "history.sqlite3")
    assert load_corpus(home / "corpus").replies[reply_id].text == "亲，这是被中断的那次保存写下的话术"
    assert history.list() == []  # a pending row is never listed …
    assert len(history.pending()) == 1

    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    service = EditingService(engine, history)
    with service._exclusive():  # … and the next writer to take the lock settles it
        pass
    changes = history.list()
    assert [(c.editor, c.action) for c in changes] == [("killed-editor", "update_reply")]
    assert history.pending() == []

    original = changes[0].before["replies"][reply_id]["text"]
    service.revert(changes[0].id, "alice")
    assert load_corpus(home / "corpus").replies[reply_id].text == original


def test_a_failed_write_leaves_no_row_and_a_change_never_written_is_dropped(home, embedder):
    history = History(home / "var" / "history.sqlite3")
    reply = next(iter(load_corpus(home / "corpus").replies.values()))
    before = {"replies": {reply.id: reply.to_dict()}, "situations": {}}
    after = {"replies": {reply.id: {**reply.to_dict(), "text": "从没写进文件的内容"}}, "situations": {}}
    with pytest.raises(OSError):
        with history.recording("bob", "update_reply", reply.id, "", before, after):
            assert len(history.pending()) == 1  # recorded before anything is written
            raise OSError("disk full")
    assert history.pending() == []

    # a row left pending by a writer killed before it wrote anything
    with sqlite3.connect(history.path) as db:
        db.execute("INSERT INTO changes (created_at, editor, action, target, summary, before, after, state) "
                   "VALUES ('2026-12-02T00:00:00Z', 'bob', 'update_reply', ?, '', ?, ?, 'pending')",
                   (reply.id, json.dumps(before), json.dumps(after)))
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    with EditingService(engine, history)._exclusive():
        pass
    assert history.pending() == [] and history.list() == []
    assert load_corpus(home / "corpus").replies[reply.id].text == reply.text


def test_a_history_from_before_pending_rows_still_opens(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE changes (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
                   "editor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '', "
                   "before TEXT NOT NULL, after TEXT NOT NULL, reverts INTEGER REFERENCES changes (id))")
        db.execute("INSERT INTO changes (created_at, editor, action, target, before, after) VALUES "
                   "('2026-01-01T00:00:00Z', 'old', 'import', 'x', '{\"replies\": {}, \"situations\": {}}', "
                   "'{\"replies\": {}, \"situations\": {}}')")
    history = History(path)
    assert [c.editor for c in history.list()] == ["old"]

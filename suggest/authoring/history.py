"""The audit history of corpus edits, in SQLite (<home>/var/history.sqlite3).

Every change records who made it, when, what kind of change it was, and the state before and after of every
reply and situation it touched (JSON; null = did not exist). That is enough to show any change and to revert
it: a revert is a new change that restores the before-state.

A change is recorded before it is made (`History.recording()`): its row is committed as `pending`, the files
are written, and the row is marked `done`; a write that fails deletes the row again. A process killed between
the two (kill -9, a power cut) leaves a pending row, which `EditingService` settles the next time it takes the
editing lock: the files are brought to the recorded after-state, so every change on disk has its row and can be
reverted. Pending rows are never listed.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..database import prepare

SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    editor     TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    before     TEXT NOT NULL,
    after      TEXT NOT NULL,
    reverts    INTEGER REFERENCES changes (id),
    state      TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('pending', 'done'))
);
CREATE INDEX IF NOT EXISTS changes_target ON changes (target);
"""

ACTIONS = {
    "create_reply": "新建话术",
    "update_reply": "修改话术",
    "retire_reply": "停用话术",
    "restore_reply": "恢复话术",
    "delete_reply": "删除话术",
    "create_situation": "新建场景",
    "update_situation": "修改场景",
    "delete_situation": "删除场景",
    "import": "导入",
    "revert": "撤销",
    "learn": "采纳学习例句",
    "unlearn": "拒绝或移除学习例句",
    "edit_shop": "修改店铺信息",
    "add_product": "新增商品",
    "edit_product": "修改商品",
    "delete_product": "删除商品",
    "import_products": "导入商品表",
}


def empty_state() -> dict:
    return {"replies": {}, "situations": {}}


@dataclass(frozen=True)
class Change:
    id: int
    created_at: str
    editor: str
    action: str
    target: str
    summary: str
    before: dict = field(default_factory=empty_state)  # {"replies": {id: dict|None}, "situations": {id: dict|None}}
    after: dict = field(default_factory=empty_state)
    reverts: int | None = None

    @property
    def action_name(self) -> str:
        return ACTIONS.get(self.action, self.action)

    def to_dict(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "editor": self.editor, "action": self.action,
                "action_name": self.action_name, "target": self.target, "summary": self.summary,
                "before": self.before, "after": self.after, "reverts": self.reverts}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _today_words(summary: str) -> str:
    """A summary recorded before the editor said 场景 (it said 情境), in today's word; quoted text (an editor's own
    names and examples, in “…”) is kept as written."""
    if "情境" not in summary:
        return summary
    return "".join(part if part.startswith("“") else part.replace("情境", "场景")
                   for part in re.split(r"(“[^”]*”)", summary))


def _row(row: tuple) -> Change:
    cid, created, editor, action, target, summary, before, after, reverts = row
    return Change(cid, created, editor, action, target, _today_words(summary), json.loads(before), json.loads(after),
                  reverts)


_COLUMNS = "id, created_at, editor, action, target, summary, before, after, reverts"


class History:
    def __init__(self, path: Path) -> None:
        self.path = prepare(path, SCHEMA)
        with closing(self._connect()) as db:  # a history from before changes were recorded ahead
            if "state" not in {row[1] for row in db.execute("PRAGMA table_info(changes)")}:
                db.execute("ALTER TABLE changes ADD COLUMN state TEXT NOT NULL DEFAULT 'done'")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30.0, isolation_level=None)

    @contextmanager
    def recording(self, editor: str, action: str, target: str, summary: str, before: dict, after: dict,
                  reverts: int | None = None) -> Iterator[Change]:
        """Commit the change as pending, run the block (which writes the files), then mark it done; delete it
        if the block fails."""
        created = _now()
        with closing(self._connect()) as db:
            cursor = db.execute(
                "INSERT INTO changes (created_at, editor, action, target, summary, before, after, reverts, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                (created, editor, action, target, summary, json.dumps(before, ensure_ascii=False),
                 json.dumps(after, ensure_ascii=False), reverts))
            change = Change(int(cursor.lastrowid), created, editor, action, target, summary, before, after, reverts)
            try:
                yield change
            except BaseException:
                db.execute("DELETE FROM changes WHERE id = ?", (change.id,))
                raise
            db.execute("UPDATE changes SET state = 'done' WHERE id = ?", (change.id,))

    def pending(self) -> list[Change]:
        """Changes recorded but not marked done: their writer died (or is writing now, under the editing lock)."""
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM changes WHERE state = 'pending' ORDER BY id").fetchall()
        return [_row(r) for r in rows]

    def settle(self, change_id: int) -> None:
        with closing(self._connect()) as db:
            db.execute("UPDATE changes SET state = 'done' WHERE id = ?", (change_id,))

    def discard(self, change_id: int) -> None:
        with closing(self._connect()) as db:
            db.execute("DELETE FROM changes WHERE id = ? AND state = 'pending'", (change_id,))

    def record(self, editor: str, action: str, target: str, summary: str, before: dict, after: dict,
               reverts: int | None = None) -> Change:
        with self.recording(editor, action, target, summary, before, after, reverts) as change:
            return change

    def get(self, change_id: int) -> Change | None:
        with closing(self._connect()) as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM changes WHERE id = ? AND state = 'done'", (change_id,)).fetchone()
        return _row(row) if row else None

    def list(self, limit: int = 100, before_id: int | None = None, target: str | None = None) -> list[Change]:
        """Newest first; `before_id` pages back, `target` keeps the changes of one reply or situation."""
        query = f"SELECT {_COLUMNS} FROM changes"
        clauses, args = ["state = 'done'"], []
        if before_id is not None:
            clauses.append("id < ?")
            args.append(before_id)
        if target is not None:
            key = json.dumps(target, ensure_ascii=False).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append("(target = ? OR before LIKE ? ESCAPE '\\' OR after LIKE ? ESCAPE '\\')")
            args += [target, f"%{key}:%", f"%{key}:%"]
        query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with closing(self._connect()) as db:
            rows = db.execute(query, args).fetchall()
        return [_row(r) for r in rows]

    def last_touching(self, kind: str, item_id: str) -> Change | None:
        """The newest change whose after-state includes reply or situation `item_id` (kind: replies|situations)."""
        for change in self.list(limit=50, target=item_id):
            if item_id in change.after.get(kind, {}):
                return change
        return None

    def reverted_by(self, change_id: int) -> list[int]:
        with closing(self._connect()) as db:
            return [r[0] for r in db.execute("SELECT id FROM changes WHERE reverts = ? AND state = 'done' ORDER BY id",
                                                 (change_id,))]

    def count(self) -> int:
        with closing(self._connect()) as db:
            return int(db.execute("SELECT COUNT(*) FROM changes WHERE state = 'done'").fetchone()[0])

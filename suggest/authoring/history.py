"""The audit history of corpus edits, in the storage layer (SQLite <home>/var/history.sqlite3, or the shared
PostgreSQL).

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import (CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, Table, Text, delete, func,
                        inspect, insert, or_, select, text, update)

from ..storage.database import Database

METADATA = MetaData()
CHANGES = Table(
    "changes", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("editor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("reverts", Integer, ForeignKey("changes.id")),
    Column("state", Text, nullable=False, server_default="done"),
    CheckConstraint("state IN ('pending', 'done')", name="changes_state"),
    Index("changes_target", "target"),
    sqlite_autoincrement=True,
)

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


def _row(row) -> Change:
    cid, created, editor, action, target, summary, before, after, reverts = row
    return Change(cid, created, editor, action, target, _today_words(summary), json.loads(before), json.loads(after),
                  reverts)


_COLUMNS = [CHANGES.c[name] for name in ("id", "created_at", "editor", "action", "target", "summary", "before",
                                         "after", "reverts")]
_DONE = CHANGES.c.state == "done"


class History:
    def __init__(self, where: Database | Path) -> None:
        self.db = Database.at(where)
        self.db.create(METADATA)
        if self.db.dialect == "sqlite":  # a history from before changes were recorded ahead
            with self.db.write() as db:
                if "state" not in {column["name"] for column in inspect(db).get_columns("changes")}:
                    db.execute(text("ALTER TABLE changes ADD COLUMN state TEXT NOT NULL DEFAULT 'done'"))

    @property
    def path(self) -> Path | None:
        return self.db.path

    @contextmanager
    def recording(self, editor: str, action: str, target: str, summary: str, before: dict, after: dict,
                  reverts: int | None = None) -> Iterator[Change]:
        """Commit the change as pending, run the block (which writes the files), then mark it done; delete it
        if the block fails."""
        created = _now()
        with self.db.write() as db:
            row_id = db.execute(insert(CHANGES).values(
                created_at=created, editor=editor, action=action, target=target, summary=summary,
                before=json.dumps(before, ensure_ascii=False), after=json.dumps(after, ensure_ascii=False),
                reverts=reverts, state="pending")).inserted_primary_key[0]
        change = Change(int(row_id), created, editor, action, target, summary, before, after, reverts)
        try:
            yield change
        except BaseException:
            with self.db.write() as db:
                db.execute(delete(CHANGES).where(CHANGES.c.id == change.id))
            raise
        self.settle(change.id)

    def pending(self) -> list[Change]:
        """Changes recorded but not marked done: their writer died (or is writing now, under the editing lock)."""
        with self.db.read() as db:
            rows = db.execute(select(*_COLUMNS).where(CHANGES.c.state == "pending").order_by(CHANGES.c.id)).all()
        return [_row(r) for r in rows]

    def settle(self, change_id: int) -> None:
        with self.db.write() as db:
            db.execute(update(CHANGES).where(CHANGES.c.id == change_id).values(state="done"))

    def discard(self, change_id: int) -> None:
        with self.db.write() as db:
            db.execute(delete(CHANGES).where(CHANGES.c.id == change_id, CHANGES.c.state == "pending"))

    def record(self, editor: str, action: str, target: str, summary: str, before: dict, after: dict,
               reverts: int | None = None) -> Change:
        with self.recording(editor, action, target, summary, before, after, reverts) as change:
            return change

    def get(self, change_id: int) -> Change | None:
        with self.db.read() as db:
            row = db.execute(select(*_COLUMNS).where(CHANGES.c.id == change_id, _DONE)).first()
        return _row(row) if row else None

    def list(self, limit: int = 100, before_id: int | None = None, target: str | None = None) -> list[Change]:
        """Newest first; `before_id` pages back, `target` keeps the changes of one reply or situation."""
        query = select(*_COLUMNS).where(_DONE)
        if before_id is not None:
            query = query.where(CHANGES.c.id < before_id)
        if target is not None:
            key = json.dumps(target, ensure_ascii=False).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{key}:%"
            query = query.where(or_(CHANGES.c.target == target, CHANGES.c.before.like(pattern, escape="\\"),
                                    CHANGES.c.after.like(pattern, escape="\\")))
        with self.db.read() as db:
            rows = db.execute(query.order_by(CHANGES.c.id.desc()).limit(limit)).all()
        return [_row(r) for r in rows]

    def last_touching(self, kind: str, item_id: str) -> Change | None:
        """The newest change whose after-state includes reply or situation `item_id` (kind: replies|situations)."""
        for change in self.list(limit=50, target=item_id):
            if item_id in change.after.get(kind, {}):
                return change
        return None

    def reverted_by(self, change_id: int) -> list[int]:
        with self.db.read() as db:
            return list(db.execute(select(CHANGES.c.id).where(CHANGES.c.reverts == change_id, _DONE)
                                   .order_by(CHANGES.c.id)).scalars())

    def count(self) -> int:
        with self.db.read() as db:
            return int(db.execute(select(func.count()).select_from(CHANGES).where(_DONE)).scalar_one())

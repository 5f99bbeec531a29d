"""The editing service: applies and records every change an editor makes to the corpus, safely for agents.

Used by the editor pages (webapp/editor) and usable from any Python code; it knows nothing about HTTP. What it
checks, shows, previews and tries lives beside it (draft_checks, presentation, import_preview, try_it); this
module is where changes are serialised, checked for conflicts, written and recorded.

* Checks on save (suggest.authoring.draft_checks): problems stop the save, a compliance `block` too; compliance
  warnings and near-duplicates of another reply need confirmation.
* Every change rewrites only the touched situation files (atomically), never one changed on disk since it was
  read (a hand edit: `Conflict`, and the file is loaded), then `Suggester.update_corpus` re-embeds only the
  changed replies; the next suggestion sees it.
* Every change is recorded in the audit history (suggest.history) with the before and after state of all it
  touched, and any change can be reverted (a revert is itself a new change).
* Conflicts: each edit carries the version of the reply or situation it started from (`reply_version`); if
  someone saved in between, `Conflict` (HTTP 409) carries both versions and nothing is written.
* Several processes (gunicorn workers) may serve the same home: changes are serialised by a lock file, and
  each process reloads the corpus when the files on disk changed under it (`refresh_if_changed`).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from ..corpus import compliance
from ..corpus.files import SITUATIONS_DIR, RawReply, check_corpus, load_corpus, write_situation
from ..corpus.profile import load_profile
from ..errors import CorpusError
from ..records import Corpus, Problem, Reply, Situation
from ..storage.database import Database
from . import presentation, try_it
from .draft_checks import Check, DraftChecker
from .history import Change, History
from .import_preview import PhrasePreview, preview_file
from .product_sheet import ProductSheetEditor
from .recovery import settle_pending
from .shop_facts import ShopFacts
from .refusals import Blocked, Conflict, Invalid, Missing, NeedsConfirmation
from .snapshots import corpus_state, overlay, reply_version, situation_version, touched_situations
from .wording import zh_problem

log = logging.getLogger(__name__)
# Files beside situations/ whose change on disk reaches every worker at its next request.
PROFILE_FILES = ("shop.yaml",)
PRODUCT_FILES = ("products.csv", "products.xlsx", "product_replies.yaml")


@dataclass
class SaveResult:
    reply: Reply | None
    change: Change
    check: Check | None = None

    def to_dict(self) -> dict:
        out = {"change": {"id": self.change.id, "action": self.change.action, "summary": self.change.summary}}
        if self.reply is not None:
            out["reply"] = self.reply.to_dict()
            out["version"] = reply_version(self.reply)
        if self.check is not None:
            out["notes"] = self.check.notes
            out["warnings"] = self.check.warnings
        return out


class EditingService:
    def __init__(self, engine, history: History | Database | Path, duplicate_threshold: float | None = None,
                 rules: tuple[compliance.Rule, ...] | None = None, lock_path: Path | None = None,
                 verify_on_first_refresh: bool = False) -> None:
        """`history`: a History, or where its tables are (opened on first use). `lock_path`: the file every
        process editing this corpus locks (default: editing.lock in the home's var/). With
        `verify_on_first_refresh`, the first `refresh_if_changed` compares the files with the loaded corpus
        even if nothing seems to have changed (for a service created some time after the engine loaded)."""
        self.engine = engine
        self._history = history if isinstance(history, History) else None
        self._history_at = history
        self.checks = DraftChecker(engine, compliance.load_rules() if rules is None else rules, duplicate_threshold)
        self.lock_path = Path(lock_path) if lock_path else engine.settings.data_dir / "editing.lock"
        self._lock = threading.RLock()
        self._depth = 0
        self._lock_file = None
        self._known_stamp = None if verify_on_first_refresh else self._stamp()
        self.disk_problems: list[Problem] = []  # why the situation files on disk do not load, when they do not
        self._digests = self._read_digests()
        self.shop = ShopFacts(self)
        self.products = ProductSheetEditor(self)

    @property
    def rules(self) -> tuple[compliance.Rule, ...]:
        return self.checks.rules

    @property
    def duplicate_threshold(self) -> float:
        return self.checks.duplicate_threshold

    @property
    def history(self) -> History:
        if self._history is None:
            with self._lock:
                if self._history is None:
                    self._history = History(self._history_at)
        return self._history

    # ---- locking and cross-process freshness -----------------------------------------------------------

    @contextmanager
    def _exclusive(self, blocking: bool = True) -> Iterator[bool]:
        """One change at a time: a thread lock, and a lock file for the other worker processes. Yields whether
        the lock is held (always True when `blocking`)."""
        if not self._lock.acquire(blocking=blocking):
            yield False
            return
        try:
            if self._depth == 0:
                self.lock_path.parent.mkdir(parents=True, exist_ok=True)
                handle = open(self.lock_path, "a+")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
                except BlockingIOError:
                    handle.close()
                    yield False
                    return
                self._lock_file = handle
                settle_pending(self)
            self._depth += 1
            try:
                yield True
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                    self._lock_file.close()
                    self._lock_file = None
        finally:
            self._lock.release()

    def _stamp(self) -> tuple | None:
        """(situation files, shop facts, product sheet): each part says whether that part changed. Every
        situation file counts, so a file edited in place (the folder unchanged) is noticed too."""
        try:
            files = tuple(sorted((e.name, e.inode(), e.stat().st_mtime_ns, e.stat().st_size)
                                 for e in os.scandir(self._situations_dir) if e.name.endswith(".yaml")))
        except FileNotFoundError:
            return None
        return (files, tuple(map(self._file_stamp, PROFILE_FILES)), tuple(map(self._file_stamp, PRODUCT_FILES)))

    @property
    def _situations_dir(self) -> Path:
        return self.engine.settings.corpus_dir / SITUATIONS_DIR

    def _digest(self, situation_id: str) -> str | None:
        try:
            return hashlib.sha256((self._situations_dir / f"{situation_id}.yaml").read_bytes()).hexdigest()
        except FileNotFoundError:
            return None

    def _read_digests(self) -> dict[str, str | None]:
        """What each situation file holds: kept as what this process last read or wrote, a file may be rewritten
        only while it still holds that (see `_guard`)."""
        names = [p.stem for p in self._situations_dir.glob("*.yaml")] if self._situations_dir.is_dir() else []
        return {name: self._digest(name) for name in names}

    def _guard(self, situation_ids: set[str]) -> None:
        """Refuse to write over a situation file changed on disk since it was read (a hand edit, another tool):
        its contents are loaded instead when they load, and the editor saves again on top of them."""
        changed = sorted(sid for sid in situation_ids if self._digest(sid) != self._digests.get(sid))
        if not changed:
            return
        names = "、".join(f"{sid}.yaml" for sid in changed)
        loaded = self._reload_corpus()
        problems = [zh_problem(p) for p in self.disk_problems]
        message = (f"{names} 在磁盘上被改过（可能是手工编辑），已载入磁盘上的版本：请查看后再保存" if loaded else
                   f"{names} 在磁盘上被改过且有误，为免覆盖没有保存：请先修正文件")
        raise Conflict(message, theirs=None, yours=None, extra={"files": changed, "file_problems": problems})

    def _file_stamp(self, name: str) -> tuple | None:
        try:
            stat = (self.engine.settings.corpus_dir / name).stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def refresh_if_changed(self, wait: bool = True) -> bool:
        """Reload the corpus if its files changed under this process (another worker, a hand edit, the CLI).

        Costs a few stat() calls when nothing changed, so it can run before every request, and reloads only the
        part that changed (the situations, the shop's facts, the product sheet). With `wait=False` it gives
        up at once while a change is being written (here: the writer updates the engine itself; elsewhere:
        the next request looks again), so agents' requests never wait for an editor's save."""
        stamp = self._stamp()
        if stamp is None or stamp == self._known_stamp:
            return False
        with self._exclusive(blocking=wait) as held:
            if not held:
                return False
            stamp = self._stamp()
            known = self._known_stamp
            if stamp is None or stamp == known:
                return False
            if known is None or stamp[1] != known[1]:
                self._reload_profile()
            if known is None or stamp[2] != known[2]:
                self._reload_products()
            if known is not None and stamp[0] == known[0]:
                self._known_stamp = stamp
                return True
            loaded = self._reload_corpus()
            self._known_stamp = self._stamp() if loaded else stamp
            return loaded

    def _reload_corpus(self) -> bool:
        """Serve the situation files as they are on disk; a file that does not load keeps the loaded corpus
        and is shown to editors (`disk_problems`) until it is fixed."""
        digests = self._read_digests()  # before reading: a file changed in between then counts as changed
        try:
            corpus = load_corpus(self.engine.settings.corpus_dir)
        except CorpusError as exc:
            log.warning("the corpus on disk changed but does not load; keeping the loaded one: %s", exc.message)
            self.disk_problems = list(exc.problems)
            return False
        self.disk_problems = []
        if corpus != self.engine.corpus:
            log.info("the corpus changed on disk; reloading it")
            self.engine.update_corpus(corpus)
        self._digests = digests
        return True

    def _reload_profile(self) -> None:
        try:
            profile = load_profile(self.engine.settings.corpus_dir / "shop.yaml")
        except CorpusError as exc:
            log.warning("shop.yaml changed on disk but does not load; keeping the loaded facts: %s", exc.message)
            return
        if profile != self.engine.profile:
            log.info("shop.yaml changed on disk; reloading the shop's facts")
            self.engine.set_profile(profile)

    def _reload_products(self) -> None:
        try:
            self.engine.reload_products()
        except CorpusError as exc:
            log.warning("the product sheet changed on disk but does not load; keeping the loaded one: %s",
                        exc.message)
            return
        log.info("the product sheet changed on disk; reloaded it")

    @property
    def corpus(self) -> Corpus:
        return self.engine.corpus

    # ---- reading (shaped by suggest.authoring.presentation) ------------------------------------------------

    def compliance_of(self, text: str, requires: tuple[str, ...] = ()) -> list[compliance.Finding]:
        return self.checks.compliance_of(text, requires)

    def reply_dict(self, reply: Reply, corpus: Corpus | None = None) -> dict:
        return presentation.reply_dict(reply, corpus or self.corpus, self.compliance_of)

    def situation_dict(self, situation: Situation, corpus: Corpus | None = None) -> dict:
        return presentation.situation_dict(situation, corpus or self.corpus)

    def list_replies(self, situation: str | None = None, stage: str | None = None, tag: str | None = None,
                     text: str | None = None, status: str = "all", flagged: bool = False) -> list[dict]:
        return presentation.list_replies(self.corpus, self.compliance_of, situation=situation, stage=stage, tag=tag,
                                         text=text, status=status, flagged=flagged)

    def list_situations(self) -> list[dict]:
        return presentation.list_situations(self.corpus)

    def tags(self) -> list[str]:
        return presentation.tags(self.corpus)

    def get_reply(self, reply_id: str) -> Reply:
        reply = self.corpus.replies.get(reply_id)
        if reply is None:
            raise Missing(f"没有编号为 {reply_id} 的话术（可能已被删除）")
        return reply

    def get_situation(self, situation_id: str) -> Situation:
        situation = self.corpus.situations.get(situation_id)
        if situation is None:
            raise Missing(f"没有编号为 {situation_id} 的场景（可能已被删除）")
        return situation

    # ---- checking a draft (suggest.authoring.draft_checks) ---------------------------------------------

    def check_reply(self, draft: dict, reply_id: str | None = None, new_situation: dict | None = None,
                    corpus: Corpus | None = None) -> Check:
        """Everything saving `draft` would run into, without saving. `reply_id`: the reply being edited."""
        return self.checks.check_reply(draft, reply_id=reply_id, new_situation=new_situation, corpus=corpus)

    def near_duplicates(self, text: str, exclude: str | None = None, limit: int = 3) -> list[dict]:
        return self.checks.near_duplicates(text, exclude=exclude, limit=limit)

    # ---- committing ------------------------------------------------------------------------------------

    def _validated(self, situations: dict[str, Situation], replies: dict[str, Reply]) -> Corpus:
        raws = [RawReply(r.to_dict(), f"reply {r.id}") for r in replies.values()]
        try:
            return check_corpus(situations, raws)
        except CorpusError as exc:
            raise Invalid([{"field": p.field or "reply", "message": zh_problem(p)} for p in exc.problems]) from None

    def _commit(self, editor: str, action: str, target: str, summary: str, old: Corpus, new: Corpus,
                reply_ids: set[str], situation_ids: set[str], reverts: int | None = None) -> Change:
        before = corpus_state(old, reply_ids, situation_ids)
        after = corpus_state(new, reply_ids, situation_ids)
        files = touched_situations(before, after)
        self._guard(files)
        with self.history.recording(editor, action, target, summary, before, after, reverts) as change:
            try:
                self._write(new, files)
            except BaseException:
                log.exception("writing change %s failed; restoring the previous files", action)
                try:
                    self._write(old, files)
                except Exception:  # pragma: no cover - best effort
                    log.exception("could not restore the previous corpus files")
                raise
        self._known_stamp = self._stamp()
        return change

    def _write(self, corpus: Corpus, situation_ids: set[str]) -> None:
        """The touched situation files, each replaced atomically, then the engine serves `corpus`."""
        for situation_id in sorted(situation_ids):
            write_situation(corpus, self.engine.settings.corpus_dir, situation_id)
            self._digests[situation_id] = self._digest(situation_id)
        self.engine.update_corpus(corpus)

    def _check_version(self, reply_id: str, version: str | None, yours: dict | None) -> Reply:
        current = self.corpus.replies.get(reply_id)
        if current is None:
            last = self.history.last_touching("replies", reply_id)
            raise Conflict(f"话术 {reply_id} 已被{self._who(last)}删除；你的内容还在，可以另存为新话术",
                           theirs=None, yours=yours, extra={"changed_by": self._by(last)})
        if version is None:
            raise Invalid([{"field": "version", "message": "缺少版本号（version）：请重新打开这条话术再保存"}])
        if version != reply_version(current):
            last = self.history.last_touching("replies", reply_id)
            raise Conflict(f"话术 {reply_id} 在你编辑期间已被{self._who(last)}修改",
                           theirs={**self.reply_dict(current)}, yours=yours, extra={"changed_by": self._by(last)})
        return current

    @staticmethod
    def _by(change: Change | None) -> dict | None:
        return {"editor": change.editor, "at": change.created_at, "change": change.id} if change else None

    @staticmethod
    def _who(change: Change | None) -> str:
        return f" {change.editor} " if change else "别人"

    def save_reply(self, draft: dict, editor: str, reply_id: str | None = None, version: str | None = None,
                   new_situation: dict | None = None, confirm: bool = False) -> SaveResult:
        """Create (`reply_id` None) or update a reply; `version` is the one the edit started from."""
        with self._exclusive():
            self.refresh_if_changed()
            if reply_id is not None:
                self._check_version(reply_id, version, draft if isinstance(draft, dict) else None)
            corpus = self.corpus
            check = self.check_reply(draft, reply_id=reply_id, new_situation=new_situation, corpus=corpus)
            if check.problems:
                raise Invalid(check.problems)
            if check.blocking:
                raise Blocked(check)
            if check.warnings and not confirm:
                raise NeedsConfirmation(check)
            reply = check.reply
            situations = dict(corpus.situations)
            situation_ids: set[str] = set()
            if check.situation is not None:
                situations[check.situation.id] = check.situation
                situation_ids.add(check.situation.id)
            replies = dict(corpus.replies)
            replies[reply.id] = reply
            new = self._validated(situations, replies)
            if reply_id is None:
                action, summary = "create_reply", f"新建话术 {reply.id}：{reply.text[:40]}"
                if check.situation is not None:
                    summary += f"（新场景“{check.situation.name}”）"
            else:
                old = corpus.replies[reply_id]
                if old == reply:
                    return SaveResult(reply, Change(0, "", editor, "unchanged", reply.id, "没有改动"), check)
                changed = [name for name in ("text", "examples", "tags", "shortcut", "situation", "stage")
                           if getattr(old, name) != getattr(reply, name)]
                labels = {"text": "内容", "examples": "例句", "tags": "标签", "shortcut": "快捷编码",
                          "situation": "场景", "stage": "阶段"}
                action, summary = "update_reply", f"修改话术 {reply.id}（{'、'.join(labels[c] for c in changed)}）"
            change = self._commit(editor, action, reply.id, summary, corpus, new, {reply.id}, situation_ids)
            return SaveResult(new.replies[reply.id], change, check)

    def set_retired(self, reply_id: str, editor: str, version: str | None, retired: bool = True) -> SaveResult:
        with self._exclusive():
            self.refresh_if_changed()
            current = self._check_version(reply_id, version, None)
            if current.retired == retired:
                return SaveResult(current, Change(0, "", editor, "unchanged", reply_id, "没有改动"))
            corpus = self.corpus
            reply = replace(current, retired=retired)
            new = self._validated(corpus.situations, {**corpus.replies, reply_id: reply})
            action = "retire_reply" if retired else "restore_reply"
            summary = f"{'停用' if retired else '恢复'}话术 {reply_id}：{reply.text[:40]}"
            change = self._commit(editor, action, reply_id, summary, corpus, new, {reply_id}, set())
            return SaveResult(reply, change)

    def delete_reply(self, reply_id: str, editor: str, version: str | None) -> SaveResult:
        with self._exclusive():
            self.refresh_if_changed()
            current = self._check_version(reply_id, version, None)
            corpus = self.corpus
            replies = {rid: r for rid, r in corpus.replies.items() if rid != reply_id}
            new = self._validated(corpus.situations, replies)
            change = self._commit(editor, "delete_reply", reply_id, f"删除话术 {reply_id}：{current.text[:40]}",
                                  corpus, new, {reply_id}, set())
            return SaveResult(None, change)

    # ---- situations ----------------------------------------------------------------------------------------

    def save_situation(self, data: dict, editor: str, situation_id: str | None = None,
                       version: str | None = None) -> tuple[Situation, Change]:
        with self._exclusive():
            self.refresh_if_changed()
            corpus = self.corpus
            if not isinstance(data, dict):
                raise Invalid([{"field": "situation", "message": "场景格式不对"}])
            current = None
            if situation_id is not None:
                current = corpus.situations.get(situation_id)
                if current is None:
                    last = self.history.last_touching("situations", situation_id)
                    raise Conflict(f"场景 {situation_id} 已被{self._who(last)}删除", theirs=None, yours=data,
                                   extra={"changed_by": self._by(last)})
                if version != situation_version(current):
                    last = self.history.last_touching("situations", situation_id)
                    raise Conflict(f"场景 {situation_id} 在你编辑期间已被{self._who(last)}修改",
                                   theirs=self.situation_dict(current), yours=data, extra={"changed_by": self._by(last)})
            problems: list[dict] = []
            situation = self.checks.check_situation(data, corpus, situation_id, problems, prefix="situation")
            if problems:
                raise Invalid([{**p, "field": p["field"].split(".", 1)[-1]} for p in problems])
            if current == situation:
                return situation, Change(0, "", editor, "unchanged", situation.id, "没有改动")
            replies = dict(corpus.replies)
            reply_ids: set[str] = set()
            if current is not None and current.stage != situation.stage:
                # replies that followed the situation's stage follow it to the new one
                for reply in corpus.replies_of(situation.id):
                    if reply.stage == current.stage:
                        replies[reply.id] = replace(reply, stage=situation.stage)
                        reply_ids.add(reply.id)
            new = self._validated({**corpus.situations, situation.id: situation}, replies)
            if current is None:
                action, summary = "create_situation", f"新建场景“{situation.name}”（{situation.id}）"
            else:
                action, summary = "update_situation", f"修改场景“{situation.name}”（{situation.id}）"
            change = self._commit(editor, action, situation.id, summary, corpus, new, reply_ids, {situation.id})
            return situation, change

    def delete_situation(self, situation_id: str, editor: str, version: str | None) -> Change:
        with self._exclusive():
            self.refresh_if_changed()
            corpus = self.corpus
            current = corpus.situations.get(situation_id)
            if current is None:
                raise Missing(f"没有编号为 {situation_id} 的场景")
            if version != situation_version(current):
                raise Conflict(f"场景 {situation_id} 在你查看后已被修改", theirs=self.situation_dict(current), yours=None)
            if corpus.replies_of(situation_id):
                raise Invalid([{"field": "situation", "message": f"场景“{current.name}”下还有 "
                                f"{len(corpus.replies_of(situation_id))} 条话术：先删除或移到别的场景"}])
            situations = {sid: s for sid, s in corpus.situations.items() if sid != situation_id}
            new = self._validated(situations, dict(corpus.replies))
            return self._commit(editor, "delete_situation", situation_id, f"删除场景“{current.name}”（{situation_id}）",
                                corpus, new, set(), {situation_id})

    # ---- revert --------------------------------------------------------------------------------------------

    def revert(self, change_id: int, editor: str, force: bool = False) -> Change:
        """Restore the before-state of change `change_id`, as a new change. If something it touched was changed
        again since, `Conflict` lists what (unless `force`)."""
        with self._exclusive():
            self.refresh_if_changed()
            original = self.history.get(change_id)
            if original is None:
                raise Missing(f"历史记录中没有第 {change_id} 号更改")
            if "shop" in original.before:
                return self.shop.revert(original, editor, force)
            if "products" in original.before:
                return self.products.revert(original, editor, force)
            corpus = self.corpus
            reply_ids = set(original.before["replies"]) | set(original.after["replies"])
            situation_ids = set(original.before["situations"]) | set(original.after["situations"])
            now = corpus_state(corpus, reply_ids, situation_ids)
            if now == original.before:
                raise Invalid([{"field": "change", "message": "当前内容已经和这次更改之前一致，无需撤销"}],
                              "无需撤销")
            drifted = [{"kind": kind, "id": item, "current": now[kind][item], "expected": original.after[kind].get(item)}
                       for kind in ("replies", "situations") for item in now[kind]
                       if now[kind][item] != original.after[kind].get(item)]
            if drifted and not force:
                names = "、".join(d["id"] for d in drifted)
                raise Conflict(f"{names} 在这次更改之后又被修改过；撤销会覆盖那些修改", theirs=None, yours=None,
                               extra={"drifted": drifted, "change": original.id})
            new = self._validated(*overlay(corpus, original.before))
            summary = f"撤销 #{original.id}（{original.action_name}）：{original.summary}"
            return self._commit(editor, "revert", original.target, summary[:200], corpus, new, reply_ids,
                                situation_ids, reverts=original.id)

    # ---- import ------------------------------------------------------------------------------------------

    def import_preview(self, path: Path, display_name: str | None = None, overrides: dict[str, str] | None = None):
        """What importing `path` would do (suggest.authoring.import_preview); writes nothing."""
        return preview_file(self.engine, path, display_name, overrides, rules=self.rules,
                            compliance_of=self.compliance_of)

    def import_commit(self, path: Path, editor: str, display_name: str | None = None,
                      expected_base: str | None = None, overrides: dict[str, str] | None = None):
        """Import `path` on top of the corpus, all or nothing; returns (preview, change). A 千牛 quick-phrase sheet
        goes through `import_quick_phrases` with the editor's `overrides` (分组 -> situation id)."""
        from ..corpus.files import corpus_hash

        with self._exclusive():
            self.refresh_if_changed()
            corpus = self.corpus
            if expected_base is not None and expected_base != corpus_hash(corpus):
                raise Conflict("预览之后语料已被修改：请重新预览再导入", theirs=None, yours=None)
            preview = self.import_preview(path, display_name, overrides)
            if not preview.ok:
                raise Invalid([{"field": "file", "message": f"{r.where}: {zh_problem(reason)}"} for r in preview.rejected
                               for reason in r.reasons] + [{"field": "file", "message": zh_problem(p)}
                                                          for p in preview.errors],
                              f"导入被拒绝（{len(preview.rejected)} 行有问题），没有写入任何内容")
            if not preview.added and not preview.changed:
                raise Invalid([{"field": "file", "message": "文件里的话术和现有语料完全一致"}], "没有需要导入的内容")
            new = preview.corpus
            reply_ids = {r.id for r in preview.added + preview.changed}
            situation_ids = {s.id for s in preview.new_situations}
            name = display_name or path.name
            if isinstance(preview, PhrasePreview):
                summary = f"导入 {name}（千牛快捷短语）：新增 {len(preview.added)} 条"
            else:
                summary = f"导入 {name}：新增 {len(preview.added)} 条，修改 {len(preview.changed)} 条"
            if situation_ids:
                summary += f"，新场景 {len(situation_ids)} 个"
            change = self._commit(editor, "import", name, summary, corpus, new, reply_ids, situation_ids)
            return preview, change

    # ---- try it -------------------------------------------------------------------------------------------

    def try_draft(self, message: str, draft: dict | None = None, reply_id: str | None = None, k: int = 5) -> dict:
        """What agents get for `message` now, and where the draft under edit would stand (suggest.authoring.try_it)."""
        return try_it.try_draft(self.engine, message, draft, reply_id=reply_id, k=k)

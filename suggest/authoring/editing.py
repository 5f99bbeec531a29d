"""The editing service: everything an editor does to the corpus, with the checks that keep agents safe.

Used by the editor pages (webapp/editor) and usable from any Python code; it knows nothing about HTTP.

* Checks on save: required fields and lengths, unknown placeholders (errors); compliance rules
  (suggest.compliance: `block` stops the save, `warn` needs confirmation); near-duplicates of another reply
  (cosine >= `duplicate_threshold` between reply texts, needs confirmation).
* Every change goes through `Suggester.update_corpus(..., touched=...)`: only the touched situation files are
  rewritten (atomically) and only the changed replies re-embedded; the next suggestion sees it.
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
import json
import logging
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from ..corpus import compliance
from ..corpus.files import (ID_PATTERN, MAX_EXAMPLE_CHARS, MAX_REPLY_CHARS, SHORTCUT_PATTERN, RawReply, check_corpus,
                     load_corpus, validate_reply)
from ..errors import CorpusError, SuggestError
from .history import Change, History, empty_state
from ..corpus.profile import KNOWN_PLACEHOLDERS, fill, placeholders
from ..records import STAGE_NAMES, STAGES, Corpus, Reply, Situation
from ..engine.text import normalize

log = logging.getLogger(__name__)

DUPLICATE_THRESHOLD = 0.92  # reply texts at least this similar (cosine) get a near-duplicate warning
MAX_TAG_CHARS = 20
MAX_TAGS = 10
MAX_SITUATION_NAME = 40
MAX_DESCRIPTION = 300
MIN_GOOD_EXAMPLES = 3
# Try-it verdicts: nearest-example similarity of the message to the draft (m3e-small: paraphrases score
# 0.9 and above, unrelated shop questions about 0.65-0.75).
TRY_LIKELY = 0.88
TRY_POSSIBLE = 0.80
TRY_BATCH = 8  # texts per embedder call in try-it (embed.ONNX_MAX_TEXTS)
TRY_METHOD = ("右侧是引擎此刻给客服的真实推荐（按保存前的语料计算）。草稿的位置按“买家消息与话术例句或话术本身的最高"
              "相似度”估算，现有推荐也用同一方法计分；这是引擎排序的主要依据。保存后分类模型会重新训练，实际名次可能略有差别。")


# ---- errors ------------------------------------------------------------------------------------------------

class EditError(SuggestError):
    """A change that was not made; `status` is the HTTP status an interface should answer with."""

    status = 422
    code = "edit_refused"

    def details(self) -> dict:
        return {}


class Invalid(EditError):
    code = "invalid"

    def __init__(self, problems: list[dict], message: str = "内容有误，未保存") -> None:
        super().__init__(message + "：" + "；".join(p["message"] for p in problems[:5]))
        self.short = message
        self.problems = problems

    def details(self) -> dict:
        return {"problems": self.problems}


class Blocked(EditError):
    code = "blocked"

    def __init__(self, check: "Check") -> None:
        words = "、".join(f"“{f.word}”" for f in check.blocking)
        super().__init__(f"含有不允许的用语 {words}，未保存")
        self.check = check

    def details(self) -> dict:
        return {"check": self.check.to_dict()}


class NeedsConfirmation(EditError):
    code = "needs_confirmation"

    def __init__(self, check: "Check") -> None:
        super().__init__(f"有 {len(check.warnings)} 条提醒需要确认；确认无误后选择“仍然保存”")
        self.check = check

    def details(self) -> dict:
        return {"check": self.check.to_dict()}


class Conflict(EditError):
    status = 409
    code = "conflict"

    def __init__(self, message: str, theirs: dict | None, yours: dict | None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.yours = yours
        self.extra = extra or {}

    def details(self) -> dict:
        return {"theirs": self.theirs, "yours": self.yours, **self.extra}


class Missing(EditError):
    status = 404
    code = "not_found"


# ---- versions and plain dicts --------------------------------------------------------------------------------

def _digest(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def reply_version(reply: Reply) -> str:
    """The version an edit starts from. Unlike `corpus.reply_hash` (what the index depends on), it covers every
    field, tags and 快捷编码 included: two editors changing only the tags still conflict."""
    return _digest(reply.to_dict())


def situation_version(situation: Situation) -> str:
    return _digest(situation.to_dict())


def reply_from_dict(data: dict) -> Reply:
    return Reply(id=data["id"], situation=data["situation"], stage=data["stage"], text=data["text"],
                 examples=tuple(data.get("examples") or ()), tags=tuple(data.get("tags") or ()),
                 shortcut=data.get("shortcut") or None, retired=bool(data.get("retired")))


def situation_from_dict(data: dict) -> Situation:
    return Situation(id=data["id"], name=data["name"], stage=data["stage"], description=data.get("description") or "",
                     examples=tuple(data.get("examples") or ()))


def _state(corpus: Corpus, reply_ids: set[str], situation_ids: set[str]) -> dict:
    state = empty_state()
    for rid in sorted(reply_ids):
        reply = corpus.replies.get(rid)
        state["replies"][rid] = reply.to_dict() if reply else None
    for sid in sorted(situation_ids):
        situation = corpus.situations.get(sid)
        state["situations"][sid] = situation.to_dict() if situation else None
    return state


def _text_lines(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = value.replace("\r", "").split("\n")
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value if v is not None]
    else:
        return []
    out: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


def _tag_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,，、;；\s]+", value)
    return _text_lines(value)


_FIELD_NAMES = {"id": "编号", "situation": "情境", "stage": "阶段", "text": "话术", "examples": "例句", "tags": "标签",
                "shortcut": "快捷编码", "retired": "停用", "name": "名称", "description": "说明"}
_PHRASES = [  # the engine's English problem messages, in the editors' language
    (r"a new situation id must be lowercase letters, digits, '-' or '_' \(got (.*)\)",
     r"新情境的编号只能用小写英文字母、数字、- 和 _（现在是 \1）"),
    (r"must be lowercase letters, digits, '-' or '_' \(got (.*)\)", r"只能用小写英文字母、数字、- 和 _（现在是 \1）"),
    (r"unknown situation (.*)", r"情境 \1 不存在"),
    (r"must be one of presale, order, aftersale, general \(got (.*)\)", r"只能是 售前/售中/售后/通用（presale/order/aftersale/general，现在是 \1）"),
    (r"is required and may not be empty", "不能为空"),
    (r"is required", "必须填写"),
    (r"is (\d+) characters; at most (\d+)", r"有 \1 个字，最多 \2 个字"),
    (r"must be a list of non-empty example buyer messages", "例句不能为空"),
    (r"an example is longer than (\d+) characters", r"有例句超过 \1 个字"),
    (r"must be a list of words", "必须是词语列表"),
    (r"must be 1-16 lowercase letters or digits \(got (.*)\)", r"只能是 1-16 位小写字母或数字（现在是 \1）"),
    (r"must be true or false \(got (.*)\)", r"只能是“是”或“否”（现在是 \1）"),
    (r"unknown field", "是无法识别的列"),
    (r"(.*) is already used by (.*)", r"\1 已被 \2 使用"),
    (r"(.*) appears more than once in the file", r"\1 在文件中出现了不止一次"),
    (r"duplicate reply id (.*) \(first at (.*)\)", r"编号 \1 重复（第一次在 \2）"),
    (r"unknown placeholder (.*)", r"未知的占位符 \1"),
    (r"compliance \((.*)\): (.*) is not allowed", r"\1：不允许使用 \2"),
    (r"compliance \((.*)\): (.*) would be refused by the editor", r"\1：\2 在编辑台会被拒绝"),
    (r"compliance \((.*)\): (.*) needs a second look", r"\1：\2 请再确认"),
    (r"is required \(a situation id or its Chinese name\)", "必须填写（情境编号或中文名称，例如 议价）"),
    (r"the same text as reply (.*)", r"和现有话术 \1 的内容完全相同：导入后会多出一条重复的话术"),
    (r"missing column\(s\) (.*?) \(headers: .*?\)(; a 千牛 quick-phrase sheet.*)?", lambda m: (
        "缺少列 " + "、".join(part.split("/")[0] for part in m.group(1).split(", "))
        + "（表头：情境、话术 必填；编号、例句、情境名称、阶段、标签、快捷编码、停用 可选，也可以用英文表头 situation、text、id、examples…）"
        + ("。如果这是千牛快捷短语表，表头应为 分组、快捷编码、快捷短语" if m.group(2) else ""))),
    (r"missing column\(s\) (.*?)( \(headers.*\))?$", r"缺少列 \1"),
    (r"快捷编码 '?(.*?)'? is taken; left empty", r"快捷编码 \1 已被别的话术占用，这条导入后不设快捷编码"),
    (r"快捷编码 '?(.*?)'? is not 1-16 letters or digits; left empty", r"快捷编码 \1 不是 1-16 位字母或数字，这条导入后不设快捷编码"),
    (r"the file is empty", "文件是空的"),
    (r"no quick phrases \(the sheet is empty\)", "没有快捷短语（表格是空的）"),
    (r"no quick phrases \(every 快捷短语 cell is empty\)", "没有快捷短语（快捷短语列全是空的）"),
    (r"no 快捷短语 column .*", "没有“快捷短语”列（表头：分组、快捷编码、快捷短语）"),
    (r"neither UTF-8 nor GBK text", "既不是 UTF-8 也不是 GBK 编码的文本"),
    (r"not valid JSON \((.*)\)", r"不是有效的 JSON（\1）"),
    (r"expected a JSON object", "每行应是一个 JSON 对象"),
    (r"not UTF-8 text", "不是 UTF-8 编码的文本"),
    (r"not an Excel \.xlsx workbook.*", "不是 Excel .xlsx 文件"),
    (r"no rows to import", "文件里没有可导入的行"),
]


def zh_problem(message: str) -> str:
    """An engine problem message ("where: field 'text': is required ...") in Chinese, keeping the location."""
    where, rest = "", message
    match = re.match(r"^(.*?:\d+: |reply [\w\-]+: )?(?:field '(\w+)': )?(.*)$", message, re.S)
    if not match:
        return message
    where, field, rest = match.group(1) or "", match.group(2), match.group(3)
    for pattern, replacement in _PHRASES:
        translated, count = re.subn(f"^{pattern}$", replacement, rest)
        if count:
            rest = translated
            break
    label = f"{_FIELD_NAMES.get(field, field)}：" if field else ""
    return f"{where}{label}{rest.replace('现在是 None', '现在为空')}"


def _field_of(problem: str) -> str:
    match = re.search(r"field '(\w+)'", problem)
    return match.group(1) if match else "reply"


# ---- checks --------------------------------------------------------------------------------------------------

@dataclass
class Check:
    """What saving a draft would do: problems (errors), compliance findings, near-duplicates and notes."""

    reply: Reply | None = None
    situation: Situation | None = None  # a new situation created with the reply
    problems: list[dict] = field(default_factory=list)  # {field, message}: the draft cannot be saved
    findings: list[compliance.Finding] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # {id, text, situation, similarity}
    placeholder_warnings: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)  # hints that need no confirmation

    @property
    def blocking(self) -> list[compliance.Finding]:
        return compliance.blocking(self.findings)

    @property
    def warnings(self) -> list[dict]:
        """Everything the editor has to confirm before saving."""
        out = [{"kind": "compliance", "field": "text", "severity": "warn", "word": f.word, "rule": f.rule,
                "category": f.category, "message": f"{f.category}：“{f.word}”——{f.message}"}
               for f in compliance.warnings(self.findings)]
        out += [{"kind": "duplicate", "field": "text", "id": d["id"], "similarity": d["similarity"],
                 "message": f"与话术 {d['id']} 非常相似（相似度 {d['similarity']:.2f}）：{d['text']}"}
                for d in self.duplicates]
        out += self.placeholder_warnings
        return out

    @property
    def ok(self) -> bool:
        return not self.problems and not self.blocking

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "blocking": [{**f.to_dict(), "field": "text"} for f in self.blocking],
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
            "duplicates": self.duplicates,
            "notes": self.notes,
            "reply": self.reply.to_dict() if self.reply else None,
        }


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


# ---- a 千牛 quick-phrase import, previewed ------------------------------------------------------------------

@dataclass
class PhrasePreview:
    """What importing a 千牛 quick-phrase sheet would do: each 分组's situation (with a confidence; an editor may choose
    another), the phrases that become replies, those already in the home, and those that cannot be imported.
    Shaped like interchange.ImportPreview (rows, counts, ok, verdict) so that the import page and commit treat both
    alike. `corpus` is the corpus after the import, when nothing is rejected."""

    file: str
    base_hash: str = ""
    groups: list = field(default_factory=list)  # quick_phrases.GroupAssignment, in the sheet's order
    rows: list = field(default_factory=list)  # interchange.RowPreview, one per phrase: add | unchanged | reject
    errors: list[str] = field(default_factory=list)
    samples: dict[str, list[str]] = field(default_factory=dict)  # 分组 -> its first phrases
    overrides: dict[str, str] = field(default_factory=dict)  # the editor's choices, 分组 -> situation id
    situations: list[dict] = field(default_factory=list)  # the home's situations, for the choice
    new_situations: list[Situation] = field(default_factory=list)
    corpus: Corpus | None = None
    result: object = None  # quick_phrases.PhraseImport
    removed: list[Reply] = field(default_factory=list)  # never: the editor's import adds

    def _replies(self, status: str) -> list[Reply]:
        if self.corpus is None:
            return []
        return [self.corpus.replies[r.id] for r in self.rows if r.status == status and r.id in self.corpus.replies]

    @property
    def added(self) -> list[Reply]:
        return self._replies("add")

    @property
    def changed(self) -> list[Reply]:
        return []

    @property
    def rejected(self) -> list:
        return [r for r in self.rows if r.status == "reject"]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.rejected and self.corpus is not None

    def counts(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "unchanged": 0, "reject": 0}
        for row in self.rows:
            counts[row.status] += 1
        counts["new_situations"] = len(self.new_situations)
        counts["removed"] = 0
        return counts

    def verdict(self) -> dict:
        counts = self.counts()
        if self.errors or (not self.rejected and self.corpus is None):
            return {"kind": "error", "message": "文件有问题，不能导入：按下面的说明改好文件后重新预览。"}
        if self.rejected:
            return {"kind": "reject", "message": f"有 {counts['reject']} 条短语被拒绝（原因见每行的说明）：改好文件后重新预览。"
                                                 "导入要么全部写入，要么一条都不写。"}
        if not counts["add"]:
            return {"kind": "nothing", "message": "表里的快捷短语都已经在话术库里了，没有需要导入的内容。"}
        parts = [f"新增 {counts['add']} 条话术"]
        if counts["unchanged"]:
            parts.append(f"{counts['unchanged']} 条已在话术库里，保持不变")
        if counts["new_situations"]:
            parts.append(f"新建情境 {counts['new_situations']} 个")
        return {"kind": "ready", "message": f"可以导入：{'，'.join(parts)}。确认后一次性写入，客服推荐立即更新；"
                                           "可在“历史”中撤销。"}

    def group_dicts(self) -> list[dict]:
        from .quick_phrases import UNGROUPED

        names = {s["id"]: s for s in self.situations}
        situations = self.corpus.situations if self.corpus is not None else (
            self.result.corpus.situations if self.result is not None else {})
        out = []
        for g in self.groups:
            situation = situations.get(g.situation)
            stage = situation.stage if situation else "general"
            out.append({
                "group": g.group, "label": g.group or UNGROUPED, "situation": g.situation, "name": g.name,
                "stage": stage, "stage_name": STAGE_NAMES.get(stage, stage), "confidence": g.confidence, "new": g.new,
                "phrases": g.phrases, "chosen": g.group in self.overrides, "samples": self.samples.get(g.group, []),
                "alternatives": [{"id": sid, "name": names[sid]["name"] if sid in names else sid,
                                  "confidence": confidence} for sid, confidence in g.alternatives]})
        return out

    def to_dict(self) -> dict:
        return {"kind": "qianniu", "file": self.file, "ok": self.ok, "counts": self.counts(), "errors": self.errors,
                "verdict": self.verdict(), "rows": [r.to_dict() for r in self.rows], "groups": self.group_dicts(),
                "situations": [{"id": s["id"], "name": s["name"], "stage": s["stage"], "stage_name": s["stage_name"]}
                               for s in self.situations],
                "new_situations": [{"id": s.id, "name": s.name, "stage": s.stage} for s in self.new_situations],
                "removed": [], "base": self.base_hash, "kept": [], "overrides": self.overrides}


# ---- the service ---------------------------------------------------------------------------------------------

class EditingService:
    def __init__(self, engine, history: History | Path, duplicate_threshold: float = DUPLICATE_THRESHOLD,
                 rules: tuple[compliance.Rule, ...] | None = None, lock_path: Path | None = None,
                 verify_on_first_refresh: bool = False) -> None:
        """`history`: a History, or the path of its database (opened on first use). With
        `verify_on_first_refresh`, the first `refresh_if_changed` compares the files with the loaded corpus
        even if nothing seems to have changed (for a service created some time after the engine loaded)."""
        self.engine = engine
        self._history = history if isinstance(history, History) else None
        self._history_path = history.path if isinstance(history, History) else Path(history)
        self.duplicate_threshold = duplicate_threshold
        self.rules = compliance.load_rules() if rules is None else rules
        self.lock_path = Path(lock_path) if lock_path else self._history_path.with_name("editing.lock")
        self._lock = threading.RLock()
        self._depth = 0
        self._lock_file = None
        self._known_stamp = None if verify_on_first_refresh else self._stamp()
        self._compliance_cache: dict[str, list[compliance.Finding]] = {}

    @property
    def history(self) -> History:
        if self._history is None:
            with self._lock:
                if self._history is None:
                    self._history = History(self._history_path)
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

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.engine.settings.corpus_dir / "situations").stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns)

    def refresh_if_changed(self, wait: bool = True) -> bool:
        """Reload the corpus if its files changed under this process (another worker, a hand edit, the CLI).

        Costs one stat() when nothing changed, so it can run before every request. With `wait=False` it gives
        up at once while a change is being written (here: the writer updates the engine itself; elsewhere:
        the next request looks again), so agents' requests never wait for an editor's save."""
        stamp = self._stamp()
        if stamp is None or stamp == self._known_stamp:
            return False
        with self._exclusive(blocking=wait) as held:
            if not held:
                return False
            stamp = self._stamp()
            if stamp is None or stamp == self._known_stamp:
                return False
            try:
                corpus = load_corpus(self.engine.settings.corpus_dir)
            except CorpusError as exc:
                log.warning("the corpus on disk changed but does not load; keeping the loaded one: %s", exc.message)
                self._known_stamp = stamp
                return False
            if corpus != self.engine.corpus:
                log.info("the corpus changed on disk; reloading it")
                self.engine.update_corpus(corpus, write=False)
            self._known_stamp = self._stamp()
            return True

    @property
    def corpus(self) -> Corpus:
        return self.engine.corpus

    # ---- reading -------------------------------------------------------------------------------------------

    def compliance_of(self, text: str) -> list[compliance.Finding]:
        found = self._compliance_cache.get(text)
        if found is None:
            found = compliance.check_text(text, self.rules)
            if len(self._compliance_cache) > 5000:
                self._compliance_cache.clear()
            self._compliance_cache[text] = found
        return found

    def reply_dict(self, reply: Reply, corpus: Corpus | None = None) -> dict:
        corpus = corpus or self.corpus
        situation = corpus.situations.get(reply.situation)
        findings = self.compliance_of(reply.text)
        flag = "block" if compliance.blocking(findings) else "warn" if findings else None
        return {**reply.to_dict(), "version": reply_version(reply),
                "situation_name": situation.name if situation else reply.situation,
                "stage_name": STAGE_NAMES.get(reply.stage, reply.stage),
                "follows_situation_stage": bool(situation and situation.stage == reply.stage),
                "compliance": flag, "findings": [f.to_dict() for f in findings]}

    def situation_dict(self, situation: Situation, corpus: Corpus | None = None) -> dict:
        corpus = corpus or self.corpus
        replies = corpus.replies_of(situation.id)
        return {**situation.to_dict(), "version": situation_version(situation),
                "stage_name": STAGE_NAMES.get(situation.stage, situation.stage),
                "replies": len(replies), "active": sum(1 for r in replies if not r.retired)}

    def list_replies(self, situation: str | None = None, stage: str | None = None, tag: str | None = None,
                     text: str | None = None, status: str = "all", flagged: bool = False) -> list[dict]:
        corpus = self.corpus
        needle = (text or "").strip().lower()
        out = []
        for reply in sorted(corpus.replies.values(), key=lambda r: (r.situation, r.id)):
            if situation and reply.situation != situation:
                continue
            if stage and reply.stage != stage:
                continue
            if tag and tag not in reply.tags:
                continue
            if status == "active" and reply.retired or status == "retired" and not reply.retired:
                continue
            if needle:
                haystack = " ".join([reply.id, reply.text, reply.shortcut or "", *reply.examples, *reply.tags]).lower()
                if needle not in haystack:
                    continue
            item = self.reply_dict(reply, corpus)
            if flagged and not item["compliance"]:
                continue
            out.append(item)
        return out

    def list_situations(self) -> list[dict]:
        corpus = self.corpus
        order = {stage: i for i, stage in enumerate(STAGES)}
        return [self.situation_dict(s, corpus)
                for s in sorted(corpus.situations.values(), key=lambda s: (order.get(s.stage, 9), s.id))]

    def tags(self) -> list[str]:
        counts: dict[str, int] = {}
        for reply in self.corpus.replies.values():
            for tag in reply.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return sorted(counts, key=lambda t: (-counts[t], t))

    def get_reply(self, reply_id: str) -> Reply:
        reply = self.corpus.replies.get(reply_id)
        if reply is None:
            raise Missing(f"没有编号为 {reply_id} 的话术（可能已被删除）")
        return reply

    def get_situation(self, situation_id: str) -> Situation:
        situation = self.corpus.situations.get(situation_id)
        if situation is None:
            raise Missing(f"没有编号为 {situation_id} 的情境（可能已被删除）")
        return situation

    # ---- checking a draft ------------------------------------------------------------------------------

    def _next_id(self, prefix: str, taken: set[str]) -> str:
        pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
        numbers = [int(m.group(1)) for i in taken if (m := pattern.match(i))]
        n = max(numbers, default=0) + 1
        while f"{prefix}-{n:02d}" in taken:
            n += 1
        return f"{prefix}-{n:02d}"

    def _check_situation(self, data: dict, corpus: Corpus, existing_id: str | None, problems: list[dict],
                         prefix: str = "situation") -> Situation | None:
        start = len(problems)
        sid = str(data.get("id") or "").strip().lower() if existing_id is None else existing_id
        if existing_id is None:
            if not sid:
                sid = self._next_id("situation", set(corpus.situations))
            elif not ID_PATTERN.match(sid):
                problems.append({"field": f"{prefix}.id", "message": "情境编号只能用小写英文字母、数字、- 和 _（例如 invoice）"})
            elif sid in corpus.situations:
                problems.append({"field": f"{prefix}.id", "message": f"情境编号 {sid} 已被“{corpus.situations[sid].name}”使用"})
        name = str(data.get("name") or "").strip()
        if not name:
            problems.append({"field": f"{prefix}.name", "message": "请填写情境名称"})
        elif len(name) > MAX_SITUATION_NAME:
            problems.append({"field": f"{prefix}.name", "message": f"情境名称最多 {MAX_SITUATION_NAME} 个字"})
        elif any(s.name == name and s.id != sid for s in corpus.situations.values()):
            problems.append({"field": f"{prefix}.name", "message": f"已有名为“{name}”的情境"})
        stage = data.get("stage")
        if stage not in STAGES:
            problems.append({"field": f"{prefix}.stage", "message": "请选择阶段：售前、售中、售后或通用"})
        description = str(data.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION:
            problems.append({"field": f"{prefix}.description", "message": f"说明最多 {MAX_DESCRIPTION} 个字"})
        if len(problems) > start:
            return None
        # the buyer-intent bank is edited on its own; renaming a situation keeps it
        examples = corpus.situations[existing_id].examples if existing_id in corpus.situations else ()
        return Situation(id=sid, name=name, stage=stage, description=description, examples=examples)

    def check_reply(self, draft: dict, reply_id: str | None = None, new_situation: dict | None = None,
                    corpus: Corpus | None = None) -> Check:
        """Everything saving `draft` would run into, without saving. `reply_id`: the reply being edited."""
        corpus = corpus or self.corpus
        check = Check()
        problems = check.problems
        if not isinstance(draft, dict):
            problems.append({"field": "reply", "message": "话术内容格式不对"})
            return check
        situations = dict(corpus.situations)
        if new_situation:
            situation = self._check_situation(new_situation, corpus, None, problems)
            if situation is not None:
                situations[situation.id] = situation
                check.situation = situation
                draft = {**draft, "situation": situation.id}
        current = corpus.replies.get(reply_id) if reply_id else None

        # the id: fixed for an edit, chosen or generated for a new reply
        rid = str(draft.get("id") or "").strip()
        if current is not None:
            if rid and rid != current.id:
                problems.append({"field": "id", "message": "编号不能修改；如需新编号，请新建一条话术"})
            rid = current.id
        elif not rid:
            sid = draft.get("situation")
            rid = self._next_id(sid if isinstance(sid, str) and ID_PATTERN.match(sid or "") else "reply",
                                set(corpus.replies))
        elif not ID_PATTERN.match(rid):
            problems.append({"field": "id", "message": "编号只能用小写英文字母、数字、- 和 _；可以留空自动生成"})
        elif rid in corpus.replies:
            problems.append({"field": "id", "message": f"编号 {rid} 已被另一条话术使用"})

        sid = draft.get("situation")
        if not isinstance(sid, (str, type(None))):
            problems.append({"field": "situation", "message": "情境编号必须是文字"})
            sid = None
        elif not sid:
            problems.append({"field": "situation", "message": "请选择话术所属的情境"})
        elif sid not in situations:
            if not (new_situation and check.situation is None):
                problems.append({"field": "situation", "message": f"情境 {sid} 不存在"})
        stage = draft.get("stage") or None
        if stage is not None and stage not in STAGES:
            problems.append({"field": "stage", "message": "阶段只能是售前、售中、售后或通用"})
        if stage is None and sid in situations:
            stage = situations[sid].stage

        text = draft.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            problems.append({"field": "text", "message": "请填写话术内容"})
        elif len(text) > MAX_REPLY_CHARS:
            problems.append({"field": "text", "message": f"话术有 {len(text)} 个字，最多 {MAX_REPLY_CHARS} 个字"})
        known = set(KNOWN_PLACEHOLDERS) | set(self.engine.profile)
        for name in dict.fromkeys(placeholders(text)):
            if name not in known:
                problems.append({"field": "text", "message": f"未知的占位符 {{{name}}}：可用的有 "
                                 + "、".join(f"{{{k}}}" for k in KNOWN_PLACEHOLDERS)})
            elif name not in self.engine.profile:
                check.placeholder_warnings.append({
                    "kind": "placeholder", "field": "text", "name": name,
                    "message": f"店铺资料（shop.yaml）里没有 {{{name}}} 的值：客服复制时需要手动填写"})

        examples = _text_lines(draft.get("examples"))  # optional: the situation's bank understands buyers too
        for example in examples:
            if len(example) > MAX_EXAMPLE_CHARS:
                problems.append({"field": "examples", "message": f"例句“{example[:12]}…”超过 {MAX_EXAMPLE_CHARS} 个字"})
        tags = _tag_list(draft.get("tags"))
        if len(tags) > MAX_TAGS:
            problems.append({"field": "tags", "message": f"标签最多 {MAX_TAGS} 个"})
        for tag in tags:
            if len(tag) > MAX_TAG_CHARS:
                problems.append({"field": "tags", "message": f"标签“{tag[:10]}…”太长（最多 {MAX_TAG_CHARS} 个字）"})
        shortcut = str(draft.get("shortcut") or "").strip().lower() or None
        if shortcut:
            if not SHORTCUT_PATTERN.match(shortcut):
                problems.append({"field": "shortcut", "message": "快捷编码只能是 1-16 位小写字母或数字，例如 fp1"})
            else:
                owner = next((r for r in corpus.replies.values() if r.shortcut == shortcut and r.id != rid), None)
                if owner is not None:
                    problems.append({"field": "shortcut", "message": f"快捷编码 {shortcut} 已被话术 {owner.id} 使用"})
        retired = current.retired if current is not None else bool(draft.get("retired", False))
        if problems:
            return check

        raw = {"id": rid, "situation": sid, "stage": stage, "text": text, "examples": examples, "tags": tags,
               "shortcut": shortcut, "retired": retired}
        leftovers: list[str] = []
        reply = validate_reply(raw, "draft", situations, leftovers)
        for problem in leftovers:  # anything the checks above did not phrase (kept in the engine's words)
            problems.append({"field": _field_of(problem), "message": zh_problem(problem.split(": ", 1)[-1])})
        if reply is None:
            return check
        check.reply = reply
        check.findings = self.compliance_of(reply.text)
        check.duplicates = self.near_duplicates(reply.text, exclude=reply.id)
        if len(reply.examples) < MIN_GOOD_EXAMPLES:
            check.notes.append({"kind": "examples", "field": "examples",
                                "message": f"只有 {len(reply.examples)} 条例句；写 {MIN_GOOD_EXAMPLES} 条以上不同说法，匹配会更准"})
        owners = {e: r for r in corpus.replies.values() if r.id != reply.id for e in r.examples}
        for example in reply.examples:
            other = owners.get(example)
            if other is not None and other.situation != reply.situation:
                name = corpus.situations[other.situation].name if other.situation in corpus.situations else other.situation
                check.notes.append({"kind": "example_elsewhere", "field": "examples",
                                    "message": f"例句“{example}”也出现在情境“{name}”的话术 {other.id} 中，两边会互相抢匹配"})
        return check

    def near_duplicates(self, text: str, exclude: str | None = None, limit: int = 3) -> list[dict]:
        """Active replies whose text is at least `duplicate_threshold` similar to `text` (cosine)."""
        vectors = self.engine.reply_vectors
        ids = [rid for rid in vectors if rid != exclude and rid in self.corpus.replies]
        if not ids or not text.strip():
            return []
        query = self.engine.embedder.encode_cached([normalize(text) or text.strip()])[0]
        matrix = np.vstack([vectors[rid] for rid in ids])
        sims = matrix @ query
        order = np.argsort(-sims)[:limit]
        out = []
        for i in order:
            if float(sims[i]) < self.duplicate_threshold:
                break
            reply = self.corpus.replies[ids[i]]
            out.append({"id": reply.id, "text": reply.text, "situation": reply.situation,
                        "similarity": round(float(sims[i]), 3)})
        return out

    # ---- committing ------------------------------------------------------------------------------------

    def _validated(self, situations: dict[str, Situation], replies: dict[str, Reply]) -> Corpus:
        raws = [RawReply(r.to_dict(), f"reply {r.id}") for r in replies.values()]
        try:
            return check_corpus(situations, raws)
        except CorpusError as exc:
            raise Invalid([{"field": _field_of(p), "message": zh_problem(p)} for p in exc.problems]) from None

    def _commit(self, editor: str, action: str, target: str, summary: str, old: Corpus, new: Corpus,
                reply_ids: set[str], situation_ids: set[str], reverts: int | None = None) -> Change:
        files = set(situation_ids)
        for rid in reply_ids:
            for corpus in (old, new):
                if rid in corpus.replies:
                    files.add(corpus.replies[rid].situation)
        before = _state(old, reply_ids, situation_ids)
        after = _state(new, reply_ids, situation_ids)
        with self.history.recording(editor, action, target, summary, before, after, reverts) as change:
            try:
                self.engine.update_corpus(new, write=True, touched=files)
            except BaseException:
                log.exception("writing change %s failed; restoring the previous files", action)
                try:
                    self.engine.update_corpus(old, write=True, touched=files)
                except Exception:  # pragma: no cover - best effort
                    log.exception("could not restore the previous corpus files")
                raise
        self._known_stamp = self._stamp()
        return change

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
                    summary += f"（新情境“{check.situation.name}”）"
            else:
                old = corpus.replies[reply_id]
                if old == reply:
                    return SaveResult(reply, Change(0, "", editor, "unchanged", reply.id, "没有改动"), check)
                changed = [name for name in ("text", "examples", "tags", "shortcut", "situation", "stage")
                           if getattr(old, name) != getattr(reply, name)]
                labels = {"text": "内容", "examples": "例句", "tags": "标签", "shortcut": "快捷编码",
                          "situation": "情境", "stage": "阶段"}
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
                raise Invalid([{"field": "situation", "message": "情境格式不对"}])
            current = None
            if situation_id is not None:
                current = corpus.situations.get(situation_id)
                if current is None:
                    last = self.history.last_touching("situations", situation_id)
                    raise Conflict(f"情境 {situation_id} 已被{self._who(last)}删除", theirs=None, yours=data,
                                   extra={"changed_by": self._by(last)})
                if version != situation_version(current):
                    last = self.history.last_touching("situations", situation_id)
                    raise Conflict(f"情境 {situation_id} 在你编辑期间已被{self._who(last)}修改",
                                   theirs=self.situation_dict(current), yours=data, extra={"changed_by": self._by(last)})
            problems: list[dict] = []
            situation = self._check_situation(data, corpus, situation_id, problems, prefix="situation")
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
                action, summary = "create_situation", f"新建情境“{situation.name}”（{situation.id}）"
            else:
                action, summary = "update_situation", f"修改情境“{situation.name}”（{situation.id}）"
            change = self._commit(editor, action, situation.id, summary, corpus, new, reply_ids, {situation.id})
            return situation, change

    def delete_situation(self, situation_id: str, editor: str, version: str | None) -> Change:
        with self._exclusive():
            self.refresh_if_changed()
            corpus = self.corpus
            current = corpus.situations.get(situation_id)
            if current is None:
                raise Missing(f"没有编号为 {situation_id} 的情境")
            if version != situation_version(current):
                raise Conflict(f"情境 {situation_id} 在你查看后已被修改", theirs=self.situation_dict(current), yours=None)
            if corpus.replies_of(situation_id):
                raise Invalid([{"field": "situation", "message": f"情境“{current.name}”下还有 "
                                f"{len(corpus.replies_of(situation_id))} 条话术：先删除或移到别的情境"}])
            situations = {sid: s for sid, s in corpus.situations.items() if sid != situation_id}
            new = self._validated(situations, dict(corpus.replies))
            return self._commit(editor, "delete_situation", situation_id, f"删除情境“{current.name}”（{situation_id}）",
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
            corpus = self.corpus
            reply_ids = set(original.before["replies"]) | set(original.after["replies"])
            situation_ids = set(original.before["situations"]) | set(original.after["situations"])
            now = _state(corpus, reply_ids, situation_ids)
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
            situations = dict(corpus.situations)
            for sid, data in original.before["situations"].items():
                if data is None:
                    situations.pop(sid, None)
                else:
                    situations[sid] = situation_from_dict(data)
            replies = dict(corpus.replies)
            for rid, data in original.before["replies"].items():
                if data is None:
                    replies.pop(rid, None)
                else:
                    replies[rid] = reply_from_dict(data)
            new = self._validated(situations, replies)
            summary = f"撤销 #{original.id}（{original.action_name}）：{original.summary}"
            return self._commit(editor, "revert", original.target, summary[:200], corpus, new, reply_ids,
                                situation_ids, reverts=original.id)

    # ---- import ------------------------------------------------------------------------------------------

    def import_preview(self, path: Path, display_name: str | None = None, overrides: dict[str, str] | None = None):
        """What importing `path` would do: an interchange.ImportPreview for a corpus file (.jsonl/.csv/.xlsx), a
        PhrasePreview for a 千牛 quick-phrase sheet (分组/快捷编码/快捷短语), whose 分组 go to the situations in
        `overrides` (分组 -> situation id, the editor's choices) or to the ones the engine assigns."""
        from ..corpus.interchange import preview_import
        from ..corpus.spreadsheet import looks_like_quick_phrases

        if looks_like_quick_phrases(path):
            return self._phrase_preview(path, display_name, overrides)
        return preview_import(path, self.corpus, rules=self.rules, enforce_compliance=True,
                              known_placeholders=set(KNOWN_PLACEHOLDERS) | set(self.engine.profile),
                              display_name=display_name)

    def _phrase_preview(self, path: Path, display_name: str | None, overrides: dict[str, str] | None) -> "PhrasePreview":
        from ..corpus.files import corpus_hash
        from ..corpus.interchange import RowPreview, _line_of
        from ..corpus.spreadsheet import read_quick_phrases
        from .quick_phrases import import_quick_phrases

        shown = display_name or str(path)

        def show(where: str) -> str:
            return where.replace(str(path), shown, 1)

        corpus = self.corpus
        overrides = {str(g): sid for g, sid in (overrides or {}).items()
                     if isinstance(sid, str) and sid in corpus.situations}
        preview = PhrasePreview(file=shown, base_hash=corpus_hash(corpus), overrides=overrides,
                                situations=self.list_situations())
        try:
            phrases = read_quick_phrases(path)
            result = import_quick_phrases(self.engine, phrases, replace=False, overrides=overrides)
        except CorpusError as exc:
            preview.errors = [show(p) for p in exc.problems]
            return preview
        preview.groups = result.groups
        for phrase in phrases:
            samples = preview.samples.setdefault(phrase.group, [])
            if len(samples) < 3:
                samples.append(phrase.text)
        notes: dict[str, list[str]] = {}
        for note in result.notes:
            where, _, message = note.partition(": ")
            notes.setdefault(where, []).append(message)
        # the phrases in the order import_quick_phrases took them: a phrase already in the home keeps its reply
        profile = self.engine.profile
        existing = {fill(r.text, profile)[0]: r for r in corpus.replies.values()}
        added = iter(result.added)
        allowed = set(KNOWN_PLACEHOLDERS) | set(profile)
        situations = result.corpus.situations
        for phrase in phrases:
            same = existing.get(phrase.text) or existing.get(fill(phrase.text, profile)[0])
            reply = same if same is not None else next(added, None)
            if reply is None:  # pragma: no cover - the same walk as import_quick_phrases
                continue
            reasons: list[str] = []
            warnings = list(notes.get(phrase.where, []))
            if same is None:
                for finding in self.compliance_of(reply.text):
                    message = f"compliance ({finding.category}): “{finding.word}”"
                    if finding.severity == "block":
                        reasons.append(message + " is not allowed")
                    else:
                        warnings.append(message + " needs a second look")
                for name in dict.fromkeys(placeholders(reply.text)):
                    if name not in allowed:
                        reasons.append(f"field 'text': unknown placeholder {{{name}}}")
            status = "unchanged" if same is not None else "reject" if reasons else "add"
            situation = situations.get(reply.situation)
            preview.rows.append(RowPreview(
                where=show(phrase.where), line=_line_of(phrase.where), id=reply.id, status=status, text=phrase.text,
                situation=reply.situation, situation_name=situation.name if situation else "", reasons=reasons,
                warnings=warnings, generated_id=same is None))
        preview.new_situations = [situations[g.situation] for g in result.groups if g.new]
        preview.result = result
        if not preview.rejected:
            preview.corpus = result.corpus
        return preview

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
                summary += f"，新情境 {len(situation_ids)} 个"
            change = self._commit(editor, "import", name, summary, corpus, new, reply_ids, situation_ids)
            return preview, change

    # ---- try it -------------------------------------------------------------------------------------------

    def try_draft(self, message: str, draft: dict | None = None, reply_id: str | None = None, k: int = 5) -> dict:
        """What agents get for `message` now, and where the draft under edit would stand among it.

        The real engine answers the message (current corpus). The draft and every suggested reply are scored the
        same way: the message's highest cosine similarity to the reply's example messages and its own text,
        which is the main evidence the engine ranks by. The draft is placed by that score."""
        engine = self.engine
        message = engine.check_message(message)
        result = engine.suggest(message, k=k)
        corpus = engine.corpus
        query_text = normalize(message) or message.strip()
        query = engine.embedder.encode_cached([query_text])[0]

        def nearest(texts: list[str]) -> tuple[float, str]:
            texts = [t for t in texts if t and t.strip()]
            if not texts:
                return 0.0, ""
            normalized = [normalize(t) or t.strip() for t in texts]
            # a few texts per call: the embedder then runs them through ONNX Runtime (fast for short batches)
            vectors = np.vstack([engine.embedder.encode_cached(normalized[i:i + TRY_BATCH])
                                 for i in range(0, len(normalized), TRY_BATCH)])
            sims = vectors @ query
            best = int(np.argmax(sims))
            return round(float(sims[best]), 3), texts[best]

        current = []
        for rank, item in enumerate(result.suggestions, start=1):
            reply = corpus.replies.get(item.id)
            sim, via = nearest(list(reply.examples) + [reply.text]) if reply else (0.0, "")
            situation = corpus.situations.get(item.situation)
            current.append({"rank": rank, "id": item.id, "text": item.text, "situation": item.situation,
                            "situation_name": situation.name if situation else item.situation,
                            "score": item.score, "similarity": sim, "nearest": via,
                            "is_original": item.id == reply_id})
        out = {"message": message, "abstained": result.abstained, "suggestions": current, "draft": None,
               "merged": current, "method": TRY_METHOD}
        if not draft:
            return out
        text = str(draft.get("text") or "").strip()
        examples = _text_lines(draft.get("examples"))
        if not text and not examples:
            return out
        sim, via = nearest(examples + [text])
        others = [c for c in current if not c["is_original"]]
        position = 1 + sum(1 for c in others if c["similarity"] > sim)
        verdict = "likely" if sim >= TRY_LIKELY else "possible" if sim >= TRY_POSSIBLE else "unlikely"
        filled, unfilled = fill(text, engine.profile)
        situation_name = ""
        sid = draft.get("situation") if isinstance(draft.get("situation"), str) else ""
        if sid in corpus.situations:
            situation_name = corpus.situations[sid].name
        elif isinstance(draft.get("situation_name"), str):
            situation_name = draft["situation_name"]
        entry = {"rank": position, "id": reply_id or "", "text": filled, "unfilled": list(unfilled),
                 "situation": sid or "", "situation_name": situation_name, "similarity": sim, "nearest": via,
                 "is_draft": True}
        merged = [dict(c) for c in others]
        merged.insert(position - 1, entry)
        for rank, item in enumerate(merged, start=1):
            item["rank"] = rank
        out["draft"] = {"similarity": sim, "nearest": via, "position": position, "verdict": verdict,
                        "text": filled, "unfilled": list(unfilled)}
        out["merged"] = merged[:max(k, position)]
        return out

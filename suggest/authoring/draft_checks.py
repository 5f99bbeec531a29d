"""The checks a reply or situation draft must pass before it is saved, as structured problems.

The editor page checks a draft while it is typed (without saving), the service checks it again under the lock
before writing, and the import preview reuses the same compliance findings: one place decides what is wrong
with a draft, so the three cannot disagree.

* Problems ({field, message}) stop the save: required fields and lengths, ids, unknown placeholders.
* Compliance findings (suggest.compliance): `block` stops the save, `warn` needs confirmation.
* Near-duplicates of another reply (cosine >= `duplicate_threshold` between reply texts) need confirmation.
* Notes (too few examples, an example used elsewhere) need nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..corpus import compliance
from ..corpus.files import (ID_PATTERN, MAX_EXAMPLE_CHARS, MAX_REPLY_CHARS, MIN_GOOD_EXAMPLES, SHORTCUT_PATTERN,
                            validate_reply)
from ..corpus.profile import KNOWN_PLACEHOLDERS, PER_CONVERSATION, placeholders
from ..records import STAGES, Corpus, Problem, Reply, Situation
from ..engine.text import normalize
from .wording import zh_problem, zh_text

MAX_TAG_CHARS = 20
MAX_TAGS = 10
MAX_SITUATION_NAME = 40
MAX_DESCRIPTION = 300


def text_lines(value: object) -> list[str]:
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


def tag_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,，、;；\s]+", value)
    return text_lines(value)


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


class DraftChecker:
    """Checks drafts against the engine's current corpus and shop profile; caches compliance findings per text."""

    def __init__(self, engine, rules: tuple[compliance.Rule, ...],
                 duplicate_threshold: float | None = None) -> None:
        self.engine = engine
        self.rules = rules
        # by default the engine's own rule: replies this similar are never shown side by side, so a draft this close
        # to another reply would never reach an agent beside it
        self.duplicate_threshold = engine.settings.duplicate_similarity if duplicate_threshold is None \
            else duplicate_threshold
        self._compliance_cache: dict[str, list[compliance.Finding]] = {}

    @property
    def corpus(self) -> Corpus:
        return self.engine.corpus

    def compliance_of(self, text: str, requires: tuple[str, ...] = ()) -> list[compliance.Finding]:
        """`requires`: the reply's yes/no facts, which make the facts it states legitimate."""
        key = (text, tuple(requires))
        found = self._compliance_cache.get(key)
        if found is None:
            found = compliance.check_text(text, self.rules, requires)
            if len(self._compliance_cache) > 5000:
                self._compliance_cache.clear()
            self._compliance_cache[key] = found
        return found

    def _next_id(self, prefix: str, taken: set[str]) -> str:
        pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
        numbers = [int(m.group(1)) for i in taken if (m := pattern.match(i))]
        n = max(numbers, default=0) + 1
        while f"{prefix}-{n:02d}" in taken:
            n += 1
        return f"{prefix}-{n:02d}"

    def check_situation(self, data: dict, corpus: Corpus, existing_id: str | None, problems: list[dict],
                        prefix: str = "situation") -> Situation | None:
        start = len(problems)
        sid = str(data.get("id") or "").strip().lower() if existing_id is None else existing_id
        if existing_id is None:
            if not sid:
                sid = self._next_id("situation", set(corpus.situations))
            elif not ID_PATTERN.match(sid):
                problems.append({"field": f"{prefix}.id", "message": "场景编号只能用小写英文字母、数字、- 和 _（例如 invoice）"})
            elif sid in corpus.situations:
                problems.append({"field": f"{prefix}.id", "message": f"场景编号 {sid} 已被“{corpus.situations[sid].name}”使用"})
        name = str(data.get("name") or "").strip()
        if not name:
            problems.append({"field": f"{prefix}.name", "message": "请填写场景名称"})
        elif len(name) > MAX_SITUATION_NAME:
            problems.append({"field": f"{prefix}.name", "message": f"场景名称最多 {MAX_SITUATION_NAME} 个字"})
        elif any(s.name == name and s.id != sid for s in corpus.situations.values()):
            problems.append({"field": f"{prefix}.name", "message": f"已有名为“{name}”的场景"})
        stage = data.get("stage")
        if stage not in STAGES:
            problems.append({"field": f"{prefix}.stage", "message": "请选择阶段：售前、售中、售后或通用"})
        description = str(data.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION:
            problems.append({"field": f"{prefix}.description", "message": f"说明最多 {MAX_DESCRIPTION} 个字"})
        # The buyer-intent bank: edited with the situation when the draft carries it, kept as it is otherwise.
        if "examples" in data:
            examples = tuple(dict.fromkeys(text_lines(data.get("examples"))))
            for example in examples:
                if len(example) > MAX_EXAMPLE_CHARS:
                    problems.append({"field": f"{prefix}.examples",
                                     "message": f"意图例句“{example[:12]}…”超过 {MAX_EXAMPLE_CHARS} 个字"})
        else:
            examples = corpus.situations[existing_id].examples if existing_id in corpus.situations else ()
        if len(problems) > start:
            return None
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
            situation = self.check_situation(new_situation, corpus, None, problems)
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
            problems.append({"field": "situation", "message": "场景编号必须是文字"})
            sid = None
        elif not sid:
            problems.append({"field": "situation", "message": "请选择话术所属的场景"})
        elif sid not in situations:
            if not (new_situation and check.situation is None):
                problems.append({"field": "situation", "message": f"场景 {sid} 不存在"})
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
        known = set(KNOWN_PLACEHOLDERS) | self.engine.profile.names()
        for name in dict.fromkeys(placeholders(text)):
            if name not in known:
                problems.append({"field": "text", "message": f"未知的占位符 {{{name}}}：可用的有 "
                                 + "、".join(f"{{{k}}}" for k in KNOWN_PLACEHOLDERS)})
            elif name in PER_CONVERSATION:
                check.placeholder_warnings.append({
                    "kind": "placeholder", "field": "text", "name": name,
                    "message": f"{{{name}}} 因买家而异：聊天工具会按会话填入，没有时客服复制后手动填写"})
            elif name not in self.engine.profile.names():
                check.placeholder_warnings.append({
                    "kind": "placeholder", "field": "text", "name": name,
                    "message": f"店铺信息里没有 {{{name}}} 的值：客服复制时需要手动填写（在“店铺信息”里补上后自动填好）"})

        examples = text_lines(draft.get("examples"))  # optional: the situation's bank understands buyers too
        for example in examples:
            if len(example) > MAX_EXAMPLE_CHARS:
                problems.append({"field": "examples", "message": f"例句“{example[:12]}…”超过 {MAX_EXAMPLE_CHARS} 个字"})
        tags = tag_list(draft.get("tags"))
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
        # The facts a reply depends on: as the draft says, or else as they were (a form without them keeps them).
        raw["requires"] = draft["requires"] if "requires" in draft else list(current.requires if current else ())
        raw["campaign"] = draft["campaign"] if "campaign" in draft else (current.campaign if current else None)
        raw["campaign"] = raw["campaign"] or None
        leftovers: list[Problem] = []
        reply = validate_reply(raw, "", situations, leftovers)
        for problem in leftovers:  # anything the checks above did not phrase themselves
            problems.append({"field": problem.field or "reply", "message": zh_problem(problem)})
        if reply is None:
            return check
        check.reply = reply
        check.findings = self.compliance_of(reply.text, reply.requires)
        check.duplicates = self.near_duplicates(reply.text, exclude=reply.id)
        if len(reply.examples) < MIN_GOOD_EXAMPLES:
            check.notes.append({"kind": "examples", "field": "examples",
                                "message": zh_text(Problem("examples", "few_examples", {
                                    "count": len(reply.examples), "good": MIN_GOOD_EXAMPLES}))})
        owners = {e: r for r in corpus.replies.values() if r.id != reply.id for e in r.examples}
        for example in reply.examples:
            other = owners.get(example)
            if other is not None and other.situation != reply.situation:
                name = corpus.situations[other.situation].name if other.situation in corpus.situations else other.situation
                check.notes.append({"kind": "example_elsewhere", "field": "examples",
                                    "message": f"例句“{example}”也出现在场景“{name}”的话术 {other.id} 中，两边会互相抢匹配"})
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

"""Corpus interchange: JSONL (the bench format: id, situation, stage, text, examples, tags), CSV and Excel
(.xlsx, through suggest.spreadsheet).

Import reads and validates the whole file before anything is written; every rejected row is named by
file and line. `preview_import` says, row by row, what an import would add, change or reject (and why), and for
a change each field's before and after and what it removes, without writing anything.

Files are taken as editors have them: CSV and Excel with the Chinese headers of the export (编号, 情境, 话术, 例句 …)
or the English ones, CSV in UTF-8 or GBK; only the text and a situation (its id or its Chinese name) are required,
ids are generated (situation-NN), and a column the file lacks leaves that field of an existing reply as it is.
"""

from __future__ import annotations

import csv
import io
import json
import re
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .files import ID_PATTERN, RawReply, atomic_write, check_corpus, corpus_hash, validate_reply
from ..errors import CorpusError
from .problems import describe
from .profile import KNOWN_PLACEHOLDERS, placeholders
from ..records import STAGES, Corpus, Problem, Reply, Situation

FORMATS = (".jsonl", ".csv", ".xlsx")
CSV_FIELDS = ("id", "situation", "situation_name", "stage", "text", "examples", "tags", "shortcut", "retired")


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise CorpusError([Problem("", "unsupported_format", {"suffix": suffix or "(none)", "formats": FORMATS},
                                   str(path))])
    return suffix


def _read_situations_tsv(path: Path) -> dict[str, dict]:
    """Names and stages from a situations.tsv beside the file (columns: situation, name, stage[, covers])."""
    names: dict[str, dict] = {}
    if not path.is_file():
        return names
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        cols = line.split("\t")
        if number == 1 and cols[0].strip() in ("situation", "id"):
            continue
        if len(cols) >= 3 and cols[0].strip():
            names[cols[0].strip()] = {"name": cols[1].strip(), "stage": cols[2].strip(),
                                      "description": cols[3].strip() if len(cols) > 3 else ""}
    return names


def _split_cell(value: str) -> list[str]:
    parts = value.replace("｜", "|").replace("\r", "").replace("|", "\n").split("\n")
    return [p.strip() for p in parts if p.strip()]


def read_rows(path: Path) -> list[tuple[str, dict]]:
    """(where, row) pairs; a malformed line is an error naming it.

    CSV and Excel rows are read the same way (spreadsheet.table_rows: one alias table for the Chinese and English
    headers); a CSV may be UTF-8, with or without BOM, or GBK as Excel saves it on Chinese Windows. A row holds only
    the fields the file has: a missing column is not an empty cell."""
    from . import spreadsheet

    fmt = _format_of(path)
    if fmt == ".xlsx":
        return spreadsheet.read_rows(path)
    if fmt == ".csv":
        text, _ = spreadsheet.read_text_file(path)
        records = enumerate(csv.reader(io.StringIO(text)), start=1)  # numbered as Excel numbers its rows
        table = [(number, [c.strip() for c in cells]) for number, cells in records if any(c.strip() for c in cells)]
        if not table:
            return []
        return spreadsheet.table_rows(path, table)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CorpusError([Problem("", "no_such_file", {}, str(path))]) from None
    except UnicodeDecodeError:
        raise CorpusError([Problem("", "not_utf8", {}, str(path))]) from None
    rows: list[tuple[str, dict]] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem("", "bad_json", {"problem": exc.msg}, f"{path}:{number}"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem("", "not_json_object", {}, f"{path}:{number}"))
            continue
        rows.append((f"{path}:{number}", row))
    if problems:
        raise CorpusError(problems)
    return rows


def _known_situations(path: Path) -> dict[str, dict]:
    """Situation names and stages: a situations.tsv beside the file, and an Excel file's 情境 sheet."""
    known = _read_situations_tsv(path.parent / "situations.tsv")
    if path.suffix.lower() == ".xlsx":
        from . import spreadsheet

        known.update({sid: info for sid, info in spreadsheet.read_situations(path).items()
                      if info.get("name") or info.get("stage")})
    return known


def _row_id(row: dict) -> str:
    """A row's id as text, whatever the file held (validation reports a non-text id by itself)."""
    value = row.get("id")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if value is not None else ""


def _at(problem: Problem, where: str) -> Problem:
    """The problem placed at `where` (a row, or the file as the editor named it)."""
    return dataclasses.replace(problem, where=where)


KEPT_FIELDS = ("text", "examples", "tags", "shortcut", "retired", "stage")


def _next_free(prefix: str, taken: set[str]) -> str:
    """prefix-NN with the next number after the highest one taken (as the editor numbers a new reply)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    n = max((int(m.group(1)) for i in taken if (m := pattern.match(i))), default=0) + 1
    while f"{prefix}-{n:02d}" in taken:
        n += 1
    return f"{prefix}-{n:02d}"


@dataclass
class _Resolved:
    rows: list[tuple[str, dict]]
    reasons: dict[str, list[Problem]]  # where -> problems found while resolving (placed by the key, not in them)
    kept: set[str]  # fields an existing reply keeps because the file has no column (or key) for them
    generated: set[str]  # the wheres of rows whose id was generated


def _resolve_rows(rows: list[tuple[str, dict]], base: Corpus | None, known: dict[str, dict]) -> _Resolved:
    """The rows as complete replies, the way editors write them:

    * the situation may be given by its id or by its Chinese name (情境 议价, or only a 情境名称 column); a name no
      situation has becomes a new situation with a generated id (its name added to `known`);
    * a row without an id gets the next free `situation-NN`;
    * a row updating an existing reply of `base` keeps every field the file has no column (JSONL: key) for.
    """
    situations = dict(base.situations) if base else {}
    replies = dict(base.replies) if base else {}
    by_name: dict[str, str] = {}
    for sid, situation in situations.items():
        by_name.setdefault(situation.name, sid)
    for sid, info in known.items():
        if info.get("name"):
            by_name.setdefault(info["name"], sid)
    ids = set(situations) | set(known)
    given = [(row.get("situation"), row.get("id")) for _, row in rows]
    taken_situations = set(ids) | {s.strip() for s, _ in given if isinstance(s, str) and ID_PATTERN.match(s.strip())}
    taken_ids = set(replies) | {i.strip() for _, i in given if isinstance(i, str) and i.strip()}
    created: dict[str, str] = {}  # a new situation's name -> its generated id

    def situation_of(value: str) -> str:
        if value in ids:
            return value
        if value.lower() in ids:
            return value.lower()
        if value in by_name:
            return by_name[value]
        if value in created:
            return created[value]
        if ID_PATTERN.match(value):
            return value  # a new situation, by id
        sid = _next_free("situation", taken_situations)
        taken_situations.add(sid)
        created[value] = sid
        known[sid] = {"name": value[:40], "stage": "", "description": ""}
        return sid

    out = _Resolved([], {}, set(), set())
    for where, original in rows:
        row = dict(original)
        reasons = out.reasons.setdefault(where, [])
        value = row.get("situation")
        name = row.get("situation_name").strip() if isinstance(row.get("situation_name"), str) else ""
        sid = value
        if isinstance(value, str) and value.strip():
            sid = situation_of(value.strip())
        elif value in (None, "") and name:
            sid = situation_of(name)
        rid = row.get("id")
        if rid is None or isinstance(rid, str) and not rid.strip():
            prefix = sid if isinstance(sid, str) and ID_PATTERN.match(sid) else "reply"
            rid = _next_free(prefix, taken_ids)
            taken_ids.add(rid)
            out.generated.add(where)
        elif isinstance(rid, str):
            rid = rid.strip()
        row["id"] = rid
        old = replies.get(rid) if isinstance(rid, str) else None
        if old is not None:
            if sid in (None, ""):
                sid = old.situation
            for name_ in KEPT_FIELDS:
                if name_ in row:
                    continue
                current = getattr(old, name_)
                if name_ == "stage":
                    follows = old.situation in situations and situations[old.situation].stage == old.stage
                    if sid != old.situation and follows:
                        continue  # a reply that followed its situation's stage follows the new situation's
                row[name_] = list(current) if isinstance(current, tuple) else current
                if name_ == "stage":
                    situation = situations.get(sid) if isinstance(sid, str) else None
                    if situation is None or situation.stage != current:
                        out.kept.add(name_)  # a stage of its own, not just its situation's
                elif current not in (None, "", (), False):
                    out.kept.add(name_)
        elif sid in (None, ""):
            reasons.append(Problem("situation", "situation_required"))
        if sid not in (None, ""):
            row["situation"] = sid
        out.rows.append((where, row))
    return out


def _add_new_situations(rows: list[tuple[str, dict]], known: dict[str, dict],
                        situations: dict[str, Situation]) -> list[tuple[str, Problem]]:
    """Add the situations the rows name that `situations` lacks (names and stages from `known`, e.g. a
    situations.tsv beside the file); returns (where, problem) for rows naming one that cannot be created."""
    problems = []
    for where, row in rows:
        sid = row.get("situation")
        if not isinstance(sid, str) or not sid or sid in situations:
            continue
        info = known.get(sid, {})
        stage = info.get("stage") or row.get("stage") or "general"
        if not ID_PATTERN.match(sid):  # it would become the name of a corpus file
            problems.append((where, Problem("situation", "bad_new_situation_id", {"value": sid})))
        elif stage not in STAGES:
            problems.append((where, Problem("stage", "bad_stage", {"value": stage, "stages": STAGES})))
        else:
            situations[sid] = Situation(id=sid, name=info.get("name") or row.get("situation_name") or sid,
                                        stage=stage, description=info.get("description", ""))
    return problems


def parse_import(path: Path, base: Corpus | None) -> Corpus:
    """The corpus after importing `path` on top of `base` (None: replace everything). Raises on any bad row."""
    rows = read_rows(path)
    known = _known_situations(path)
    resolved = _resolve_rows(rows, base, known)
    rows = resolved.rows
    situations: dict[str, Situation] = dict(base.situations) if base else {}
    replies: dict[str, Reply] = dict(base.replies) if base else {}
    problems = [_at(problem, where) for where, found in resolved.reasons.items() for problem in found]
    problems += [_at(problem, where) for where, problem in _add_new_situations(rows, known, situations)]
    raws = [RawReply({k: v for k, v in row.items() if k != "situation_name" and v not in (None, "")}, where)
            for where, row in rows]
    imported_ids = [_row_id(row) for _, row in rows]
    duplicates = {i for i in imported_ids if imported_ids.count(i) > 1}
    for where, row in rows:
        if _row_id(row) in duplicates:
            problems.append(Problem("id", "repeated_in_file", {"id": row.get("id")}, where))
    if problems:
        raise CorpusError(problems)
    incoming = {_row_id(row) for _, row in rows}
    kept = [RawReply(r.to_dict(), f"(existing reply {r.id})") for r in replies.values() if r.id not in incoming]
    return check_corpus(situations, kept + raws)


def export_corpus(corpus: Corpus, path: Path) -> int:
    fmt = _format_of(path)
    if fmt == ".xlsx":
        from . import spreadsheet

        return spreadsheet.write_corpus(corpus, path)
    replies = sorted(corpus.replies.values(), key=lambda r: (r.situation, r.id))
    out = io.StringIO()
    if fmt == ".jsonl":
        for reply in replies:
            row = {"id": reply.id, "situation": reply.situation, "stage": reply.stage, "text": reply.text,
                   "examples": list(reply.examples), "tags": list(reply.tags)}
            if reply.shortcut:
                row["shortcut"] = reply.shortcut
            if reply.retired:
                row["retired"] = True
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for reply in replies:
            writer.writerow({"id": reply.id, "situation": reply.situation,
                             "situation_name": corpus.situations[reply.situation].name, "stage": reply.stage,
                             "text": reply.text, "examples": "\n".join(reply.examples), "tags": ",".join(reply.tags),
                             "shortcut": reply.shortcut or "", "retired": "1" if reply.retired else ""})
    atomic_write(path, out.getvalue())
    return len(replies)


# ---- import preview ------------------------------------------------------------------------------------------

LABELS = {"text": "内容", "examples": "例句", "tags": "标签", "shortcut": "快捷编码", "situation": "场景",
          "stage": "阶段", "retired": "停用"}
DIFF_FIELDS = ("text", "situation", "stage", "examples", "tags", "shortcut", "retired")


def _quoted(items: list[str], limit: int = 5) -> str:
    shown = "、".join(f"“{item}”" for item in items[:limit])
    return shown + (f" 等 {len(items)} 条" if len(items) > limit else "")


def field_diff(name: str, old: Reply, new: Reply, situations: dict[str, Situation]) -> dict:
    """One changed field of a reply: before and after as the editor reads them, and what goes away or comes in."""
    from ..records import STAGE_NAMES

    before, after = getattr(old, name), getattr(new, name)

    def show(value) -> str:
        if name == "situation":
            situation = situations.get(value)
            return f"{situation.name}（{value}）" if situation else str(value)
        if name == "stage":
            return STAGE_NAMES.get(value, value or "")
        if name == "retired":
            return "是" if value else "否"
        if isinstance(value, tuple):
            return "\n".join(value) if name == "examples" else "、".join(value)
        return value or ""

    out = {"field": name, "label": LABELS.get(name, name), "before": show(before), "after": show(after),
           "removed": [], "added": [], "kept": []}
    if isinstance(before, tuple):
        out["removed"] = [v for v in before if v not in after]
        out["added"] = [v for v in after if v not in before]
        out["kept"] = [v for v in before if v in after]
    return out


def removal_notes(diffs: list[dict]) -> list[str]:
    """What an update takes away, in words ("将删除 2 条例句：…"): never a silent loss."""
    notes = []
    for diff in diffs:
        name = diff["field"]
        if name == "examples" and diff["removed"]:
            notes.append(f"将删除 {len(diff['removed'])} 条例句：{_quoted(diff['removed'])}")
        elif name == "tags" and diff["removed"]:
            notes.append(f"将删除 {len(diff['removed'])} 个标签：{'、'.join(diff['removed'])}")
        elif name == "shortcut" and diff["before"] and not diff["after"]:
            notes.append(f"将清除快捷编码 {diff['before']}")
        elif name == "retired" and diff["after"] == "是":
            notes.append("将停用这条话术（客服不再看到它）")
    return notes


@dataclass
class RowPreview:
    where: str  # file:line, for messages
    line: int
    id: str
    status: str  # add | change | unchanged | reject
    text: str = ""
    situation: str = ""
    reasons: list[Problem] = field(default_factory=list)  # why it is rejected; placed by `where`, not in them
    warnings: list[Problem] = field(default_factory=list)  # (to_dict leaves both as Problems, for interfaces to word)
    changed: list[str] = field(default_factory=list)  # fields that differ from the current reply
    situation_name: str = ""  # the situation's Chinese name ("" when it does not exist)
    diffs: list[dict] = field(default_factory=list)  # per changed field: before, after, removed, added
    removals: list[str] = field(default_factory=list)  # what the change takes away, in words
    generated_id: bool = False  # the file gave no id: this one is new

    def to_dict(self) -> dict:
        return {"where": self.where, "line": self.line, "id": self.id, "status": self.status, "text": self.text,
                "situation": self.situation, "situation_name": self.situation_name, "reasons": self.reasons,
                "warnings": self.warnings, "changed": self.changed,
                "changed_names": [LABELS.get(c, c) for c in self.changed], "diffs": self.diffs,
                "removals": self.removals, "generated_id": self.generated_id}


@dataclass
class ImportPreview:
    """What importing a file would do. `corpus` is the corpus after the import, when every row is valid."""

    file: str
    rows: list[RowPreview] = field(default_factory=list)
    new_situations: list[Situation] = field(default_factory=list)
    removed: list[Reply] = field(default_factory=list)  # only when replacing the whole corpus
    errors: list[Problem] = field(default_factory=list)  # problems with the file as a whole (to_dict: as Problems)
    corpus: Corpus | None = None
    base_hash: str = ""
    kept: list[str] = field(default_factory=list)  # fields existing replies keep because the file has no column

    def _replies(self, status: str) -> list[Reply]:
        if self.corpus is None:
            return []
        return [self.corpus.replies[r.id] for r in self.rows if r.status == status and r.id in self.corpus.replies]

    @property
    def added(self) -> list[Reply]:
        return self._replies("add")

    @property
    def changed(self) -> list[Reply]:
        return self._replies("change")

    @property
    def rejected(self) -> list[RowPreview]:
        return [r for r in self.rows if r.status == "reject"]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.rejected and self.corpus is not None

    def counts(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "unchanged": 0, "reject": 0}
        for row in self.rows:
            counts[row.status] += 1
        counts["new_situations"] = len(self.new_situations)
        counts["removed"] = len(self.removed)
        return counts

    def verdict(self) -> dict:
        """The one conclusion of the preview: error (the file), reject (some rows), nothing (to do) or ready."""
        counts = self.counts()
        if self.errors or (not self.rejected and self.corpus is None):
            return {"kind": "error", "message": "文件有问题，不能导入：按下面的说明改好文件后重新预览。"}
        if self.rejected:
            return {"kind": "reject", "message": f"有 {counts['reject']} 行被拒绝（原因见每行的说明）：改好文件后重新预览。"
                                                 "导入要么全部写入，要么一条都不写。"}
        if not (counts["add"] or counts["change"] or counts["removed"]):
            return {"kind": "nothing", "message": "文件里的话术和现有语料完全一致，没有需要导入的内容。"}
        parts = [f"新增 {counts['add']} 条", f"修改 {counts['change']} 条"]
        if counts["new_situations"]:
            parts.append(f"新建场景 {counts['new_situations']} 个")
        if counts["removed"]:
            parts.append(f"删除 {counts['removed']} 条")
        return {"kind": "ready", "message": f"可以导入：{'，'.join(parts)}。确认后一次性写入，客服推荐立即更新；"
                                           "可在“历史”中撤销。"}

    def to_dict(self) -> dict:
        return {"kind": "corpus", "file": self.file, "ok": self.ok, "counts": self.counts(), "errors": self.errors,
                "verdict": self.verdict(), "rows": [r.to_dict() for r in self.rows],
                "new_situations": [{"id": s.id, "name": s.name, "stage": s.stage} for s in self.new_situations],
                "removed": [r.id for r in self.removed], "base": self.base_hash,
                "kept": [LABELS.get(k, k) for k in self.kept]}

    def format(self) -> str:
        """A plain-text report (the CLI's `corpus import --preview`)."""
        counts = self.counts()
        lines = [f"preview of {self.file}: {counts['add']} to add, {counts['change']} to change, "
                 f"{counts['unchanged']} unchanged, {counts['reject']} rejected"
                 + (f", {counts['new_situations']} new situation(s)" if counts["new_situations"] else "")
                 + (f", {counts['removed']} to remove" if counts["removed"] else "")]
        lines += [f"error: {describe(e)}" for e in self.errors]
        if self.kept:
            lines.append(f"kept as they are (the file has no column for them): {', '.join(self.kept)}")
        for situation in self.new_situations:
            lines.append(f"new situation {situation.id} ({situation.name}, {situation.stage})")
        for row in self.rows:
            if row.status == "unchanged":
                continue
            head = {"add": "add", "change": "change", "reject": "REJECT"}[row.status]
            detail = f" [{', '.join(row.changed)}]" if row.changed else ""
            lines.append(f"{head:7} {row.where} {row.id or '(no id)'}{detail}")
            lines += [f"          reason: {describe(reason)}" for reason in row.reasons]
            lines += [f"          warning: {describe(warning)}" for warning in row.warnings]
            lines += [f"          {note}" for note in row.removals]
        for reply in self.removed:
            lines.append(f"remove  {reply.id}")
        lines.append("nothing was written" + ("" if self.ok else "; the import would be refused (all or nothing)"))
        return "\n".join(lines)


def compliance_problems(findings: list, enforce: bool) -> tuple[list[Problem], list[Problem]]:
    """Compliance findings (corpus.compliance.Finding) as (reasons to reject a row, warnings): a `block` rejects
    it when `enforce` (the editor's rule), else it warns that the editor would refuse it."""
    reasons: list[Problem] = []
    warnings: list[Problem] = []
    for finding in findings:
        said = {"category": finding.category, "word": finding.word}
        if finding.severity == "block" and enforce:
            reasons.append(Problem("", "compliance_block", said))
        else:
            warnings.append(Problem("", "compliance_refused" if finding.severity == "block" else "compliance_warn",
                                    said))
    return reasons, warnings


def _line_of(where: str) -> int:
    tail = where.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def preview_import(path: Path, base: Corpus | None, rules=None, enforce_compliance: bool = False,
                   known_placeholders: set[str] | None = None, display_name: str | None = None,
                   replace: bool = False) -> ImportPreview:
    """What `parse_import(path, base)` would do, row by row, without writing anything.

    `enforce_compliance`: rows with `block` compliance findings are rejected (the editor's rule); otherwise
    findings are warnings. `known_placeholders`: an unknown placeholder rejects the row (otherwise a warning).
    """
    from . import compliance

    shown = display_name or str(path)

    def show(where: str) -> str:
        return where.replace(str(path), shown, 1)

    original, base = base, (None if replace else base)
    preview = ImportPreview(file=shown, base_hash=corpus_hash(base) if base else "")
    try:
        rows = read_rows(path)
        known = _known_situations(path)
    except CorpusError as exc:
        preview.errors = [_at(p, show(p.where)) for p in exc.problems]
        return preview
    if not rows:
        preview.errors = [Problem("", "no_rows", {}, shown)]
        return preview
    resolved = _resolve_rows(rows, base, known)
    rows = resolved.rows
    preview.kept = [name for name in KEPT_FIELDS if name in resolved.kept]
    rules = compliance.load_rules() if rules is None else rules
    situations: dict[str, Situation] = dict(base.situations) if base else {}
    reasons: dict[str, list[Problem]] = {where: list(resolved.reasons.get(where, [])) for where, _ in rows}
    before = set(situations)
    for where, problem in _add_new_situations(rows, known, situations):
        reasons[where].append(problem)
    preview.new_situations = [situation for sid, situation in situations.items() if sid not in before]
    ids = [_row_id(row) for _, row in rows]
    incoming = set(ids)
    shortcuts = {r.shortcut: r.id for r in (base.replies.values() if base else []) if r.shortcut and r.id not in incoming}
    texts = {r.text: r.id for r in (original.replies.values() if original else [])}
    for where, row in rows:
        raw = {k: v for k, v in row.items() if k != "situation_name" and v not in (None, "")}
        problems: list[Problem] = []
        reply = validate_reply(raw, where, situations, problems)
        row_reasons = reasons[where]
        flagged = {r.field for r in row_reasons if r.field}
        if "situation" in flagged:  # no situation: its stage cannot be known either
            flagged.add("stage")
        row_reasons += [_at(p, "") for p in problems if not p.field or p.field not in flagged]
        warnings: list[Problem] = []
        rid = _row_id(row)
        if ids.count(rid) > 1:
            row_reasons.append(Problem("id", "repeated_in_file", {"id": rid}))
        if reply is not None:
            if reply.shortcut:
                owner = shortcuts.get(reply.shortcut)
                if owner is not None and owner != reply.id:
                    row_reasons.append(Problem("shortcut", "shortcut_taken", {"shortcut": reply.shortcut,
                                                                              "owner": owner}))
                else:
                    shortcuts[reply.shortcut] = reply.id
            refused, doubtful = compliance_problems(compliance.check_text(reply.text, rules, reply.requires),
                                                    enforce_compliance)
            row_reasons += refused
            warnings += doubtful
            allowed = known_placeholders if known_placeholders is not None else set(KNOWN_PLACEHOLDERS)
            for name in dict.fromkeys(placeholders(reply.text)):
                if name not in allowed:
                    (row_reasons if known_placeholders is not None else warnings).append(
                        Problem("text", "unknown_placeholder", {"name": name}))
            twin = texts.get(reply.text)
            if twin is not None and twin != reply.id:
                warnings.append(Problem("text", "same_text", {"id": twin}))
        status = "reject" if row_reasons else "add"
        changed: list[str] = []
        diffs: list[dict] = []
        if not row_reasons and original and reply.id in original.replies:
            old = original.replies[reply.id]
            changed = [name for name in ("text", "examples", "tags", "shortcut", "situation", "stage", "retired")
                       if getattr(old, name) != getattr(reply, name)]
            status = "change" if changed else "unchanged"
            names = {**original.situations, **situations}
            diffs = [field_diff(name, old, reply, names) for name in DIFF_FIELDS if name in changed]
        sid = reply.situation if reply is not None else row.get("situation")
        sid = sid if isinstance(sid, str) else ""
        if where in resolved.generated and row_reasons:
            rid = ""  # the file gave no id, and this row will not get one
        preview.rows.append(RowPreview(where=show(where), line=_line_of(where), id=rid, status=status,
                                       text=str(row.get("text") or ""), situation=sid,
                                       situation_name=situations[sid].name if sid in situations else "",
                                       reasons=row_reasons, warnings=warnings, changed=changed, diffs=diffs,
                                       removals=removal_notes(diffs), generated_id=where in resolved.generated))
    if replace and original is not None:
        preview.removed = [r for rid, r in sorted(original.replies.items()) if rid not in incoming]
    if preview.rejected:
        return preview
    try:
        preview.corpus = parse_import(path, base)
    except CorpusError as exc:  # anything the row checks above did not catch
        preview.errors = [_at(p, show(p.where)) for p in exc.problems]
    return preview

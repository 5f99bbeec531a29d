"""Corpus interchange: JSONL (the bench format: id, situation, stage, text, examples, tags), CSV and Excel
(.xlsx, through suggest.spreadsheet).

Import reads and validates the whole file before anything is written; every rejected row is named by
file and line. `preview_import` says, row by row, what an import would add, change or reject (and why)
without writing anything.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from dataclasses import dataclass, field

from .files import ID_PATTERN, RawReply, atomic_write, check_corpus, corpus_hash, validate_reply
from ..errors import CorpusError
from .profile import KNOWN_PLACEHOLDERS, placeholders
from ..records import STAGES, Corpus, Reply, Situation

FORMATS = (".jsonl", ".csv", ".xlsx")
CSV_FIELDS = ("id", "situation", "situation_name", "stage", "text", "examples", "tags", "shortcut", "retired")


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise CorpusError([f"{path}: unsupported format {suffix or '(none)'}; use one of {', '.join(FORMATS)}"])
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
    """(where, row) pairs; a malformed line is an error naming it."""
    fmt = _format_of(path)
    if fmt == ".xlsx":
        from . import spreadsheet

        return spreadsheet.read_rows(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CorpusError([f"{path}: no such file"]) from None
    except UnicodeDecodeError:
        raise CorpusError([f"{path}: not UTF-8 text"]) from None
    rows: list[tuple[str, dict]] = []
    problems: list[str] = []
    if fmt == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path}:{number}: not valid JSON ({exc.msg})")
                continue
            if not isinstance(row, dict):
                problems.append(f"{path}:{number}: expected a JSON object")
                continue
            rows.append((f"{path}:{number}", row))
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = {"id", "situation", "text", "examples"} - set(reader.fieldnames or [])
        if missing:
            raise CorpusError([f"{path}:1: missing column(s) {', '.join(sorted(missing))}"])
        for row in reader:
            clean = {k: (v or "").strip() for k, v in row.items() if k}
            clean["examples"] = _split_cell(clean.get("examples", ""))
            clean["tags"] = [t.strip() for t in clean.get("tags", "").replace("，", ",").split(",") if t.strip()]
            rows.append((f"{path}:{reader.line_num}", clean))
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


def _add_new_situations(rows: list[tuple[str, dict]], known: dict[str, dict],
                        situations: dict[str, Situation]) -> list[tuple[str, str]]:
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
            problems.append((where, "field 'situation': a new situation id must be lowercase letters, digits, "
                                    f"'-' or '_' (got {sid!r})"))
        elif stage not in STAGES:
            problems.append((where, f"field 'stage': must be one of {', '.join(STAGES)} (got {stage!r})"))
        else:
            situations[sid] = Situation(id=sid, name=info.get("name") or row.get("situation_name") or sid,
                                        stage=stage, description=info.get("description", ""))
    return problems


def parse_import(path: Path, base: Corpus | None) -> Corpus:
    """The corpus after importing `path` on top of `base` (None: replace everything). Raises on any bad row."""
    rows = read_rows(path)
    known = _known_situations(path)
    situations: dict[str, Situation] = dict(base.situations) if base else {}
    replies: dict[str, Reply] = dict(base.replies) if base else {}
    problems = [f"{where}: {problem}" for where, problem in _add_new_situations(rows, known, situations)]
    raws = [RawReply({k: v for k, v in row.items() if k != "situation_name" and v not in (None, "")}, where)
            for where, row in rows]
    imported_ids = [_row_id(row) for _, row in rows]
    duplicates = {i for i in imported_ids if imported_ids.count(i) > 1}
    for where, row in rows:
        if _row_id(row) in duplicates:
            problems.append(f"{where}: field 'id': {row.get('id')!r} appears more than once in the file")
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

LABELS = {"text": "内容", "examples": "例句", "tags": "标签", "shortcut": "快捷编码", "situation": "情境",
          "stage": "阶段", "retired": "停用"}


@dataclass
class RowPreview:
    where: str  # file:line, for messages
    line: int
    id: str
    status: str  # add | change | unchanged | reject
    text: str = ""
    situation: str = ""
    reasons: list[str] = field(default_factory=list)  # why the row is rejected
    warnings: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # fields that differ from the current reply

    def to_dict(self) -> dict:
        return {"where": self.where, "line": self.line, "id": self.id, "status": self.status, "text": self.text,
                "situation": self.situation, "reasons": self.reasons, "warnings": self.warnings,
                "changed": self.changed, "changed_names": [LABELS.get(c, c) for c in self.changed]}


@dataclass
class ImportPreview:
    """What importing a file would do. `corpus` is the corpus after the import, when every row is valid."""

    file: str
    rows: list[RowPreview] = field(default_factory=list)
    new_situations: list[Situation] = field(default_factory=list)
    removed: list[Reply] = field(default_factory=list)  # only when replacing the whole corpus
    errors: list[str] = field(default_factory=list)  # problems with the file as a whole
    corpus: Corpus | None = None
    base_hash: str = ""

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

    def to_dict(self) -> dict:
        return {"file": self.file, "ok": self.ok, "counts": self.counts(), "errors": self.errors,
                "rows": [r.to_dict() for r in self.rows],
                "new_situations": [{"id": s.id, "name": s.name, "stage": s.stage} for s in self.new_situations],
                "removed": [r.id for r in self.removed], "base": self.base_hash}

    def format(self) -> str:
        """A plain-text report (the CLI's `corpus import --preview`)."""
        counts = self.counts()
        lines = [f"preview of {self.file}: {counts['add']} to add, {counts['change']} to change, "
                 f"{counts['unchanged']} unchanged, {counts['reject']} rejected"
                 + (f", {counts['new_situations']} new situation(s)" if counts["new_situations"] else "")
                 + (f", {counts['removed']} to remove" if counts["removed"] else "")]
        lines += [f"error: {e}" for e in self.errors]
        for situation in self.new_situations:
            lines.append(f"new situation {situation.id} ({situation.name}, {situation.stage})")
        for row in self.rows:
            if row.status == "unchanged":
                continue
            head = {"add": "add", "change": "change", "reject": "REJECT"}[row.status]
            detail = f" [{', '.join(row.changed)}]" if row.changed else ""
            lines.append(f"{head:7} {row.where} {row.id or '(no id)'}{detail}")
            lines += [f"          reason: {reason}" for reason in row.reasons]
            lines += [f"          warning: {warning}" for warning in row.warnings]
        for reply in self.removed:
            lines.append(f"remove  {reply.id}")
        lines.append("nothing was written" + ("" if self.ok else "; the import would be refused (all or nothing)"))
        return "\n".join(lines)


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
        preview.errors = [show(p) for p in exc.problems]
        return preview
    if not rows:
        preview.errors = [f"{shown}: no rows to import"]
        return preview
    rules = compliance.load_rules() if rules is None else rules
    situations: dict[str, Situation] = dict(base.situations) if base else {}
    reasons: dict[str, list[str]] = {where: [] for where, _ in rows}
    before = set(situations)
    for where, problem in _add_new_situations(rows, known, situations):
        reasons[where].append(problem)
    preview.new_situations = [situation for sid, situation in situations.items() if sid not in before]
    ids = [_row_id(row) for _, row in rows]
    incoming = set(ids)
    shortcuts = {r.shortcut: r.id for r in (base.replies.values() if base else []) if r.shortcut and r.id not in incoming}
    for where, row in rows:
        raw = {k: v for k, v in row.items() if k != "situation_name" and v not in (None, "")}
        problems: list[str] = []
        reply = validate_reply(raw, where, situations, problems)
        row_reasons = reasons[where]
        row_reasons += [p.split(": ", 1)[-1] if p.startswith(where) else p for p in problems]
        warnings: list[str] = []
        rid = _row_id(row)
        if ids.count(rid) > 1:
            row_reasons.append(f"field 'id': {rid!r} appears more than once in the file")
        if reply is not None:
            if reply.shortcut:
                owner = shortcuts.get(reply.shortcut)
                if owner is not None and owner != reply.id:
                    row_reasons.append(f"field 'shortcut': {reply.shortcut!r} is already used by {owner}")
                else:
                    shortcuts[reply.shortcut] = reply.id
            for finding in compliance.check_text(reply.text, rules):
                message = f"compliance ({finding.category}): “{finding.word}”"
                if finding.severity == "block" and enforce_compliance:
                    row_reasons.append(message + " is not allowed")
                else:
                    warnings.append(message + (" would be refused by the editor" if finding.severity == "block"
                                               else " needs a second look"))
            allowed = known_placeholders if known_placeholders is not None else set(KNOWN_PLACEHOLDERS)
            for name in dict.fromkeys(placeholders(reply.text)):
                if name not in allowed:
                    message = f"field 'text': unknown placeholder {{{name}}}"
                    (row_reasons if known_placeholders is not None else warnings).append(message)
        status = "reject" if row_reasons else "add"
        changed: list[str] = []
        if not row_reasons and original and reply.id in original.replies:
            old = original.replies[reply.id]
            changed = [name for name in ("text", "examples", "tags", "shortcut", "situation", "stage", "retired")
                       if getattr(old, name) != getattr(reply, name)]
            status = "change" if changed else "unchanged"
        preview.rows.append(RowPreview(where=show(where), line=_line_of(where), id=rid, status=status,
                                       text=str(row.get("text") or ""), situation=str(row.get("situation") or ""),
                                       reasons=row_reasons, warnings=warnings, changed=changed))
    if replace and original is not None:
        preview.removed = [r for rid, r in sorted(original.replies.items()) if rid not in incoming]
    if preview.rejected:
        return preview
    try:
        preview.corpus = parse_import(path, base)
    except CorpusError as exc:  # anything the row checks above did not catch
        preview.errors = [show(p) for p in exc.problems]
    return preview

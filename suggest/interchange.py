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

from .corpus import ID_PATTERN, RawReply, atomic_write, check_corpus, corpus_hash, validate_reply
from .errors import CorpusError
from .profile import KNOWN_PLACEHOLDERS, placeholders
from .records import STAGES, Corpus, Reply, Situation

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


def parse_import(path: Path, base: Corpus | None) -> Corpus:
    """The corpus after importing `path` on top of `base` (None: replace everything). Raises on any bad row."""
    rows = read_rows(path)
    known = _known_situations(path)
    situations: dict[str, Situation] = dict(base.situations) if base else {}
    replies: dict[str, Reply] = dict(base.replies) if base else {}
    problems: list[str] = []
    for where, row in rows:
        sid = row.get("situation")
        if isinstance(sid, str) and sid and sid not in situations:
            info = known.get(sid, {})
            stage = info.get("stage") or row.get("stage") or "general"
            name = info.get("name") or row.get("situation_name") or sid
            if stage not in STAGES:
                problems.append(f"{where}: field 'stage': must be one of {', '.join(STAGES)} (got {stage!r})")
                continue
            situations[sid] = Situation(id=sid, name=name, stage=stage, description=info.get("description", ""))
    raws = [RawReply({k: v for k, v in row.items() if k != "situation_name" and v not in (None, "")}, where)
            for where, row in rows]
    imported_ids = [row.get("id") for _, row in rows]
    duplicates = {i for i in imported_ids if imported_ids.count(i) > 1}
    for where, row in rows:
        if row.get("id") in duplicates:
            problems.append(f"{where}: field 'id': {row.get('id')!r} appears more than once in the file")
    if problems:
        raise CorpusError(problems)
    incoming = {row.get("id") for _, row in rows}
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

"""Excel (.xlsx) import and export of the corpus, and the 千牛 quick-phrase export, with openpyxl.

The corpus workbook has a sheet 话术 (one reply per row; Chinese column headers, the English ones of the CSV
format are accepted too) and a sheet 情境 (id, name, stage, description) so that an import can create new
situations with their proper names. Example messages are one per line inside their cell.

The 千牛 layout is what the 千牛 workbench imports as 快捷短语: 分组 / 快捷编码 / 快捷短语, placeholders filled
from the shop profile. Every cell is written as text, never as a formula (a reply starting with "=" stays text).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from .profile import PER_CONVERSATION, fill
from ..records import STAGE_NAMES, STAGES, Corpus, Problem

REPLIES_SHEET = "话术"
SITUATIONS_SHEET = "场景"
OLD_SITUATIONS_SHEET = "情境"  # the sheet's name in exports of earlier versions, still read
MAX_ROWS = 50_000
QIANNIU_HEADERS = ("分组", "快捷编码", "快捷短语")

# column header (as written) -> field; the English CSV headers map to themselves
REPLY_COLUMNS = (("编号", "id"), ("场景", "situation"), ("场景名称", "situation_name"), ("阶段", "stage"),
                 ("话术", "text"), ("例句", "examples"), ("标签", "tags"), ("快捷编码", "shortcut"), ("停用", "retired"))
_ALIASES = {"id": "id", "编号": "id", "话术编号": "id",
            "situation": "situation", "场景": "situation", "场景编号": "situation",
            "情境": "situation", "情境编号": "situation",  # the headers of earlier versions' exports
            "situation_name": "situation_name", "场景名称": "situation_name", "情境名称": "situation_name",
            "stage": "stage", "阶段": "stage",
            "text": "text", "话术": "text", "话术内容": "text", "回复": "text",
            "examples": "examples", "例句": "examples", "买家例句": "examples",
            "tags": "tags", "标签": "tags",
            "shortcut": "shortcut", "快捷编码": "shortcut",
            "retired": "retired", "停用": "retired", "已停用": "retired"}
_SITUATION_ALIASES = {"id": "id", "编号": "id", "场景": "id", "场景编号": "id", "情境": "id", "情境编号": "id",
                      "name": "name", "名称": "name", "场景名称": "name", "情境名称": "name", "stage": "stage", "阶段": "stage", "description": "description",
                      "说明": "description", "描述": "description"}
_STAGE_BY_NAME = {name: code for code, name in STAGE_NAMES.items()}
_TRUE = {"1", "true", "yes", "y", "是", "停用", "已停用", "√", "x"}
_FALSE = {"", "0", "false", "no", "n", "否", "在用"}


def _openpyxl():
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency of the project
        raise CorpusError([Problem("", "needs_openpyxl")]) from None
    return openpyxl


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split_cell(value: str) -> list[str]:
    parts = value.replace("｜", "|").replace("\r", "").replace("|", "\n").split("\n")
    return [p.strip() for p in parts if p.strip()]


def _stage(value: str) -> str:
    value = value.strip()
    return _STAGE_BY_NAME.get(value, value.lower())


def _open_workbook(path: Path):
    openpyxl = _openpyxl()
    if not path.is_file():
        raise CorpusError([Problem("", "no_such_file", {}, str(path))])
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise CorpusError([Problem("", "not_xlsx", {"error": exc.__class__.__name__}, str(path))]) from None


def _sheet_rows(sheet) -> list[tuple[int, list[str]]]:
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            raise CorpusError([Problem("", "too_many_rows", {"limit": MAX_ROWS}, sheet.title)])
        cells = [_cell_text(v) for v in values]
        if any(cells):
            rows.append((number, cells))
    return rows


# The columns a reply file must have: the text, and a situation (its id or its Chinese name). Everything else is
# optional: ids are generated, and a column the file lacks leaves that field of an existing reply as it is.
REQUIRED_COLUMNS = ("text", "situation")
_COLUMN_NAMES = dict((name, header) for header, name in REPLY_COLUMNS)


def reply_columns(header: list[str]) -> list[str | None]:
    """The field each header cell names (None for a column nobody knows), Chinese or English: the one alias table
    of the CSV and Excel readers."""
    return [_ALIASES.get(str(h or "").strip().lower(), _ALIASES.get(str(h or "").strip())) for h in header]


def missing_columns(columns: list[str | None]) -> list[str]:
    """The required fields the columns lack: text, and a situation (id or name)."""
    present = set(columns)
    missing = [] if "text" in present else ["text"]
    if not present & {"situation", "situation_name"}:
        missing.append("situation")
    return missing


def column_problem(where: str, missing: list[str], header: list[str]) -> Problem:
    """The required columns a reply file lacks; a file that looks like a 千牛 sheet is told so."""
    values = {"columns": tuple(_COLUMN_NAMES[m] for m in missing), "fields": tuple(missing)}
    if {str(h or "").strip() for h in header} & {"分组", "快捷短语", "group"}:
        return Problem("", "missing_columns_qianniu", values, where)
    return Problem("", "missing_columns", values, where)


def table_rows(path: Path, rows: list[tuple[int, list[str]]]) -> list[tuple[str, dict]]:
    """(where, row) pairs from a table whose first row is the header (CSV or a sheet), shaped like the JSONL rows:
    examples and tags as lists, stages as codes, 停用 as a flag. A row holds only the fields the file has columns
    for, so that an import can tell "no such column" (keep the current value) from "an empty cell" (clear it)."""
    if not rows:
        raise CorpusError([Problem("", "empty_file", {}, str(path))])
    header_line, header = rows[0]
    columns = reply_columns(header)
    missing = missing_columns(columns)
    if missing:
        raise CorpusError([column_problem(f"{path}:{header_line}", missing, header)])
    out = []
    for number, cells in rows[1:]:
        row: dict = {}
        for index, name in enumerate(columns):
            if name:
                value = cells[index] if index < len(cells) else ""
                row[name] = str(value or "").strip()
        out.append((f"{path}:{number}", normalize_row(row)))
    return out


def normalize_row(row: dict) -> dict:
    """A table row's cells as the reply fields they stand for (only the fields present are touched)."""
    if "examples" in row:
        row["examples"] = _split_cell(row["examples"])
    if "tags" in row:
        row["tags"] = [t.strip() for t in row["tags"].replace("，", ",").replace("、", ",").split(",") if t.strip()]
    if "stage" in row:
        row["stage"] = _stage(row["stage"])
    if "retired" in row:
        flag = row["retired"].strip().lower()
        row["retired"] = True if flag in _TRUE else False if flag in _FALSE else row["retired"]
    return row


def read_rows(path: Path) -> list[tuple[str, dict]]:
    """(where, row) pairs shaped like interchange's CSV rows: examples and tags as lists."""
    workbook = _open_workbook(path)
    try:
        sheet = workbook[REPLIES_SHEET] if REPLIES_SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = _sheet_rows(sheet)
    finally:
        workbook.close()
    if not rows:
        raise CorpusError([Problem("", "empty_sheet", {"sheet": sheet.title}, str(path))])
    return table_rows(path, rows)


def read_situations(path: Path) -> dict[str, dict]:
    """Names, stages and descriptions from the 场景 sheet (情境 in earlier exports), if the workbook has one."""
    workbook = _open_workbook(path)
    try:
        sheet = next((n for n in (SITUATIONS_SHEET, OLD_SITUATIONS_SHEET) if n in workbook.sheetnames), None)
        if sheet is None:
            return {}
        rows = _sheet_rows(workbook[sheet])
    finally:
        workbook.close()
    if not rows:
        return {}
    columns = [_SITUATION_ALIASES.get(h.strip().lower(), _SITUATION_ALIASES.get(h.strip())) for h in rows[0][1]]
    out: dict[str, dict] = {}
    for _, cells in rows[1:]:
        row = {name: value for name, value in zip(columns, cells) if name}
        if row.get("id"):
            out[row["id"]] = {"name": row.get("name", ""), "stage": _stage(row.get("stage", "")),
                              "description": row.get("description", "")}
    return out


# ---- writing --------------------------------------------------------------------------------------------------

def _save_atomically(workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _style_sheet(sheet, widths: list[int], wrap_columns: set[int]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    shade = PatternFill("solid", fgColor="EAF0FC")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = shade
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap if cell.column in wrap_columns else top
    sheet.freeze_panes = "A2"


def _append_text_row(sheet, values: list[str]) -> None:
    """A row of text cells: a value starting with '=' is stored as text, never as a formula."""
    sheet.append([None] * len(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if value != "":
            cell.value = value
            cell.data_type = "s"


def write_corpus(corpus: Corpus, path: Path) -> int:
    openpyxl = _openpyxl()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = REPLIES_SHEET
    sheet.append([header for header, _ in REPLY_COLUMNS])
    order = {stage: i for i, stage in enumerate(STAGES)}
    replies = sorted(corpus.replies.values(), key=lambda r: (r.situation, r.id))
    for reply in replies:
        situation = corpus.situations[reply.situation]
        _append_text_row(sheet, [reply.id, reply.situation, situation.name, STAGE_NAMES.get(reply.stage, reply.stage),
                                 reply.text, "\n".join(reply.examples), ", ".join(reply.tags), reply.shortcut or "",
                                 "是" if reply.retired else ""])
    _style_sheet(sheet, [16, 16, 16, 8, 60, 36, 18, 10, 6], {5, 6})
    situations = workbook.create_sheet(SITUATIONS_SHEET)
    situations.append(["编号", "名称", "阶段", "说明"])
    for situation in sorted(corpus.situations.values(), key=lambda s: (order.get(s.stage, 9), s.id)):
        _append_text_row(situations, [situation.id, situation.name, STAGE_NAMES.get(situation.stage, situation.stage),
                                      situation.description])
    _style_sheet(situations, [18, 18, 8, 60], {4})
    _save_atomically(workbook, path)
    return len(replies)


# ---- 千牛 quick phrases -----------------------------------------------------------------------------------------

@dataclass
class QianniuExport:
    rows: list[tuple[str, str, str]]  # (分组, 快捷编码, 快捷短语)
    unfilled: dict[str, list[str]] = field(default_factory=dict)  # reply id -> placeholders without a value
    skipped_retired: int = 0

    @property
    def count(self) -> int:
        return len(self.rows)

    def report(self) -> list[str]:
        """One line per reply with placeholders left in braces. Shop-wide ones belong in shop.yaml; the per-buyer
        ones ({买家昵称}, {订单号}, {物流单号}) never do: the chat tool or the agent fills them in each conversation."""
        lines = []
        for rid, names in self.unfilled.items():
            shop = [n for n in names if n not in PER_CONVERSATION]
            buyer = [n for n in names if n in PER_CONVERSATION]
            parts = []
            if shop:
                parts.append(f"未填写 {'、'.join('{' + n + '}' for n in shop)}（店铺信息，请在 shop.yaml 里补上）")
            if buyer:
                parts.append(f"{'、'.join('{' + n + '}' for n in buyer)} 因买家而异，由聊天工具或客服在每次会话中填写"
                             "（不要写进 shop.yaml）")
            lines.append(f"{rid}: " + "；".join(parts))
        return lines


def qianniu_rows(corpus: Corpus, profile: dict[str, str]) -> QianniuExport:
    """Active replies grouped by situation (situations in stage order), placeholders filled from `profile`."""
    order = {stage: i for i, stage in enumerate(STAGES)}
    situations = sorted(corpus.situations.values(), key=lambda s: (order.get(s.stage, 9), s.id))
    export = QianniuExport(rows=[])
    for situation in situations:
        for reply in sorted(corpus.replies_of(situation.id), key=lambda r: r.id):
            if reply.retired:
                export.skipped_retired += 1
                continue
            text, missing = fill(reply.text, profile)
            if missing:
                export.unfilled[reply.id] = list(missing)
            export.rows.append((situation.name, reply.shortcut or "", text))
    return export


def write_qianniu(corpus: Corpus, profile: dict[str, str], path: Path) -> QianniuExport:
    """The 千牛 quick-phrase file: .xlsx, or .csv (UTF-8 with BOM, so that Excel shows Chinese correctly)."""
    export = qianniu_rows(corpus, profile)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        openpyxl = _openpyxl()
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "快捷短语"
        sheet.append(list(QIANNIU_HEADERS))
        for row in export.rows:
            _append_text_row(sheet, list(row))
        _style_sheet(sheet, [18, 12, 80], {3})
        _save_atomically(workbook, path)
    elif suffix == ".csv":
        from .files import atomic_write

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(QIANNIU_HEADERS)
        writer.writerows(export.rows)
        atomic_write(path, "\ufeff" + out.getvalue())
    else:
        raise CorpusError([Problem("", "qianniu_format", {"suffix": suffix or "(none)"}, str(path))])
    return export


@dataclass(frozen=True)
class QuickPhrase:
    """One row of a 千牛 quick-phrase sheet: no id, no situation, no examples."""

    where: str  # "file:line"
    group: str  # 分组 ("" when the sheet has none)
    shortcut: str  # 快捷编码 ("" when none)
    text: str  # 快捷短语


_PHRASE_ALIASES = {"分组": "group", "分组名称": "group", "分类": "group", "group": "group",
                   "快捷编码": "shortcut", "编码": "shortcut", "快捷键": "shortcut", "shortcut": "shortcut", "code": "shortcut",
                   "快捷短语": "text", "短语": "text", "短语内容": "text", "内容": "text", "话术": "text", "text": "text",
                   "phrase": "text"}


def read_text_file(path: Path) -> tuple[str, str]:
    """A text file as Excel and 千牛 save it: UTF-8 (with or without BOM) or, on Chinese Windows, GBK."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError([Problem("", "no_such_file", {}, str(path))]) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CorpusError([Problem("", "not_utf8_or_gbk", {}, str(path))])  # pragma: no cover - gb18030 reads most


def read_quick_phrases(path: Path) -> list[QuickPhrase]:
    """The rows of a 千牛 quick-phrase sheet (.xlsx, or .csv in UTF-8 or GBK). Headers may be Chinese (分组, 快捷编码,
    快捷短语) or English (group, shortcut, text); a sheet without a header row is read as 分组/快捷编码/快捷短语."""
    if path.suffix.lower() == ".xlsx":
        workbook = _open_workbook(path)
        try:
            rows = _sheet_rows(workbook.worksheets[0])
        finally:
            workbook.close()
    else:
        text, _ = read_text_file(path)
        rows = [(n, [c.strip() for c in cells]) for n, cells in enumerate(csv.reader(io.StringIO(text)), start=1)
                if any(c.strip() for c in cells)]
    if not rows:
        raise CorpusError([Problem("", "no_phrases", {}, str(path))])
    header = [_PHRASE_ALIASES.get(h.strip().lower(), _PHRASE_ALIASES.get(h.strip())) for h in rows[0][1]]
    if "text" in header:
        rows = rows[1:]
    elif any(header):
        raise CorpusError([Problem("", "no_phrase_column", {}, f"{path}:{rows[0][0]}")])
    else:
        header = ["group", "shortcut", "text"]
    phrases = []
    for number, cells in rows:
        row = {name: value for name, value in zip(header, cells) if name}
        if row.get("text", "").strip():
            phrases.append(QuickPhrase(f"{path}:{number}", row.get("group", "").strip(),
                                       row.get("shortcut", "").strip(), row["text"].strip()))
    if not phrases:
        raise CorpusError([Problem("", "empty_phrases", {}, str(path))])
    return phrases


def looks_like_quick_phrases(path: Path) -> bool:
    """A sheet whose header names a 快捷短语 column but no 例句/examples column: a 千牛 export, not a corpus."""
    try:
        if path.suffix.lower() == ".xlsx":
            workbook = _open_workbook(path)
            try:
                rows = _sheet_rows(workbook.worksheets[0])[:1]
            finally:
                workbook.close()
            header = rows[0][1] if rows else []
        elif path.suffix.lower() == ".csv":
            header = next(csv.reader(io.StringIO(read_text_file(path)[0])), [])
        else:
            return False
    except CorpusError:
        return False
    names = {h.strip().lower() for h in header}
    return "快捷短语" in names and not names & {"例句", "examples"}


def read_qianniu(path: Path) -> list[tuple[str, str, str]]:
    """The rows of a 千牛 quick-phrase file as (分组, 快捷编码, 快捷短语)."""
    return [(p.group, p.shortcut, p.text) for p in read_quick_phrases(path)]

"""What the corpus checks report, said as data, and its English wording (for the CLI and the logs).

A check never words a problem: it makes a `suggest.records.Problem(field, code, values, where)`, and each
interface words it from a table keyed by `code` — English here, the editors' Chinese in
suggest.authoring.wording. Rewording one language can then never change the other, and a limit reaches both
through `values`. The shop profile's codes (corpus.profile) belong to the same vocabulary.

Values are formatted into the wording as they are, except: a tuple of names is joined in the reader's language
("a, b" / "a、b"), and a Problem (the reason behind another problem) is worded inline.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Union

from ..records import Problem
from .profile import PROFILE_WORDING

Wording = Mapping[str, Union[str, Callable[[Mapping[str, Any]], str]]]

# Codes about a cell of the product sheet: their `field` is a column (a header as the sheet writes it), and
# `values["part"]` may say which entry of a compact cell ("白色/M 价格").
SHEET_CODES = frozenset({"empty_cell", "empty_name", "duplicate_product", "unknown_product", "not_a_number",
                         "bad_range", "bad_measurement", "range_backwards", "size_first", "sku_label_first",
                         "bad_size_item", "size_twice", "bad_stock", "negative_price", "bad_sku_item"})


def _pairs(values: Mapping[str, Any]) -> str:
    """Missing columns as a file may name them: the Chinese header and the English one (话术/text)."""
    return ", ".join(f"{column}/{name}" for column, name in zip(values["columns"], values["fields"]))


_REPLY_HEADERS = ("(headers: 场景, 话术, optional 编号, 例句, 场景名称, 阶段, 标签, 快捷编码, 停用; "
                  "or situation, text, id, examples ...)")

CORPUS_WORDING: Wording = {
    # a message some module still words itself (see as_problem)
    "said": "{message}",
    # a reply's or a situation's fields
    "bad_id": "must be lowercase letters, digits, '-' or '_' (got {value!r})",
    "id_mismatch": "is {value!r} but the file is named {expected}.yaml",
    "unknown_situation": "unknown situation {situation!r}",
    "bad_stage": "must be one of {stages} (got {value!r})",
    "empty": "is required and may not be empty",
    "too_long": "is {length} characters; at most {limit}",
    "bad_examples": "must be a list of non-empty example buyer messages",
    "example_too_long": "an example is longer than {limit} characters",
    "not_word_list": "must be a list of words",
    "bad_shortcut": "must be 1-16 lowercase letters or digits (got {value!r})",
    "not_yes_no": "must be true or false (got {value!r})",
    "bad_requires": "must be a list of yes/no facts of shop.yaml (e.g. [花呗])",
    "bad_campaign": "must be the name of a campaign in shop.yaml (got {value!r})",
    "not_string": "must be text",
    "unknown_field": "unknown field",
    "duplicate_reply": "duplicate reply id {id!r} (first at {first})",
    "duplicate_situation": "duplicate situation {id!r}",
    "shortcut_taken": "{shortcut!r} is already used by {owner}",
    "replies_not_list": "must be a list",
    "reply_not_mapping": "every item must be a mapping",
    # the corpus folder
    "no_situations_dir": "no such directory (a corpus needs situations/<id>.yaml files)",
    "not_situation_file": "expected a mapping with id, name, stage, description, replies",
    "not_utf8": "not UTF-8 text",
    # the lint: loads, but an editor should look
    "few_examples": "only {count} example message(s); {good} or more match better",
    "unknown_placeholder": "unknown placeholder {{{name}}}",
    "campaign_placeholder": "uses a campaign's placeholder but names no campaign (campaign:); it is suggested "
                            "whenever any campaign runs",
    "never_suggested": "never suggested: {cause}",
    "no_value": "placeholder {{{name}}} has no value in shop.yaml",
    "example_elsewhere": "example {example!r} also stands under {owner} ({situation})",
    "no_replies": "has no replies",
    # importing a file
    "no_such_file": "no such file",
    "unsupported_format": "unsupported format {suffix}; use one of {formats}",
    "bad_json": "not valid JSON ({problem})",
    "not_json_object": "expected a JSON object",
    "no_rows": "no rows to import",
    "situation_required": "is required (a situation id or its Chinese name)",
    "bad_new_situation_id": "a new situation id must be lowercase letters, digits, '-' or '_' (got {value!r})",
    "repeated_in_file": "{id!r} appears more than once in the file",
    "compliance_block": "compliance ({category}): “{word}” is not allowed",
    "compliance_refused": "compliance ({category}): “{word}” would be refused by the editor",
    "compliance_warn": "compliance ({category}): “{word}” needs a second look",
    "same_text": "the same text as reply {id}",
    # spreadsheets and 千牛 quick-phrase sheets
    "needs_openpyxl": "Excel files need openpyxl: pip install openpyxl",
    "not_xlsx": "not an Excel .xlsx workbook ({error})",
    "too_many_rows": "more than {limit} rows",
    "empty_file": "the file is empty",
    "empty_sheet": "the sheet {sheet!r} is empty",
    "missing_columns": lambda v: f"missing column(s) {_pairs(v)} {_REPLY_HEADERS}",
    "missing_columns_qianniu": lambda v: (f"missing column(s) {_pairs(v)} {_REPLY_HEADERS}; a 千牛 quick-phrase "
                                          "sheet needs the headers 分组, 快捷编码, 快捷短语"),
    "not_utf8_or_gbk": "neither UTF-8 nor GBK text",
    "qianniu_format": "the 千牛 export is written as .xlsx or .csv (got {suffix})",
    "no_phrases": "no quick phrases (the sheet is empty)",
    "no_phrase_column": "no 快捷短语 column (headers: 分组, 快捷编码, 快捷短语)",
    "empty_phrases": "no quick phrases (every 快捷短语 cell is empty)",
    "shortcut_dropped_taken": "快捷编码 {shortcut!r} is taken; left empty",
    "shortcut_dropped_invalid": "快捷编码 {shortcut!r} is not 1-16 letters or digits; left empty",
    # the product sheet as a file
    "product_format": "a product sheet is .xlsx or .csv (got {suffix})",
    "product_export_format": "a product sheet is written as .xlsx or .csv (got {suffix})",
    "empty_product_sheet": "the product sheet is empty",
    "missing_product_columns": lambda v: f"missing column(s) {_pairs(v)}",
    "missing_column": "missing column {column}",
    "bad_csv": "not valid CSV ({problem})",
    "chart_twice": "product {product} has a size chart both here and in its 尺码表 cell",
    "skus_twice": "product {product} has SKUs both here and in its SKU cell",
    # the product sheet's cells (SHEET_CODES)
    "empty_cell": "is empty",
    "empty_name": "is empty (product {product})",
    "duplicate_product": "duplicate id {id!r} (first at line {line})",
    "unknown_product": "{id!r} is not in the 商品 sheet",
    "not_a_number": "{value!r} is not a number",
    "bad_range": "{value!r} is not a number or a range like 155-160",
    "bad_measurement": "{value!r} is not a number or range",
    "range_backwards": "the range {value!r} runs backwards",
    "size_first": "{value!r} needs the size first, as in 'S: 衣长66 胸围112 身高150-158 体重40-50kg'",
    "sku_label_first": "{value!r} needs the colour/size first, as in '黑色/M: 价格129 库存12'",
    "bad_size_item": "size {size}: {value!r} is not a name followed by a number or range, as in 衣长66 or "
                     "身高150-158",
    "size_twice": "a size appears twice",
    "bad_stock": "stock {value!r} must be a whole number, 0 or more",
    "negative_price": "a price may not be negative",
    "bad_sku_item": "{label}: {value!r} should be 价格<元> or 库存<件数>",
}
ENGLISH: Wording = {**PROFILE_WORDING, **CORPUS_WORDING}


def as_problem(item: Problem | str) -> Problem:
    """A Problem as it is; a message a module still words itself (it raises CorpusError with text) kept as
    written, so that every CorpusError carries Problems."""
    return item if isinstance(item, Problem) else Problem("", "said", {"message": item})


def word(problem: Problem, table: Wording, *, separator: str, nested: Callable[[Problem], str],
         empty: str | None = None) -> str:
    """`problem` in the words of `table` (one language). Shared by every language, so that the rules for
    showing values (tuples joined with `separator`, a nested Problem worded by `nested`, None shown as `empty`)
    are said once."""
    entry = table.get(problem.code)
    if entry is None:  # tests keep every code in every table; a reader still gets something to act on
        return f"{problem.code} {problem.values}" if problem.values else problem.code
    if callable(entry):
        return entry(problem.values)

    def shown(value: Any) -> Any:
        if isinstance(value, Problem):
            return nested(value)
        if isinstance(value, tuple):
            return separator.join(str(v) for v in value)
        if value is None and empty is not None:
            return empty
        return value

    return entry.format(**{key: shown(value) for key, value in problem.values.items()})


def english(problem: Problem) -> str:
    """What is wrong, in English, without the place."""
    return word(problem, ENGLISH, separator=", ", nested=_reason)


def label(problem: Problem) -> str:
    """The field or column a problem is about, as the English messages name it ("" when none)."""
    if not problem.field:
        return ""
    if problem.code in SHEET_CODES:
        part = problem.values.get("part")
        return f"column {problem.field}" + (f" ({part})" if part else "")
    return f"field {problem.field!r}"


def _reason(problem: Problem) -> str:
    """A problem standing as the reason of another ("'text': needs '花呗', which …")."""
    return f"{problem.field!r}: {english(problem)}" if problem.field else english(problem)


def describe(problem: Problem) -> str:
    """A problem in English with its place: "file:line: field 'text': is 600 characters; at most 500"."""
    parts = [part for part in (problem.where, label(problem)) if part]
    return ": ".join([*parts, english(problem)])

"""The engine's English problem messages in the editors' Chinese.

The corpus checks (suggest.corpus) report problems in English for the CLI and logs; editors read Chinese. The
translation table grows with every new engine message, so it is kept apart from the code that raises them.
"""

from __future__ import annotations

import re


# The one word editors and agents see for a situation is 场景 (the agents' page always said so), in files too;
# the import still accepts the header 情境 of earlier versions' exports.
WORD = "场景"

_FIELD_NAMES = {"id": "编号", "situation": WORD, "stage": "阶段", "text": "话术", "examples": "例句", "tags": "标签",
                "shortcut": "快捷编码", "retired": "停用", "name": "名称", "description": "说明"}
_PHRASES = [  # the engine's English problem messages, in the editors' language
    (r"a new situation id must be lowercase letters, digits, '-' or '_' \(got (.*)\)",
     r"新场景的编号只能用小写英文字母、数字、- 和 _（现在是 \1）"),
    (r"must be lowercase letters, digits, '-' or '_' \(got (.*)\)", r"只能用小写英文字母、数字、- 和 _（现在是 \1）"),
    (r"unknown situation (.*)", r"场景 \1 不存在"),
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
    (r"is required \(a situation id or its Chinese name\)", "必须填写（场景编号或中文名称，例如 议价）"),
    (r"the same text as reply (.*)", r"和现有话术 \1 的内容完全相同：导入后会多出一条重复的话术"),
    (r"missing column\(s\) (.*?) \(headers: .*?\)(; a 千牛 quick-phrase sheet.*)?", lambda m: (
        "缺少列 " + "、".join(_column(part) for part in m.group(1).split(", "))
        + "（表头：“场景”（填场景编号或中文名称；旧版导出的“情境”也可以）、“话术” 必填；编号、例句、“场景名称”、阶段、标签、快捷编码、停用 可选，"
          "也可以用英文表头 situation、text、id、examples…）"
        + ("。如果这是千牛快捷短语表，表头应为 分组、快捷编码、快捷短语" if m.group(2) else ""))),
    (r"missing column\(s\) (.*?)( \(headers.*\))?$", lambda m: "缺少列 " + "、".join(
        _column(part) for part in m.group(1).split(", "))),
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


def _column(part: str) -> str:
    """A missing column ("场景/situation") as editors say it: its Chinese header."""
    return part.split("/")[0]


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


def field_of(problem: str) -> str:
    """The field an engine problem message is about ("reply" when it names none)."""
    match = re.search(r"field '(\w+)'", problem)
    return match.group(1) if match else "reply"

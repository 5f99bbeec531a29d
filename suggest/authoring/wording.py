"""The corpus checks' problems in the editors' Chinese.

The checks (suggest.corpus) report a problem as data (suggest.records.Problem); the CLI words it in English
(suggest.corpus.problems), the editor's pages in Chinese, here. Both tables are keyed by the problem's code, so
rewording one language never changes the other; a test keeps every code a check raises in both.
"""

from __future__ import annotations

from ..corpus.problems import word
from ..records import Problem
from .shop_facts import ZH_WORDING as PROFILE_ZH

# The one word editors and agents see for a situation is 场景 (the agents' page always said so), in files too;
# the import still accepts the header 情境 of earlier versions' exports.
WORD = "场景"

_FIELD_NAMES = {"id": "编号", "situation": WORD, "stage": "阶段", "text": "话术", "examples": "例句", "tags": "标签",
                "shortcut": "快捷编码", "retired": "停用", "name": "名称", "description": "说明",
                "requires": "依赖的店铺信息", "campaign": "所属活动", "replies": "话术列表"}
_REPLY_HEADERS = ("（表头：“场景”（填场景编号或中文名称；旧版导出的“情境”也可以）、“话术” 必填；编号、例句、“场景名称”、阶段、"
                  "标签、快捷编码、停用 可选，也可以用英文表头 situation、text、id、examples…）")

CORPUS_ZH = {
    "said": "{message}",
    # a reply's or a situation's fields
    "bad_id": "只能用小写英文字母、数字、- 和 _（现在是 {value}）",
    "id_mismatch": "是 {value}，但文件名是 {expected}.yaml",
    "unknown_situation": "场景 {situation} 不存在",
    "bad_stage": "只能是 售前/售中/售后/通用（{stages}，现在是 {value}）",
    "empty": "不能为空",
    "too_long": "有 {length} 个字，最多 {limit} 个字",
    "bad_examples": "例句不能为空",
    "example_too_long": "有例句超过 {limit} 个字",
    "not_word_list": "必须是词语列表",
    "bad_shortcut": "只能是 1-16 位小写字母或数字（现在是 {value}）",
    "not_yes_no": "只能是“是”或“否”（现在是 {value}）",
    "bad_requires": "必须是店铺信息里“是/否”类事实的列表（例如 [花呗]）",
    "bad_campaign": "必须是店铺信息里某个活动的名称（现在是 {value}）",
    "not_string": "必须是文字",
    "unknown_field": "是无法识别的列",
    "duplicate_reply": "编号 {id} 重复（第一次在 {first}）",
    "duplicate_situation": "场景编号 {id} 重复",
    "shortcut_taken": "{shortcut} 已被 {owner} 使用",
    "replies_not_list": "必须是列表",
    "reply_not_mapping": "每一项都必须是“字段: 值”的映射",
    # the corpus folder
    "no_situations_dir": "目录不存在（语料需要 situations/<编号>.yaml 文件）",
    "not_situation_file": "应当是包含 id、name、stage、description、replies 的映射",
    "not_utf8": "不是 UTF-8 编码的文本",
    # the lint
    "few_examples": "只有 {count} 条例句；写 {good} 条以上不同说法，匹配会更准",
    "unknown_placeholder": "未知的占位符 {{{name}}}",
    "campaign_placeholder": "用到了活动的占位符，却没有写所属活动（campaign:）：任何活动进行时都会推荐",
    "never_suggested": "不会被推荐：{cause}",
    "no_value": "占位符 {{{name}}} 在店铺信息里没有值",
    "example_elsewhere": "例句“{example}”也出现在 {owner}（{situation}）",
    "no_replies": "没有话术",
    # importing a file
    "no_such_file": "文件不存在",
    "unsupported_format": "不支持的文件格式 {suffix}：请用 {formats}",
    "bad_json": "不是有效的 JSON（{problem}）",
    "not_json_object": "每行应是一个 JSON 对象",
    "no_rows": "文件里没有可导入的行",
    "situation_required": "必须填写（场景编号或中文名称，例如 议价）",
    "bad_new_situation_id": "新场景的编号只能用小写英文字母、数字、- 和 _（现在是 {value}）",
    "repeated_in_file": "{id} 在文件中出现了不止一次",
    "compliance_block": "{category}：不允许使用 “{word}”",
    "compliance_refused": "{category}：“{word}” 在编辑台会被拒绝",
    "compliance_warn": "{category}：“{word}” 请再确认",
    "same_text": "和现有话术 {id} 的内容完全相同：导入后会多出一条重复的话术",
    # spreadsheets and 千牛 quick-phrase sheets
    "needs_openpyxl": "读取 Excel 文件需要安装 openpyxl",
    "not_xlsx": "不是 Excel .xlsx 文件",
    "too_many_rows": "超过 {limit} 行",
    "empty_file": "文件是空的",
    "empty_sheet": "工作表“{sheet}”是空的",
    "missing_columns": "缺少列 {columns}" + _REPLY_HEADERS,
    "missing_columns_qianniu": "缺少列 {columns}" + _REPLY_HEADERS + "。如果这是千牛快捷短语表，表头应为 分组、快捷编码、快捷短语",
    "not_utf8_or_gbk": "既不是 UTF-8 也不是 GBK 编码的文本",
    "qianniu_format": "千牛快捷短语只能导出为 .xlsx 或 .csv（现在是 {suffix}）",
    "no_phrases": "没有快捷短语（表格是空的）",
    "no_phrase_column": "没有“快捷短语”列（表头：分组、快捷编码、快捷短语）",
    "empty_phrases": "没有快捷短语（快捷短语列全是空的）",
    "shortcut_dropped_taken": "快捷编码 {shortcut} 已被别的话术占用，这条导入后不设快捷编码",
    "shortcut_dropped_invalid": "快捷编码 {shortcut} 不是 1-16 位字母或数字，这条导入后不设快捷编码",
    # the product sheet as a file
    "product_format": "商品表只能是 .xlsx 或 .csv 文件（现在是 {suffix}）",
    "product_export_format": "商品表只能导出为 .xlsx 或 .csv 文件（现在是 {suffix}）",
    "empty_product_sheet": "商品表是空的",
    "missing_product_columns": "缺少列 {columns}（商品ID、商品名必填）",
    "missing_column": "缺少列 {column}",
    "bad_csv": "不是有效的 CSV 文件（{problem}）",
    "chart_twice": "商品 {product} 的尺码表在“尺码表”工作表和尺码表列里都写了",
    "skus_twice": "商品 {product} 的 SKU 在“SKU”工作表和 SKU 列里都写了",
    # the product sheet's cells
    "empty_cell": "是空的",
    "empty_name": "是空的",
    "duplicate_product": "商品ID“{id}”重复了（第一次出现在第 {line} 行）",
    "unknown_product": "商品ID“{id}”不在“商品”工作表里",
    "not_a_number": "“{value}”不是数字",
    "bad_range": "“{value}”应当是数字或范围，例如 155-160",
    "bad_measurement": "“{value}”应当是数字或范围",
    "range_backwards": "范围“{value}”前大后小",
    "size_first": "“{value}”前面要先写尺码和冒号，例如 S: 衣长66 胸围112 身高150-158 体重40-50kg",
    "sku_label_first": "“{value}”前面要先写颜色/尺码和冒号，例如 黑色/M: 价格129 库存12",
    "bad_size_item": "尺码 {size} 的“{value}”应当是名称加数字或范围，例如 衣长66、身高150-158",
    "size_twice": "有尺码写了两次",
    "bad_stock": "库存“{value}”应当是 0 或正整数（缺货写 0）",
    "negative_price": "价格不能是负数",
    "bad_sku_item": "{label} 的“{value}”应当写成 价格129 或 库存12",
}
CHINESE = {**PROFILE_ZH, **CORPUS_ZH}


def zh_text(problem: Problem) -> str:
    """What is wrong, in Chinese, without the place or the field."""
    return word(problem, CHINESE, separator="、", nested=_reason, empty="空")


def zh_label(problem: Problem) -> str:
    """The field or column a problem is about, as editors name it ("" when none): 话术, SKU（黑色/S 库存）."""
    if not problem.field:
        return ""
    part = problem.values.get("part")
    return _FIELD_NAMES.get(problem.field, problem.field) + (f"（{part}）" if part else "")


def _reason(problem: Problem) -> str:
    label = zh_label(problem)
    return f"{label}：{zh_text(problem)}" if label else zh_text(problem)


def zh_problem(problem: Problem) -> str:
    """A problem in Chinese, keeping its place: "bargain.yaml:12: 话术：有 600 个字，最多 500 个字"."""
    return f"{problem.where}: {_reason(problem)}" if problem.where else _reason(problem)

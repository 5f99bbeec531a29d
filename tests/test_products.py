"""The product sheet (suggest.corpus.products), product answers (suggest.engine.product_answers) and their
evaluation on the shipped labelled set. Real files throughout: GBK CSV, xlsx written by openpyxl."""

from __future__ import annotations

from pathlib import Path

import pytest

from suggest.corpus.products import (ProductSheet, SizeRow, Sku, format_size_chart, load_products, read_products,
                                     write_products)
from suggest.engine.product_answers import ProductTemplates, answer, load_templates, parse_body
from suggest.errors import CorpusError
from suggest.tools.product_eval import evaluate_products

ROOT = Path(__file__).parent.parent
CORPUS = ROOT / "corpus"
QUERIES = Path(__file__).parent / "queries" / "products.jsonl"

HEADER = "商品ID,商品名,链接,类目,别名,材质,颜色,保质期,价格,尺码表,SKU\n"
HOODIE = ("1001,暖暖加绒卫衣,https://item.taobao.com/item.htm?id=1001,女装,卫衣,棉65% 聚酯纤维35%,黑色、白色,,129,"
          "S: 衣长66 胸围112 身高150-158 体重80-100斤; M: 衣长68 胸围116 身高158-165 体重50-58kg,"
          "黑色/S: 价格129 库存3; 黑色/M: 价格129 库存0; 白色/M: 价格139 库存缺货\n")
JERKY = "2002,暖暖五香牛肉干,https://item.jd.com/2002.html,零食,,,,9个月,49.9,,\n"


@pytest.fixture(scope="module")
def shipped() -> ProductSheet:
    return load_products(CORPUS)


@pytest.fixture(scope="module")
def templates() -> ProductTemplates:
    return load_templates(CORPUS)


def write_gbk(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_bytes((header + "".join(rows)).encode("gbk"))
    return path


def problem_of(path: Path) -> str:
    with pytest.raises(CorpusError) as info:
        read_products(path)
    return str(info.value)


# ---- reading ------------------------------------------------------------------------------------------------------

def test_reads_a_gbk_csv_with_size_chart_and_skus(tmp_path):
    sheet = read_products(write_gbk(tmp_path / "products.csv", HOODIE, JERKY))
    hoodie = sheet.get("1001")
    assert hoodie.name == "暖暖加绒卫衣" and hoodie.category == "女装" and hoodie.aliases == ("卫衣",)
    assert list(hoodie.attributes) == ["材质", "颜色", "价格"]  # sheet order, empty cells left out
    assert hoodie.size_chart[0] == SizeRow("S", (("衣长", "66"), ("胸围", "112")), (150, 158), (40, 50))  # 斤 halved
    assert hoodie.skus[2] == Sku("白色", "M", "139", 0)
    assert sheet.get("2002").attribute("保质期") == "9个月"


def test_reads_utf8_with_bom_and_english_headers(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("\ufeffid,name,link,category,material\nA1,Test tee,,tops,cotton\n", encoding="utf-8")
    assert read_products(path).get("A1").attributes == {"material": "cotton"}


def test_reads_an_xlsx_with_chinese_sheets(tmp_path):
    import datetime

    import openpyxl

    workbook = openpyxl.Workbook()
    main = workbook.active
    main.title = "商品"
    main.append(["商品ID", "商品名", "类目", "生产日期", "价格"])
    main.append([1001, "暖暖加绒卫衣", "女装", None, 129])
    main.append([2002, "暖暖五香牛肉干", "零食", datetime.datetime(2024, 10, 8), 49.9])
    chart = workbook.create_sheet("尺码表")
    chart.append(["商品ID", "尺码", "衣长", "胸围", "身高", "体重"])
    chart.append([1001, "S", 66, 112, "150-158", "40-50"])
    chart.append([1001, "M", 68, 116, "158-165", "100-116斤"])
    skus = workbook.create_sheet("SKU")
    skus.append(["商品ID", "颜色", "尺码", "价格", "库存"])
    skus.append([1001, "黑色", "M", 129, 5])
    workbook.save(tmp_path / "products.xlsx")
    sheet = read_products(tmp_path / "products.xlsx")
    hoodie = sheet.get("1001")
    assert hoodie.size_chart[1] == SizeRow("M", (("衣长", "68"), ("胸围", "116")), (158, 165), (50, 58))
    assert hoodie.skus == (Sku("黑色", "M", "129", 5),)
    assert sheet.get("2002").attributes == {"生产日期": "2024-10-08", "价格": "49.9"}


def test_missing_id_column_is_named(tmp_path):
    text = problem_of(write_gbk(tmp_path / "p.csv", "暖暖加绒卫衣,女装\n", header="商品名,类目\n"))
    assert "p.csv:1" in text and "商品ID" in text


def test_an_empty_name_names_line_and_column(tmp_path):
    text = problem_of(write_gbk(tmp_path / "p.csv", HOODIE, "3003,,,零食,,,,,,,\n"))
    assert "p.csv:3: column 商品名" in text


def test_a_duplicate_id_names_both_lines(tmp_path):
    text = problem_of(write_gbk(tmp_path / "p.csv", HOODIE, JERKY, HOODIE))
    assert "p.csv:4: column 商品ID: duplicate id '1001' (first at line 2)" in text


def test_a_bad_size_chart_cell_names_row_column_and_item(tmp_path):
    bad = HOODIE.replace("胸围112", "胸围很大")
    text = problem_of(write_gbk(tmp_path / "p.csv", JERKY, bad))
    assert "p.csv:3: column 尺码表" in text and "胸围很大" in text


def test_a_bad_number_names_the_sku(tmp_path):
    text = problem_of(write_gbk(tmp_path / "p.csv", HOODIE.replace("价格139", "价格一百")))
    assert "p.csv:2: column SKU (白色/M 价格)" in text and "not a number" in text


def test_a_cell_problem_is_data_the_editor_words_in_chinese(tmp_path):
    from suggest.authoring.product_sheet import zh_cell_problem, zh_file_problem

    path = write_gbk(tmp_path / "p.csv", HOODIE.replace("价格139", "价格一百"))
    with pytest.raises(CorpusError) as info:
        read_products(path)
    problem = info.value.problems[0]
    assert (problem.field, problem.code, problem.where) == ("SKU", "not_a_number", f"{path}:2")
    assert problem.values == {"value": "一百", "part": "白色/M 价格"}
    assert zh_file_problem(problem, path, "商品.csv") == "商品.csv 第 2 行：SKU（白色/M 价格）列：“一百”不是数字"
    assert zh_cell_problem(problem) == "SKU（白色/M 价格）：“一百”不是数字"


def test_an_xlsx_bad_number_names_sheet_and_row(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "商品"
    workbook.active.append(["商品ID", "商品名"])
    workbook.active.append(["1001", "卫衣"])
    skus = workbook.create_sheet("SKU")
    skus.append(["商品ID", "颜色", "尺码", "价格", "库存"])
    skus.append(["1001", "黑色", "M", "129", "很多"])
    workbook.save(tmp_path / "p.xlsx")
    text = problem_of(tmp_path / "p.xlsx")
    assert "[SKU]:2: column 库存" in text


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(CorpusError) as info:
        read_products(write_gbk(tmp_path / "p.csv", ",名字,,,,,,,,,\n", "9,,,,,,,,,,\n"))
    assert len(info.value.problems) == 2


def test_a_home_without_a_sheet_has_an_empty_one(tmp_path):
    sheet = load_products(tmp_path)
    assert len(sheet) == 0 and answer("保质期多久", sheet) == []


# ---- writing ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_shipped_sheet_round_trips(tmp_path, shipped, suffix):
    path = tmp_path / f"products{suffix}"
    assert write_products(shipped, path) == len(shipped)
    again = read_products(path)
    assert list(again.products) == list(shipped.products)
    for pid, product in shipped.products.items():
        other = again.get(pid)
        assert (other.name, other.link, other.category, other.attributes, other.skus, other.aliases) == \
            (product.name, product.link, product.category, product.attributes, product.skus, product.aliases)
        # an xlsx 尺码表 sheet has one column per measurement: the order within a size follows the sheet
        assert [(r.size, dict(r.measurements), r.height, r.weight) for r in other.size_chart] == \
            [(r.size, dict(r.measurements), r.height, r.weight) for r in product.size_chart]


def test_a_csv_is_written_with_a_bom_for_excel(tmp_path, shipped):
    write_products(shipped, tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_bytes().startswith(b"\xef\xbb\xbf")


# ---- finding products ---------------------------------------------------------------------------------------------

def test_find_by_id_link_name_alias_and_part(shipped):
    assert shipped.find("712300000101").name == "暖暖加绒连帽卫衣"
    assert shipped.find("https://item.taobao.com/item.htm?spm=a1z10&id=713300000203&ns=1").name == "暖暖每日坚果"
    assert shipped.find("https://item.jd.com/713300000210.html").name == "暖暖低糖燕麦酥"
    assert shipped.find("暖暖圆领羊绒衫").id == "712300000110"
    assert shipped.find("羊绒毛衣").id == "712300000110"  # an alias
    assert shipped.find("羽绒").id == "712300000109"  # a part of one name only
    assert shipped.find("牛肉干") is None  # 五香 or 麻辣?
    assert [p.id for p in shipped.candidates("牛肉干")] == ["713300000201", "713300000202"]
    assert shipped.find("https://item.jd.com/100023456789.html") is None
    assert shipped.find("") is None


def test_an_order_number_never_names_a_product(shipped):
    assert shipped.mentioned("订单7123000001019 什么时候发") == []


def test_mentioned_puts_the_longest_name_first(shipped):
    names = [p.name for p in shipped.mentioned("卫衣和五香牛肉干哪个好")]
    assert names == ["暖暖五香牛肉干", "暖暖加绒连帽卫衣"]


# ---- answers ------------------------------------------------------------------------------------------------------

def only(answers, kind):
    assert answers and all(a.kind == kind for a in answers), answers
    return answers[0]


def test_value_cites_the_cell_verbatim(shipped, templates):
    found = only(answer("每日坚果能放多久", shipped, templates), "value")
    assert (found.attribute, found.value, found.product_ids) == ("保质期", "8个月", ("713300000203",))
    assert found.text == "亲，这款暖暖每日坚果的保质期是8个月哦~"
    assert found.situation == "product_question"


def test_a_size_chart_measurement_for_one_size(shipped, templates):
    found = only(answer("卫衣M码多长", shipped, templates), "value")
    assert (found.attribute, found.value) == ("衣长", "68cm") and "M码的衣长是68cm" in found.text


def test_size_recommendation_between_and_outside(shipped, templates):
    fits = only(answer("我165 52kg卫衣穿什么码", shipped, templates), "size")
    assert fits.value == "M" and "身高165cm、体重52kg" in fits.text
    between = only(answer("身高158 体重48kg 羽绒服穿S还是M", shipped, templates), "size")
    assert between.value == "S和M" and "介于S和M之间" in between.text
    outside = only(answer("身高190 体重100kg 卫衣有我能穿的码吗", shipped, templates), "size")
    assert outside.value is None and outside.needs_check and outside.note


def test_body_measures_in_cm_metres_kg_and_jin():
    assert parse_body("我165 52kg") == parse_body("身高165 体重104斤")
    assert parse_body("一米六五 一百斤").height == 165 and parse_body("一米六五 一百斤").weight == 50
    assert parse_body("1.72米 125斤").height == 172
    assert parse_body("我拍的时候199 现在179").height is None  # prices are not heights


def test_sku_stock_price_and_missing(shipped, templates):
    stock = only(answer("T恤黑色有货吗", shipped, templates), "sku")
    assert stock.value == "S、L、XL、XXL有货，M缺货"
    price = only(answer("大衣燕麦白M码多少钱", shipped, templates), "sku")
    assert (price.attribute, price.value) == ("价格", "629元")
    missing = only(answer("卫衣有白色吗", shipped, templates), "sku")
    assert missing.value is None and "黑色、燕麦色、雾霾蓝" in missing.text


def test_compare_two_products(shipped, templates):
    found = only(answer("五香牛肉干和麻辣牛肉干有什么区别", shipped, templates), "compare")
    assert found.product_ids == ("713300000201", "713300000202")
    assert "配料" in found.text and "52.9元" in found.text
    same = only(answer("五香牛肉干和麻辣牛肉干保质期一样吗", shipped, templates), "compare")
    assert same.value == "9个月"


def test_ask_which_product_when_unknown(shipped, templates):
    found = only(answer("保质期多久", shipped, templates), "ask_product")
    assert found.text == "亲，请问您问的是哪一款呢？可以把商品链接发给我哦~" and found.needs_check
    both = only(answer("牛肉干哪天生产的", shipped, templates), "ask_product")
    assert both.product_ids == ("713300000201", "713300000202")


def test_a_shared_value_answers_an_ambiguous_name(shipped, templates):
    found = only(answer("牛肉干保质期多久", shipped, templates), "value")
    assert found.value == "9个月" and len(found.product_ids) == 2


def test_unknown_attribute_never_invents(shipped, templates):
    found = only(answer("鲜花饼热量多少", shipped, templates), "unknown_attribute")
    assert found.value is None and found.sheet_lacks_attribute and "热量" in found.note
    assert found.text == "亲，这个我帮您确认一下哦，稍等~"


def test_product_from_caller_and_from_context(shipped, templates):
    given = only(answer("保质期多久", shipped, templates, product="https://item.jd.com/713300000210.html"), "value")
    assert given.value == "9个月"
    earlier = only(answer("保质期多长", shipped, templates, context=["在吗", "海苔肉松卷"]), "value")
    assert earlier.value == "150天"
    named = only(answer("鲜花饼保质期多久", shipped, templates, product="713300000210"), "value")
    assert named.value == "60天"  # the product the message names wins over the caller's


@pytest.mark.parametrize("message", ["能便宜点吗", "包邮吗", "几天能到", "怎么退货", "发什么快递", "运费多少钱",
                                     "面料很舒服", "价格能再少点吗", "想换成黑色的 黑色的M还有吧"])
def test_service_questions_fall_through(shipped, templates, message):
    assert answer(message, shipped, templates, product="712300000101") == []


def test_size_advice_without_a_sheet_column_stays_scripted(shipped, templates):
    assert answer("短裤偏大偏小", shipped, templates) == []
    assert answer("尺码偏大还是偏小", shipped, templates) == []  # no product: no "which one?" either
    assert only(answer("羊绒衫偏大还是偏小", shipped, templates), "value").attribute == "版型"


def test_wrong_value_guard(shipped, templates):
    """Every value an answer cites on the shipped set is in the sheet (a cell, a chart entry, a SKU) and in the
    reply's text: nothing is made up."""
    import json

    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for found in answer(row["message"], shipped, templates, row["product"], row["context"]):
            if found.value is None:
                continue
            assert found.value in found.text
            facts = []
            for pid in found.product_ids:
                product = shipped.get(pid)
                facts += list(product.attributes.values()) + [format_size_chart(product.size_chart)]
                facts += [f"{s.price}元" for s in product.skus] + list(product.sizes)
            pieces = [p for p in found.value.replace("，", "、").replace("和", "、").split("、") if p]
            for piece in pieces:
                core = piece.removesuffix("有货").removesuffix("缺货").removesuffix("元").removesuffix("cm")
                core = core.split(" ")[-1].split("/")[-1]
                if core in ("有货", "缺货", ""):
                    continue
                assert any(core in fact for fact in facts), (row["message"], found.value, core)


# ---- templates ----------------------------------------------------------------------------------------------------

def test_the_shipped_templates_load(templates):
    assert templates.situation.id == "product_question" and templates.situation.stage == "presale"
    assert len(templates.texts["value"]) == 2


def test_templates_default_when_absent(tmp_path):
    assert load_templates(tmp_path) == ProductTemplates()


def test_a_bad_template_names_file_line_and_placeholder(tmp_path):
    (tmp_path / "product_replies.yaml").write_text(
        "situation:\n  id: product_question\n  name: 商品咨询\n  stage: presale\ntemplates:\n"
        "  value:\n    - 亲，{商品名}的{颜值}是{值}\n  shrug: 不知道\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        load_templates(tmp_path)
    text = str(info.value)
    assert "product_replies.yaml:6: field 'templates.value': unknown placeholder {颜值}" in text
    assert "product_replies.yaml:8: field 'templates.shrug': unknown template" in text


def test_a_bad_stage_is_named(tmp_path):
    (tmp_path / "product_replies.yaml").write_text("situation:\n  id: product_question\n  name: 商品咨询\n"
                                                   "  stage: sometime\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"product_replies.yaml:4: field 'situation.stage'"):
        load_templates(tmp_path)


# ---- evaluation ---------------------------------------------------------------------------------------------------

def test_the_shipped_set_meets_the_targets(shipped, templates):
    report = evaluate_products(QUERIES, shipped, templates, echo=False)
    assert len(report.outcomes) >= 150
    assert sum(o.case.kind is None for o in report.outcomes) >= 20
    assert report.value_rate >= 0.9
    assert report.wrong_values == [] and report.false_fires == []
    assert report.mean_ms < 5

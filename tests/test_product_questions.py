"""Questions about the product itself, answered from the product sheet through the engine, the API and the CLI;
and, on the sheet directly, what must never happen: another product's value for a kind the shop does not sell,
a guessed value for a property the sheet lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from suggest import cli as cli_module
from suggest.corpus.products import ProductSheet, load_products, read_products
from suggest.engine.product_answers import answer, load_templates
from webapp import create_app


def a_product_with(engine, column: str):
    return next(p for p in engine.products.products.values() if p.attributes.get(column))


def test_an_attribute_question_is_answered_first_with_the_sheets_value(shop):
    product = a_product_with(shop, "材质")
    result = shop.suggest("这个什么材质的呀", product=product.id)
    first = result.suggestions[0]
    assert first.id.startswith("product:") and first.situation == "product_question"
    assert product.attributes["材质"] in first.text and product.name in first.text
    assert result.segments[0].situations[0].name == "商品咨询"
    # named by its link instead of its id, the same answer
    if product.link:
        assert shop.suggest("这个什么材质的呀", product=product.link).suggestions[0].text == first.text


def test_the_answer_stands_in_the_clause_that_asks(shop):
    product = a_product_with(shop, "材质")
    one = shop.suggest("保质期多久", product=product.id)
    assert len(one.segments) == 1 and one.segments[0].situations[0].id == "product_question"
    for message in ("这个什么材质的呀？包邮吗", "能便宜点吗？几天能到？这个什么材质的"):
        result = shop.suggest(message, product=product.id)
        asking = [seg for seg in result.segments if seg.situations and seg.situations[0].id == "product_question"]
        assert len(asking) == 1 and "材质" in asking[0].text, message
        assert len({seg.text for seg in result.segments}) == len(result.segments)  # no clause shown twice
    assert not any(word in asking[0].text for word in ("便宜", "几天"))  # not under another clause's question


def test_an_unknown_product_is_asked_about_and_a_service_question_is_left_to_the_scripted_replies(shop):
    unknown = shop.suggest("这个M码多长").suggestions[0]
    assert unknown.id.startswith("product:ask_product") and "哪一款" in unknown.text and unknown.note
    assert not any(s.id.startswith("product:") for s in shop.suggest("能便宜点吗 包邮不").suggestions)


def test_the_api_takes_the_product_and_counts_feedback_on_an_answer_built_from_the_sheet(shop):
    client = create_app(shop.settings, engine=shop).test_client()
    product = a_product_with(shop, "材质")
    body = client.post("/api/v1/suggest", json={"message": "什么面料", "product": product.name}).get_json()
    first = body["suggestions"][0]
    assert product.attributes["材质"] in first["text"] and "note" in first
    sent = client.post("/api/v1/feedback", json={"message": "什么面料", "reply_id": first["id"], "action": "copied"})
    assert sent.status_code == 201
    bad = client.post("/api/v1/suggest", json={"message": "什么面料", "product": " "})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "product"


def test_the_cli_takes_the_product(shop):
    product = a_product_with(shop, "材质")
    result = CliRunner().invoke(cli_module.main, ["--home", str(shop.settings.home), "query", "啥材质",
                                                  "--product", product.id])
    assert result.exit_code == 0, result.output
    assert product.attributes["材质"] in result.output.split("suggestions:")[1].splitlines()[1]


def test_agents_find_a_product_by_part_of_its_name_and_workers_see_a_new_sheet(shop):
    from suggest.authoring.editing import EditingService
    from suggest.authoring.history import History
    from suggest.corpus.products import ProductSheet, write_products

    client = create_app(shop.settings, engine=shop).test_client()
    product = a_product_with(shop, "材质")
    found = client.get("/api/v1/products", query_string={"q": product.name[-4:]}).get_json()["products"]
    assert product.id in [p["id"] for p in found]
    assert client.get("/api/v1/products", query_string={"q": "没有这种东西"}).get_json() == {"products": []}
    # another process replaces the sheet: this one answers from the new sheet at its next request
    service = EditingService(shop, History(shop.settings.data_dir / "history.sqlite3"))
    write_products(ProductSheet({}), shop.settings.corpus_dir / "products.csv")
    assert service.refresh_if_changed()
    assert not any(s.id.startswith("product:") for s in shop.suggest("这个什么材质的呀", product=product.id).suggestions)


# ---- the product sheet read directly: kinds of product, unknown attributes, stock ------------------------------

CORPUS = Path(__file__).parent.parent / "corpus"
VALUE_KINDS = ("value", "size", "sku", "compare")


@pytest.fixture(scope="module")
def sheet() -> ProductSheet:
    return load_products(CORPUS)


@pytest.fixture(scope="module")
def texts():
    return load_templates(CORPUS)


def cited(answers) -> list:
    return [a for a in answers if a.kind in VALUE_KINDS and a.value is not None]


@pytest.mark.parametrize("message", [
    "羊毛围巾什么材质",  # 羊毛 is a modifier of 羊毛大衣, 围巾 no product's kind
    "牛仔外套多少钱", "牛仔裙多少钱",  # 牛仔 of 牛仔裤
    "儿童羽绒服多少钱", "男士卫衣什么面料", "儿童卫衣多少钱",  # the audience differs from the product's
    "猪肉干多少钱", "原味牛肉干保质期多久",  # 猪肉 of 猪肉脯, 原味 of 原味猪肉脯
    "冲锋衣防水吗", "辣条保质期多久", "打底裤什么面料", "短袖衬衫多少钱", "雪纺衬衫什么材质", "冰丝袖套多少钱",
    "羽绒被多少钱", "防晒霜多少钱", "运动裤多少钱",
])
def test_a_kind_of_product_the_sheet_does_not_sell_is_never_answered_with_another_products_value(sheet, texts,
                                                                                                   message):
    found = answer(message, sheet, texts)
    assert found and all(a.kind == "ask_product" and a.value is None for a in found), found


def test_an_unsold_kind_outweighs_the_product_in_view_and_the_conversation(sheet, texts):
    hoodie = sheet.find("卫衣")
    found = answer("那件外套什么面料", sheet, texts, product=hoodie.id)
    assert [a.kind for a in found] == ["ask_product"] and not cited(found)
    assert "外套" in found[0].text and "外套" in found[0].note and found[0].needs_check
    earlier = answer("这个围巾多少钱", sheet, texts, context=["羊毛大衣还有吗"])
    assert earlier and not cited(earlier)


@pytest.mark.parametrize("message, product_name, column", [
    ("男士运动短裤多少钱", "暖暖男士速干运动短裤", "价格"),  # the audience and the kind agree
    ("女士卫衣多少钱", "暖暖加绒连帽卫衣", "价格"),
    ("麻辣牛肉干跟五香的比哪个辣", "暖暖五香牛肉干", None),  # 五香 beside the kind named just before
    ("大衣里面能穿毛衣吗", "暖暖双面羊毛大衣", "版型"),  # the 毛衣 worn inside is not asked about
    ("卫衣羽绒服哪个暖和", "暖暖加绒连帽卫衣", "厚度"),  # two kinds in a row, each sold: two products
])
def test_a_product_is_matched_on_its_kind_noun_or_alias(sheet, texts, message, product_name, column):
    found = answer(message, sheet, texts)
    ids = {pid for a in found for pid in a.product_ids}
    assert found and sheet.find(product_name).id in ids, found
    assert column is None or found[0].attribute == column


@pytest.mark.parametrize("message, attribute", [
    ("T恤有没有口袋", "口袋"), ("卫衣的帽子可以拆下来吗", "帽子"), ("羽绒服是拉链款吗", "拉链"),
    ("牛肉干执行标准是什么", "执行标准"), ("麻花的SC编号发一下", "生产许可证"), ("每日坚果蛋白质含量高吗", "营养成分"),
    ("大衣防水吗", "防水"),
])
def test_a_property_the_sheet_has_no_column_for_is_answered_as_unknown(sheet, texts, message, attribute):
    found = answer(message, sheet, texts)
    assert found and all(a.kind == "unknown_attribute" for a in found), found
    assert found[0].attribute == attribute and found[0].value is None and found[0].needs_check
    assert attribute in found[0].note


def test_a_part_the_sheet_names_is_cited_and_a_part_it_does_not_is_left_alone(sheet, texts):
    pocket = answer("短裤有口袋吗", sheet, texts)
    assert pocket[0].kind == "value" and "口袋" in pocket[0].value
    assert answer("阔腿裤有没有内衬", sheet, texts) == []  # not a known property, and no cell names it


@pytest.mark.parametrize("message", ["卫衣能机洗吗", "拉链结实吗 会不会坏", "大衣做工怎么样", "羽绒服会掉毛吗",
                                     "牛仔裤有色差吗", "帽子可以退吗", "冬天发货会不会慢", "多少钱包邮",
                                     "口袋那里有线头", "两件一起拍能便宜几块吗"])
def test_service_questions_about_a_known_product_do_not_fire(sheet, texts, message):
    assert answer(message, sheet, texts, product=sheet.find("卫衣").id) == []


@pytest.mark.parametrize("message, attribute", [
    ("卫衣棉含量多少", "材质"), ("大衣是100%羊毛的吗", "材质"), ("羊绒衫是纯山羊绒吗", "材质"),
    ("羽绒服零下能穿吗", "厚度"), ("卫衣冷不冷啊", "厚度"), ("大衣冬天够不够暖", "厚度"),
    ("牛仔裤紧不紧", "版型"), ("阔腿裤是松紧腰吗", "版型"),
    ("每日坚果里面都有啥", "配料"), ("坚果礼盒都有哪些坚果", "配料"),
    ("草莓脆是几袋装的", "规格"), ("饼干一盒几包", "规格"),
])
def test_attribute_families_reach_their_column(sheet, texts, message, attribute):
    found = answer(message, sheet, texts)
    assert found and found[0].kind == "value" and found[0].attribute == attribute, found


def test_stock_says_how_many_are_left_when_few_are(sheet, texts, tmp_path):
    few = answer("大衣驼色M码还有吗", sheet, texts)[0]
    assert few.value == "有货" and "有货，仅剩3件" in few.text  # the answer stays 有货, the count is said too
    some = answer("T恤黑色有货吗", sheet, texts)[0]
    assert some.value == "S、L、XL、XXL有货，M缺货" and "XXL仅剩4件" in some.text
    plenty = answer("卫衣黑色M码还有货吗", sheet, texts)[0]
    assert plenty.value == "有货"
    out = answer("卫衣燕麦色M有吗", sheet, texts)[0]
    assert out.value == "缺货"
    asked = answer("还有吗", sheet, texts, product=sheet.find("阔腿裤").id)[0]
    assert asked.kind == "sku" and asked.value == "黑色、灰色有货，杏色缺货"
    counted = tmp_path / "products.csv"  # a stock counted per product, not per SKU
    counted.write_text("商品ID,商品名,别名,库存\n1,暖暖围巾,围巾,2\n2,暖暖手套,手套,0\n", encoding="utf-8")
    small = read_products(counted)
    assert answer("围巾还有货吗", small, texts)[0].value == "有货，仅剩2件"
    assert answer("手套还有货吗", small, texts)[0].value == "缺货"


def test_a_sheet_whose_names_hold_no_known_kind_still_matches_on_fragments(tmp_path, texts):
    path = tmp_path / "products.csv"
    path.write_text("商品ID,商品名,保质期\n9,暖暖桂花糯米藕,7天\n", encoding="utf-8")
    found = answer("糯米藕保质期多久", read_products(path), texts)
    assert found and found[0].value == "7天"

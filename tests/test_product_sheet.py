"""Editing the product sheet: one product at a time (validated, conflict-checked, recorded, revertible), a whole
file imported after a preview (all or nothing), exported; through the service and through the /editor/products
page."""

from __future__ import annotations

import html as markup
import io
import re
from pathlib import Path

import pytest

from suggest.authoring.editing import EditingService
from suggest.authoring.history import History
from suggest.authoring.product_sheet import comparable, product_dict, product_form
from suggest.authoring.refusals import Conflict, Invalid
from suggest.corpus.products import load_products, read_products

SHIPPED = Path(__file__).resolve().parent.parent / "corpus"
HOODIE = "712300000101"  # 暖暖加绒连帽卫衣 in the shipped sheet
JERKY = "713300000201"  # 暖暖五香牛肉干


@pytest.fixture
def service(shop) -> EditingService:
    return EditingService(shop, History(shop.settings.data_dir / "history.sqlite3"))


def sheet_file(engine) -> Path:
    return engine.settings.corpus_dir / "products.csv"


def material_answer(engine, product_id: str) -> str:
    first = engine.suggest("这个什么材质的呀", product=product_id).suggestions[0]
    assert first.id.startswith("product:"), first
    return first.text


def with_attribute(form: dict, name: str, value: str) -> dict:
    rows = [dict(r) for r in form["attributes"]]
    for row in rows:
        if row["name"] == name:
            row["value"] = value
            break
    else:
        rows.append({"name": name, "value": value})
    return {**form, "attributes": rows}


def gbk_csv(rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(f'"{c}"' if "," in c else c for c in row) for row in rows).encode("gbk")


# ---- the service ----------------------------------------------------------------------------------------------

def test_a_saved_product_is_answered_at_once_written_recorded_and_reverted(service, shop):
    form = product_form(shop.products.get(HOODIE))
    old = shop.products.get(HOODIE).attributes["材质"]
    change = service.products.save(with_attribute(form, "材质", "棉80% 聚酯纤维20%"), "alice", form["version"])
    assert "棉80% 聚酯纤维20%" in material_answer(shop, HOODIE)
    assert read_products(sheet_file(shop)).get(HOODIE).attributes["材质"] == "棉80% 聚酯纤维20%"
    assert change.action == "edit_product" and change.action_name == "修改商品" and change.target == "products.csv"
    assert change.before["products"][HOODIE]["attributes"][0] == ["材质", old]
    assert list(read_products(sheet_file(shop)).products)[0] == HOODIE  # kept its place in the sheet

    service.revert(change.id, "bob")
    assert old in material_answer(shop, HOODIE)
    assert read_products(sheet_file(shop)).get(HOODIE).attributes["材质"] == old
    assert [c.action for c in service.history.list(limit=2)] == ["revert", "edit_product"]
    with pytest.raises(Invalid):  # nothing left to undo
        service.revert(change.id, "bob")


def test_bad_cells_and_ids_are_refused_naming_the_field_and_nothing_is_written(service, shop):
    before = sheet_file(shop).read_bytes()
    form = product_form(shop.products.get(HOODIE))
    bad = {**form, "size_chart": "S: 衣长66 胸围很宽\nM 衣长68", "skus": "黑色/S: 价格129 库存很多"}
    with pytest.raises(Invalid) as err:
        service.products.save(bad, "alice", form["version"])
    problems = {p["field"]: p["message"] for p in err.value.problems}
    assert problems["size_chart"].startswith("尺码表") and "“胸围很宽”" in problems["size_chart"]
    assert problems["skus"].startswith("SKU（黑色/S 库存）") and "很多" in problems["skus"]

    new = {**product_form(None), "id": JERKY, "name": "又一个牛肉干"}
    with pytest.raises(Invalid) as err:  # a new product may not take an id in use
        service.products.save(new, "alice", None)
    assert err.value.problems[0]["field"] == "id" and "暖暖五香牛肉干" in err.value.problems[0]["message"]
    odd = {**product_form(None), "id": "A 1", "name": "", "attributes": [{"name": "SKU", "value": "x"},
                                                                        {"name": "", "value": "红色"}]}
    with pytest.raises(Invalid) as err:
        service.products.save(odd, "alice", None)
    fields = [p["field"] for p in err.value.problems]
    assert fields == ["id", "name", "attributes[1].name", "attributes[2].name"]
    assert all(re.search(r"[\u4e00-\u9fff]", p["message"]) for p in err.value.problems)
    assert sheet_file(shop).read_bytes() == before and service.history.list() == []


def test_a_product_saved_or_deleted_from_a_stale_page_is_a_conflict(service, shop):
    form = product_form(shop.products.get(HOODIE))
    service.products.save(with_attribute(form, "产地", "浙江宁波"), "bob", form["version"])
    with pytest.raises(Conflict) as err:
        service.products.save(with_attribute(form, "产地", "浙江温州"), "alice", form["version"])
    assert err.value.theirs["name"] == "暖暖加绒连帽卫衣"
    with pytest.raises(Conflict):
        service.products.delete(HOODIE, "alice", form["version"])
    assert shop.products.get(HOODIE).attributes["产地"] == "浙江宁波"
    assert service.products.save(service.products.form(HOODIE), "alice", service.products.form(HOODIE)["version"]) \
        is None  # saving what is there changes nothing and records nothing
    assert len(service.history.list()) == 1


def test_a_product_is_added_renamed_deleted_and_each_change_reverted(service, shop):
    new = {**product_form(None), "id": "800000000001", "name": "暖暖羊毛围巾", "category": "配饰",
           "attributes": [{"name": "材质", "value": "羊毛100%"}], "skus": "灰色: 价格89 库存5"}
    added = service.products.save(new, "alice", None)
    assert added.action == "add_product" and list(shop.products.products)[-1] == "800000000001"
    assert "羊毛100%" in material_answer(shop, "800000000001")

    form = service.products.form(JERKY)
    renamed = service.products.save({**form, "id": "713300000299"}, "alice", form["version"])
    order = list(shop.products.products)
    assert JERKY not in order and order.index("713300000299") == 10
    service.revert(renamed.id, "alice")
    assert list(shop.products.products).index(JERKY) == 10 and "713300000299" not in shop.products.products

    form = service.products.form(HOODIE)
    deleted = service.products.delete(HOODIE, "alice", form["version"])
    assert HOODIE not in shop.products.products and HOODIE not in read_products(sheet_file(shop)).products
    assert deleted.action_name == "删除商品"
    service.revert(deleted.id, "alice")
    shipped = read_products(SHIPPED / "products.csv").get(HOODIE)
    assert comparable(product_dict(shop.products.get(HOODIE))) == comparable(product_dict(shipped))


def test_a_gbk_csv_with_chinese_headers_is_previewed_then_imported_whole_and_reverted(service, shop, tmp_path):
    upload = tmp_path / "商品.csv"
    upload.write_bytes(gbk_csv([
        ["商品编号", "商品名称", "分类", "材质", "尺码表", "SKU"],
        [HOODIE, "暖暖加绒连帽卫衣", "女装", "纯棉", "S: 衣长66 身高150-158; M: 衣长68 身高158-165", "黑色/S: 价格129 库存3"],
        ["900000000001", "暖暖真丝眼罩", "家居", "桑蚕丝", "", "黑色: 价格39"],
    ]))
    before = sheet_file(shop).read_bytes()
    preview = service.products.preview_import(upload, "商品.csv")
    assert preview.ok and preview.count == 2
    assert [p["id"] for p in preview.added] == ["900000000001"]
    assert preview.changed[0]["id"] == HOODIE and "属性" in preview.changed[0]["fields"]
    assert len(preview.removed) == len(load_products(SHIPPED)) - 1  # the file replaces the whole sheet
    assert sheet_file(shop).read_bytes() == before  # a preview writes nothing

    _, change = service.products.import_file(upload, "商品.csv", "alice", preview.base)
    assert change.action == "import_products" and list(shop.products.products) == [HOODIE, "900000000001"]
    assert "桑蚕丝" in material_answer(shop, "900000000001")
    assert read_products(sheet_file(shop)).get(HOODIE).attributes == {"材质": "纯棉"}

    service.revert(change.id, "alice")
    shipped = read_products(SHIPPED / "products.csv")
    assert [comparable(product_dict(p)) for p in shop.products] == [comparable(product_dict(p)) for p in shipped]


def test_an_import_with_a_bad_row_names_line_and_column_and_writes_nothing(service, shop, tmp_path):
    upload = tmp_path / "bad.csv"
    upload.write_bytes(gbk_csv([["商品ID", "商品名", "尺码表"], ["1001", "甲", "S: 衣长66"], ["1002", "", ""],
                                ["1003", "丙", "S 衣长66"]]))
    preview = service.products.preview_import(upload, "bad.csv")
    assert not preview.ok
    assert preview.errors == ["bad.csv 第 3 行：商品名列：是空的",
                              "bad.csv 第 4 行：尺码表列：“S 衣长66”前面要先写尺码和冒号，例如 S: 衣长66 胸围112 身高150-158 体重40-50kg"]
    with pytest.raises(Invalid):
        service.products.import_file(upload, "bad.csv", "alice", preview.base)
    assert len(shop.products) == len(load_products(SHIPPED)) and service.history.list() == []


def test_an_import_previewed_before_someone_saved_is_a_conflict(service, shop, tmp_path):
    upload = tmp_path / "one.csv"
    upload.write_bytes(gbk_csv([["商品ID", "商品名"], ["1001", "甲"]]))
    preview = service.products.preview_import(upload, "one.csv")
    form = service.products.form(HOODIE)
    service.products.save(with_attribute(form, "产地", "浙江宁波"), "bob", form["version"])
    with pytest.raises(Conflict):
        service.products.import_file(upload, "one.csv", "alice", preview.base)
    assert HOODIE in shop.products.products


def test_the_sheet_exports_as_xlsx_and_csv_that_read_back_the_same(service, shop, tmp_path):
    for name in ("out.xlsx", "out.csv"):
        assert service.products.export(tmp_path / name) == len(shop.products)
        again = read_products(tmp_path / name)
        assert [comparable(product_dict(p)) for p in again] == [comparable(product_dict(p)) for p in shop.products]


# ---- the page -------------------------------------------------------------------------------------------------

@pytest.fixture
def editor(shop):
    from tests.test_editor_api import PASSWORD, Editor
    from suggest.authoring.accounts import set_editor_password
    from webapp import create_app

    set_editor_password(shop.settings.home / "editors.toml", "alice", PASSWORD)
    return Editor(create_app(shop.settings, engine=shop), "alice")


def page_form(html: str, product_id: str) -> dict:
    """The fields of one product's edit form on the page, as the browser would post them."""
    start = html.index(f'id="product-{product_id}"')
    block = html[start:html.index("</form>", start)]
    fields: dict = {"attr_name": [], "attr_value": []}
    for name, value in re.findall(r'<input[^>]*?name="(\w+)" value="([^"]*)"', block):
        if name in ("attr_name", "attr_value"):
            fields[name].append(value)
        else:
            fields[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>([^<]*)</textarea>', block):
        fields[name] = value
    return {k: [markup.unescape(x) for x in v] if isinstance(v, list) else markup.unescape(v)
            for k, v in fields.items()}


def test_the_page_lists_searches_and_filters_the_products(editor, shop):
    html = editor.get("/editor/products").get_data(as_text=True)
    assert html.count("<h1>") == 1 and "<h1>商品表</h1>" in html
    assert f"共 <strong>{len(shop.products)}</strong> 个商品" in html and 'aria-current="page">商品</a>' in html
    assert html.count('data-product="') == len(shop.products)
    found = editor.get("/editor/products?q=牛肉干").get_data(as_text=True)
    assert re.findall(r'data-product="(\d+)"', found) == [JERKY, "713300000202"] and "找到 <strong>2</strong>" in found
    linked = editor.get(f"/editor/products?q=https://item.taobao.com/item.htm?id={HOODIE}").get_data(as_text=True)
    assert re.findall(r'data-product="(\d+)"', linked) == [HOODIE]
    snacks = editor.get("/editor/products?category=零食").get_data(as_text=True)
    assert len(re.findall(r'data-product="', snacks)) == sum(p.category == "零食" for p in shop.products)


def test_a_bad_size_chart_is_refused_on_the_page_with_what_was_typed_and_a_good_save_is_answered_at_once(editor,
                                                                                                         shop):
    html = editor.get("/editor/products").get_data(as_text=True)
    form = page_form(html, HOODIE)
    assert form["id"] == HOODIE and "材质" in form["attr_name"] and form["size_chart"].startswith("S: 衣长66")
    form["attr_value"][form["attr_name"].index("材质")] = "棉90% 氨纶10%"
    form["size_chart"] = "S: 衣长66 胸围好几十\nM: 衣长68"
    refused = editor.client.post("/editor/products/save", data={**form, "csrf_token": editor.token})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "没有保存" in text
    assert "尺码表：尺码 S 的“胸围好几十”应当是名称加数字或范围" in text and 'aria-invalid="true"' in text
    assert "S: 衣长66 胸围好几十\nM: 衣长68</textarea>" in text and 'value="棉90% 氨纶10%"' in text  # nothing typed is lost
    assert shop.products.get(HOODIE).attributes["材质"] != "棉90% 氨纶10%"

    form["size_chart"] = "S: 衣长66 胸围112\nM: 衣长68 胸围116"
    saved = editor.client.post("/editor/products/save", data={**form, "csrf_token": editor.token})
    assert saved.status_code == 302 and f"saved={HOODIE}" in saved.headers["Location"]
    assert "棉90% 氨纶10%" in material_answer(shop, HOODIE)
    assert [r.size for r in shop.products.get(HOODIE).size_chart] == ["S", "M"]
    shown = editor.get(saved.headers["Location"]).get_data(as_text=True)
    assert f"已保存商品 {HOODIE}" in shown


def test_delete_needs_the_confirmation_box(editor, shop):
    form = page_form(editor.get("/editor/products").get_data(as_text=True), JERKY)
    data = {"csrf_token": editor.token, "id": JERKY, "version": form["version"]}
    refused = editor.client.post("/editor/products/delete", data=data)
    assert refused.status_code == 422 and "确认删除" in refused.get_data(as_text=True)
    assert JERKY in shop.products.products
    done = editor.client.post("/editor/products/delete", data={**data, "confirm": "1"})
    assert done.status_code == 302 and JERKY not in shop.products.products


def test_import_on_the_page_previews_then_commits_and_export_downloads(editor, shop):
    upload = gbk_csv([["商品ID", "商品名", "材质"], [HOODIE, "暖暖加绒连帽卫衣", "纯羊毛"], ["900000000002", "暖暖羊绒袜", "羊绒"]])
    preview = editor.client.post("/editor/products/import", data={"csrf_token": editor.token,
                                                                  "file": (io.BytesIO(upload), "新商品表.csv")},
                                 content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "导入预览：新商品表.csv" in html and "确认导入" in html
    assert "暖暖羊绒袜" in html and shop.products.get("900000000002") is None
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    done = editor.client.post("/editor/products/import/commit", data={"csrf_token": editor.token, "token": token})
    assert done.status_code == 302 and "imported=" in done.headers["Location"]
    assert list(shop.products.products) == [HOODIE, "900000000002"]
    assert "纯羊毛" in material_answer(shop, HOODIE)
    again = editor.client.post("/editor/products/import/commit", data={"csrf_token": editor.token, "token": token})
    assert again.status_code == 422 and "预览已过期" in again.get_data(as_text=True)

    wrong = editor.client.post("/editor/products/import", data={"csrf_token": editor.token,
                                                                "file": (io.BytesIO(b"x"), "products.txt")},
                               content_type="multipart/form-data")
    assert wrong.status_code == 422 and "不支持的文件类型 .txt" in wrong.get_data(as_text=True)

    xlsx = editor.get("/editor/products/export/xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    path = shop.settings.home / "exported.xlsx"
    path.write_bytes(xlsx.data)
    assert list(read_products(path).products) == [HOODIE, "900000000002"]
    csv = editor.get("/editor/products/export/csv")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff商品ID".encode("utf-8"))
    assert editor.get("/editor/products/export/pdf").status_code == 404


def test_a_sheet_larger_than_the_request_limit_uploads_and_one_past_the_upload_limit_is_refused_in_chinese(editor,
                                                                                                        shop):
    rows = [["商品ID", "商品名", "卖点"]] + [[str(100000 + i), f"暖暖商品{i}", "面料柔软亲肤" * 12] for i in range(400)]
    data = gbk_csv(rows)
    assert len(data) > shop.settings.max_body_bytes  # the API's limit does not apply to this upload

    def upload():
        return editor.client.post("/editor/products/import", content_type="multipart/form-data",
                                  data={"csrf_token": editor.token, "file": (io.BytesIO(data), "大表.csv")})

    shown = upload()
    assert shown.status_code == 200 and "新增</span> 400 个" in shown.get_data(as_text=True)
    editor.client.application.config["EDITOR_MAX_UPLOAD_BYTES"] = len(data) // 2
    refused = upload()
    assert refused.status_code == 413 and "文件太大" in refused.get_data(as_text=True)


def test_a_save_from_a_page_opened_before_someone_elses_is_refused_keeping_what_was_typed(editor, shop):
    form = page_form(editor.get("/editor/products").get_data(as_text=True), JERKY)
    service = editor.client.application.extensions["editing"]
    current = service.products.form(JERKY)
    service.products.save(with_attribute(current, "价格", "45.9"), "bob", current["version"])
    form["attr_value"][form["attr_name"].index("价格")] = "39.9"
    refused = editor.client.post("/editor/products/save", data={**form, "csrf_token": editor.token})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "被别人改过了" in text and 'value="39.9"' in text
    assert shop.products.get(JERKY).attributes["价格"] == "45.9"

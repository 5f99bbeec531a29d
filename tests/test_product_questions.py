"""Questions about the product itself, answered from the product sheet through the engine, the API and the CLI."""

from __future__ import annotations

from click.testing import CliRunner

from suggest import cli as cli_module
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

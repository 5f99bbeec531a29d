"""Many shops on one server: each answers from its own replies only, all share the loaded model, and shops
come and go without a restart."""

import shutil

import pytest
from click.testing import CliRunner

from suggest.cli import main
from suggest.corpus.files import write_corpus
from suggest.corpus.interchange import export_corpus
from suggest.settings import load_settings
from suggest.shops.homes import add_shop, remove_shop
from suggest.usage.feedback import FeedbackStore
from suggest.usage.learning import LearningStore
from tests.fixtures.product_shop import PRODUCT_FILES, SHIPPED
from tests.fixtures.shops import shop_corpus
from webapp import create_app


@pytest.fixture
def server(fresh_engine, home):
    settings = load_settings(home, env={})
    add_shop(settings, "alpha", shop_corpus(fresh_engine.corpus, "a", "甲店"))
    add_shop(settings, "beta", shop_corpus(fresh_engine.corpus, "b", "乙店"))
    app = create_app(settings, engine=fresh_engine)
    return app, app.test_client(), settings


def _ask(client, path, message="能便宜点吗 包邮吗"):
    return client.post(path, json={"message": message})


def test_each_shop_answers_from_its_own_replies_only(server, fresh_engine):
    app, client, _ = server
    for shop, prefix, mark in (("alpha", "a-", "甲店"), ("beta", "b-", "乙店")):
        answer = _ask(client, f"/api/v1/shops/{shop}/suggest")
        assert answer.status_code == 200
        suggestions = answer.get_json()["suggestions"]
        assert suggestions and all(s["id"].startswith(prefix) and mark in s["text"] for s in suggestions)
        assert {s["situation"] for s in suggestions} >= {"bargain", "free_shipping"}
    default = _ask(client, "/api/v1/suggest").get_json()["suggestions"]
    assert default and all(s["id"] in fresh_engine.corpus.replies for s in default)
    registry = app.extensions["shops"]
    assert registry.engine("alpha").embedder is registry.engine("beta").embedder is fresh_engine.embedder


def test_unknown_and_badly_named_shops_are_refused(server):
    _, client, _ = server
    unknown = _ask(client, "/api/v1/shops/gamma/suggest")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    assert "gamma" in unknown.get_json()["error"]["message"]
    bad = _ask(client, "/api/v1/shops/Shop%20A/suggest")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "shop"


def test_shops_come_and_go_while_the_server_runs(server, fresh_engine):
    _, client, settings = server
    assert _ask(client, "/api/v1/shops/alpha/suggest").status_code == 200
    remove_shop(settings, "alpha")
    assert _ask(client, "/api/v1/shops/alpha/suggest").status_code == 404
    add_shop(settings, "alpha", shop_corpus(fresh_engine.corpus, "c", "丙店"))  # the name given to a new shop
    again = _ask(client, "/api/v1/shops/alpha/suggest").get_json()["suggestions"]
    assert again and all(s["id"].startswith("c-") for s in again)
    # replies imported into a shop being served (`suggest --home <home>/shops/beta corpus import`)
    assert _ask(client, "/api/v1/shops/beta/suggest").get_json()["suggestions"][0]["id"].startswith("b-")
    write_corpus(shop_corpus(fresh_engine.corpus, "d", "戊店"), settings.home / "shops" / "beta" / "corpus")
    imported = _ask(client, "/api/v1/shops/beta/suggest").get_json()["suggestions"]
    assert imported and all(s["id"].startswith("d-") for s in imported)


def test_a_shop_is_not_loaded_again_when_only_files_beside_its_corpus_change(server):
    """Its keys or its feedback written change its folder, not its corpus: its next request must not pay a load."""
    app, client, settings = server
    registry = app.extensions["shops"]
    assert _ask(client, "/api/v1/shops/alpha/suggest").status_code == 200
    engine = registry.engine("alpha")
    (settings.home / "shops" / "alpha" / "api_keys.txt").write_text("alpha-key\n", encoding="utf-8")
    asked = client.post("/api/v1/shops/alpha/suggest", json={"message": "包邮吗"}, headers={"X-API-Key": "alpha-key"})
    assert asked.status_code == 200
    assert registry.engine("alpha") is engine
    remove_shop(settings, "alpha")
    assert _ask(client, "/api/v1/shops/alpha/suggest").status_code == 404


def test_a_worker_keeps_at_most_shops_loaded_engines(fresh_engine, home):
    settings = load_settings(home, env={})
    add_shop(settings, "alpha", shop_corpus(fresh_engine.corpus, "a", "甲店"))
    add_shop(settings, "beta", shop_corpus(fresh_engine.corpus, "b", "乙店"))
    app = create_app(settings.replace(shops_loaded=1), engine=fresh_engine)
    client = app.test_client()
    registry = app.extensions["shops"]
    for shop in ("alpha", "beta", "alpha"):
        assert _ask(client, f"/api/v1/shops/{shop}/suggest").status_code == 200
    assert registry.loaded() == ["alpha"]


def test_the_shops_are_listed_and_the_document_states_their_routes(server):
    _, client, _ = server
    listed = client.get("/api/v1/shops").get_json()["shops"]
    assert listed == [{"name": name, "api": f"/api/v1/shops/{name}", "suggest": f"/api/v1/shops/{name}/suggest"}
                      for name in ("alpha", "beta")]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method, operation_id in (("/api/v1/shops/{shop}/suggest", "post", "suggestForShop"),
                                       ("/api/v1/shops/{shop}/feedback", "post", "addFeedbackForShop"),
                                       ("/api/v1/shops/{shop}/replies/{reply_id}", "get", "getReplyForShop"),
                                       ("/api/v1/shops/{shop}/products", "get", "listProductsForShop")):
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        assert "404" in operation["responses"] and any(p["name"] == "shop" for p in operation["parameters"])


def test_every_route_answers_for_a_shop_from_its_own_corpus_and_keeps_its_feedback_apart(server):
    app, client, settings = server
    alpha = settings.home / "shops" / "alpha"
    for name in PRODUCT_FILES:  # alpha has a product sheet, beta none
        shutil.copy(SHIPPED / name, alpha / "corpus" / name)
    products = client.get("/api/v1/shops/alpha/products?q=").get_json()["products"]
    assert products and client.get("/api/v1/shops/beta/products?q=").get_json()["products"] == []
    assert client.get("/api/v1/products?q=").get_json()["products"] == []

    reply_id = _ask(client, "/api/v1/shops/alpha/suggest").get_json()["suggestions"][0]["id"]
    assert client.get(f"/api/v1/shops/alpha/replies/{reply_id}").get_json()["text"].startswith("【甲店】")
    assert client.get(f"/api/v1/shops/beta/replies/{reply_id}").status_code == 404
    assert client.get(f"/api/v1/replies/{reply_id}").status_code == 404
    batch = client.post("/api/v1/shops/beta/suggest/batch", json={"messages": ["能便宜点吗", "发什么快递"]})
    assert all(s["id"].startswith("b-") for r in batch.get_json()["results"] for s in r["suggestions"])
    assert client.get("/api/v1/shops/gamma/situations").status_code == 404

    choice = {"message": "能便宜点吗 我的手机13812345678", "reply_id": reply_id, "action": "copied"}
    assert client.post("/api/v1/shops/alpha/feedback", json=choice).status_code == 201
    refused = client.post("/api/v1/shops/beta/feedback", json=choice)  # not one of beta's replies
    assert refused.status_code == 404 and refused.get_json()["error"]["field"] == "reply_id"
    kept = FeedbackStore(alpha / "var" / "feedback.sqlite3").recent()
    assert [(r.reply_id, r.action) for r in kept] == [(reply_id, "copied")] and "13812345678" not in kept[0].message
    assert FeedbackStore(settings.data_dir / "feedback.sqlite3").recent() == []
    assert LearningStore(alpha / "var" / "learning.sqlite3").count("pending") == 1  # review mode: for alpha's editors
    assert LearningStore(settings.data_dir / "learning.sqlite3").count("pending") == 0


def test_shop_commands(fresh_engine, home, tmp_path):
    source = tmp_path / "replies.jsonl"
    export_corpus(shop_corpus(fresh_engine.corpus, "g", "丁店"), source)
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, ["--home", str(home), "shop", *args], input=input)

    added = run("add", "gamma", "--from", str(source))
    assert added.exit_code == 0, added.output
    assert "/api/v1/shops/gamma/suggest" in added.output and (home / "shops" / "gamma" / "index").is_dir()
    assert run("add", "gamma", "--from", str(source)).output.strip().endswith("exists already")
    refused = run("add", "Shop A")
    assert refused.exit_code == 1 and "lowercase letters" in refused.output
    assert run("list").output.split("\t")[:3] == ["gamma", "8 situations", f"{len(fresh_engine.corpus.replies)} replies\n"]
    assert run("remove", "gamma", input="n\n").exit_code == 1  # asked, and nothing removed
    assert (home / "shops" / "gamma").is_dir()
    assert run("remove", "gamma", "--yes").exit_code == 0 and not (home / "shops" / "gamma").exists()
    assert "no shops" in run("list").output


def test_a_shops_keys_open_its_routes_only_and_a_team_leads_key_opens_every_shop(server):
    _, client, settings = server

    def status(path, key=None):
        headers = {"X-API-Key": key} if key else {}
        return client.post(path, json={"message": "能便宜点吗"}, headers=headers).status_code

    (settings.home / "shops" / "alpha" / "api_keys.txt").write_text("alpha-key\n", encoding="utf-8")
    # a server without keys of its own: alpha is closed all the same, the rest stays open
    assert status("/api/v1/shops/alpha/suggest") == 401
    assert status("/api/v1/shops/alpha/suggest", "alpha-key") == 200
    assert status("/api/v1/shops/beta/suggest") == 200 and status("/api/v1/suggest") == 200
    (settings.home / "api_keys.txt").write_text("# team leads\nlead-key\n", encoding="utf-8")
    assert status("/api/v1/shops/alpha/suggest", "lead-key") == 200
    assert status("/api/v1/shops/beta/suggest", "lead-key") == 200 and status("/api/v1/suggest", "lead-key") == 200
    assert status("/api/v1/shops/beta/suggest", "alpha-key") == 401  # one shop's key is not another's
    assert status("/api/v1/suggest", "alpha-key") == 401
    assert client.get("/api/v1/shops/alpha/situations").status_code == 401  # every route of the shop, not one
    assert client.get("/api/v1/shops/alpha/situations", headers={"X-API-Key": "alpha-key"}).status_code == 200


def test_shops_bench_prints_memory_per_shop_and_first_request(home):
    from suggest.tools.shops_bench import run

    report = run(load_settings(home, env={}), shops=2)
    lines = report.splitlines()
    assert lines[0].startswith("2 shops of 12 replies") and "MB per loaded shop" in lines[1]
    per_shop = float(lines[1].split(": ")[-1].split(" MB")[0])
    assert per_shop < 100  # a fixture shop is small; RSS moves by a few MB either way
    assert "first request of a shop" in lines[2] and "cached p50: default shop" in lines[3]


def test_shops_bench_measures_a_real_server_with_shops(fresh_engine):
    from suggest.tools.shops_bench import run_server

    report = run_server(fresh_engine.settings, shops=2, working=2, rounds=2).splitlines()
    assert report[0].startswith("`suggest serve` (2 workers x 2 threads, shops_loaded 30) with the default shop "
                                "and 2 shops of 12 replies")
    assert "MB at start" in report[1] and "first request of each shop" in report[2]
    first_p50 = float(report[2].split("p50 ")[1].split(" s")[0])
    assert 0 < first_p50 < 30  # each shop was asked and answered over HTTP
    assert "2 shops asked in turn beside the default shop (4 requests each)" in report[3]

"""Each shop's editors edit that shop only, at /shops/<shop>/editor; the server's editors are team leads who edit
every shop. Through Flask's test client, with two shops whose replies differ."""

from __future__ import annotations

import pytest

from suggest.authoring.accounts import set_editor_password
from suggest.settings import load_settings
from suggest.shops.homes import add_shop
from tests.fixtures.shops import shop_corpus
from tests.test_editor_api import PASSWORD, page_token
from webapp import create_app


class Login:
    """A browser logged in at one editor's root (/editor or /shops/<shop>/editor)."""

    def __init__(self, app, root: str, name: str) -> None:
        self.client = app.test_client()
        self.root = root
        token = page_token(self.client.get(f"{root}/login").get_data(as_text=True))
        self.response = self.client.post(f"{root}/login", data={"name": name, "password": PASSWORD,
                                                                "csrf_token": token})
        self.token = page_token(self.client.get(f"{root}/").get_data(as_text=True)) \
            if self.response.status_code == 302 else ""

    def call(self, method: str, path: str, **kwargs):
        return self.client.open(path, method=method, headers={"X-CSRF-Token": self.token}, **kwargs)


@pytest.fixture
def server(fresh_engine, home):
    settings = load_settings(home, env={}).replace(learning="review")
    for name, prefix, mark in (("alpha", "a", "甲店"), ("beta", "b", "乙店")):
        add_shop(settings, name, shop_corpus(fresh_engine.corpus, prefix, mark))
    set_editor_password(home / "editors.toml", "lead", PASSWORD)  # the server's editors: team leads
    set_editor_password(home / "shops" / "alpha" / "editors.toml", "amy", PASSWORD)  # alpha's own editor
    return create_app(settings, engine=fresh_engine)


def test_a_shops_editor_edits_that_shop_and_nothing_else(server, fresh_engine):
    amy = Login(server, "/shops/alpha/editor", "amy")
    assert amy.response.status_code == 302
    page = amy.client.get("/shops/alpha/editor/").get_data(as_text=True)
    assert 'data-editor-base="/shops/alpha/editor"' in page and "店铺：alpha" in page
    assert 'href="/shops/alpha/editor/history"' in page and "shop-menu" not in page  # links stay in the shop

    reply = amy.client.get("/shops/alpha/editor/api/replies/a-bargain-01").get_json()["reply"]
    draft = {key: reply[key] for key in ("situation", "text", "examples", "tags")}
    draft["text"] = "【甲店】亲，这是甲店改过的议价话术哦~"
    serving = server.extensions["shops"].engine("alpha")
    saved = amy.call("PUT", "/shops/alpha/editor/api/replies/a-bargain-01",
                     json={"reply": draft, "version": reply["version"], "confirm": True})
    assert saved.status_code == 200, saved.get_json()
    assert server.extensions["shops"].engine("alpha") is serving  # updated in place, not loaded again
    answer = server.test_client().post("/api/v1/shops/alpha/suggest", json={"message": "能便宜点吗"}).get_json()
    assert answer["suggestions"][0]["text"] == "【甲店】亲，这是甲店改过的议价话术哦~"
    history = amy.client.get("/shops/alpha/editor/api/history").get_json()
    assert [c["editor"] for c in history["changes"]] == ["amy"]

    # the shop's account means nothing to another shop, nor to the default shop's editor
    assert amy.client.get("/shops/beta/editor/").status_code == 302
    assert amy.client.get("/editor/").status_code == 302
    assert amy.call("GET", "/editor/api/replies").status_code == 401
    assert "bargain-01" in fresh_engine.corpus.replies and "甲店" not in fresh_engine.corpus.replies["bargain-01"].text


def test_a_team_lead_edits_every_shop_and_picks_it_from_a_menu(server):
    lead = Login(server, "/editor", "lead")
    page = lead.client.get("/editor/").get_data(as_text=True)
    assert "shop-menu" in page and 'href="/shops/beta/editor/"' in page and "店铺：默认店铺" in page
    for shop, prefix in (("alpha", "a-"), ("beta", "b-")):
        assert lead.client.get(f"/shops/{shop}/editor/").status_code == 200
        replies = lead.client.get(f"/shops/{shop}/editor/api/replies").get_json()["replies"]
        assert replies and all(r["id"].startswith(prefix) for r in replies)
    assert lead.client.get("/shops/alpha/editor/").get_data(as_text=True).count('aria-current="page">alpha') == 1
    # a shop editor of the same name does not take over the lead's account
    assert Login(server, "/shops/alpha/editor", "amy").response.status_code == 302


def test_a_shops_learning_waits_for_its_own_editors(server):
    agent = server.test_client()
    sent = agent.post("/api/v1/shops/alpha/feedback", json={"message": "孩子他爸说颜色太艳了",
                                                           "reply_id": "a-return_exchange-01", "action": "sent"})
    assert sent.status_code == 201
    amy = Login(server, "/shops/alpha/editor", "amy")
    page = amy.client.get("/shops/alpha/editor/learning").get_data(as_text=True)
    assert "孩子他爸说颜色太艳了" in page
    lead = Login(server, "/editor", "lead")
    assert "孩子他爸说颜色太艳了" not in lead.client.get("/editor/learning").get_data(as_text=True)
    candidate = server.extensions["shops"].served("alpha").learning.store.candidates("pending")[0]
    accepted = amy.client.post("/shops/alpha/editor/learning", data={
        "decision": "accept", "ids": [str(candidate.id)], "csrf_token": amy.token})
    assert accepted.status_code == 302 and accepted.headers["Location"].startswith("/shops/alpha/editor/learning")
    assert server.extensions["shops"].served("alpha").learning.store.count("learned") == 1


def test_shop_editor_routes_refuse_strangers_and_unknown_shops(server):
    stranger = server.test_client()
    checked = 0
    for rule in server.url_map.iter_rules():
        if not rule.endpoint.startswith("shop_editor.") or rule.endpoint.endswith(".login"):
            continue
        path = rule.rule.replace("<shop>", "alpha")
        for name in rule.arguments - {"shop"}:
            path = path.replace(f"<{name}>", "1").replace(f"<int:{name}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = stranger.open(path, method=method)
            checked += 1
            assert answer.status_code in (302, 400, 401, 403), (method, path, answer.status_code)
            if "/api/" in path:
                assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    assert checked > 30  # every route of the editor, mirrored
    assert stranger.get("/shops/gamma/editor/").status_code == 404
    assert stranger.get("/shops/alpha/editor/api/nothing").get_json()["error"]["code"] == "not_found"


def test_a_shops_editors_are_added_from_the_command_line(server, home):
    from click.testing import CliRunner

    from suggest.authoring.accounts import load_editors
    from suggest.cli import main

    added = CliRunner().invoke(main, ["--home", str(home), "editor", "--shop", "beta", "add", "bea",
                                      "--password", PASSWORD])
    assert added.exit_code == 0, added.output
    assert "bea" in load_editors(home / "shops" / "beta" / "editors.toml")
    assert "bea" not in load_editors(home / "editors.toml")
    listed = CliRunner().invoke(main, ["--home", str(home), "editor", "--shop", "beta", "list"])
    assert listed.output.split() == ["bea"]
    bea = Login(server, "/shops/beta/editor", "bea")  # the running server knows her at once
    assert bea.response.status_code == 302 and bea.client.get("/shops/alpha/editor/").status_code == 302
    unknown = CliRunner().invoke(main, ["--home", str(home), "editor", "--shop", "gamma", "add", "x",
                                        "--password", PASSWORD])
    assert unknown.exit_code != 0 and "gamma" in unknown.output

"""The agents' page on a server with several shops: the 店铺 switcher, in a real browser (Debian's Chromium
driven by Playwright) against the real engine. An agent answering for two shops in one shift must never copy,
send feedback on or choose a product of the other shop."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from suggest.engine.suggester import Suggester
from suggest.settings import load_settings
from suggest.shops.homes import add_shop
from tests.conftest import make_home
from tests.fixtures.product_shop import PRODUCT_FILES, SHIPPED, wait_for_options
from tests.fixtures.shops import shop_corpus
from webapp import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shops_server(embedder, tmp_path_factory, live_server):
    """The default shop (the fixture corpus), alpha (its replies marked 甲店, and the shipped product sheet) and
    beta (marked 乙店, no product sheet); yields (base_url, home)."""
    home = make_home(tmp_path_factory.mktemp("shops-home"))
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    add_shop(engine.settings, "alpha", shop_corpus(engine.corpus, "a", "甲店"))
    add_shop(engine.settings, "beta", shop_corpus(engine.corpus, "b", "乙店"))
    for name in PRODUCT_FILES:
        shutil.copy(SHIPPED / name, home / "shops" / "alpha" / "corpus" / name)
    with live_server(create_app(engine.settings, engine=engine)) as base_url:
        yield base_url, home


@pytest.fixture
def context(browser, shops_server):
    base_url, _ = shops_server
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield context
    context.close()
    assert errors == [], errors


def open_page(context, base_url: str):
    page = context.new_page()
    page.goto(base_url + "/")
    page.wait_for_selector("#status.status-ok")
    return page


def shown_texts(page) -> list[str]:
    page.wait_for_selector("#results:not(.stale) .reply[data-number='1']")
    return page.locator("#results .reply .reply-text").all_inner_texts()


def feedback_rows(home: Path, shop: str | None) -> list[tuple[str, str]]:
    folder = home / "shops" / shop if shop else home
    path = folder / "var" / "feedback.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT reply_id, action FROM feedback ORDER BY id").fetchall()


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_shop_switcher_answers_copies_and_remembers_per_shop(context, shops_server, artifacts):
    base_url, home = shops_server
    page = open_page(context, base_url)
    switcher = page.locator("#shop")
    assert switcher.locator("option").all_inner_texts() == ["默认店铺", "alpha", "beta"]
    assert switcher.input_value() == ""

    page.fill("#message", "能便宜点吗")
    default = shown_texts(page)
    assert default and not any("甲店" in t or "乙店" in t for t in default)

    switcher.select_option("alpha")
    page.wait_for_selector(".toast.show")
    assert "alpha" in page.inner_text("#toast")
    page.wait_for_function("() => document.querySelector('#results:not(.stale) .reply-text')"
                           "?.textContent.includes('甲店')")
    assert all(t.startswith("【甲店】") for t in shown_texts(page))
    page.locator("body").click(position={"x": 5, "y": 5})  # out of the text fields: bare number keys copy
    page.keyboard.press("1")
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.startsWith('【甲店】'))")
    wait_until(lambda: feedback_rows(home, "alpha"))
    copied = feedback_rows(home, "alpha")
    assert copied[0][0].startswith("a-") and copied[0][1] == "copied"
    assert feedback_rows(home, None) == [] and feedback_rows(home, "beta") == []
    page.screenshot(path=str(artifacts / "shops-switcher.png"))

    # another shop while alpha's replies are on screen, a number key pressed at once: alpha's cards are stale
    # and inert, so nothing of alpha's is copied; beta's answer for the same message replaces them
    page.evaluate("navigator.clipboard.writeText('')")
    switcher.select_option("beta")
    page.keyboard.press("Alt+1")
    page.wait_for_function("() => document.querySelector('#results:not(.stale) .reply-text')"
                           "?.textContent.includes('乙店')")
    assert all(t.startswith("【乙店】") for t in shown_texts(page))
    assert "甲店" not in page.evaluate("navigator.clipboard.readText()")

    # the shop is remembered in this browser
    again = open_page(context, base_url)
    assert again.locator("#shop").input_value() == "beta"
    again.fill("#message", "包邮吗")
    assert all(t.startswith("【乙店】") for t in shown_texts(again))


def test_the_product_chooser_searches_the_chosen_shops_sheet(context, shops_server):
    base_url, _ = shops_server
    page = open_page(context, base_url)
    page.locator("#shop").select_option("alpha")
    page.fill("#product-search", "卫衣")
    with urllib.request.urlopen(f"{base_url}/api/v1/shops/alpha/products?q={urllib.parse.quote('卫衣')}") as answer:
        wait_for_options(page, [p["id"] for p in json.load(answer)["products"]])
    page.keyboard.press("Enter")
    assert page.inner_text("#product-current") != "未选择商品"
    # beta has no product sheet: the product chosen for alpha goes, and beta's search finds nothing
    page.locator("#shop").select_option("beta")
    assert page.inner_text("#product-current") == "未选择商品"
    page.fill("#product-search", "卫衣")
    page.wait_for_selector("#product-list .product-empty")
    assert page.inner_text("#product-list") == "没有找到「卫衣」相关的商品"
    assert page.locator("#product-list [data-product-id]").count() == 0


def test_without_other_shops_there_is_no_switcher(browser, engine, tmp_path, live_server):
    with live_server(create_app(load_settings(tmp_path, env={}), engine=engine)) as base_url:
        page = browser.new_page()
        page.goto(base_url + "/")
        assert page.locator("#shop").count() == 0 and page.locator("#message").is_visible()
        page.close()


def test_the_sidebar_answers_for_the_shop_in_its_address_and_remembers_a_switch(context, shops_server):
    base_url, home = shops_server
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 720})
    page.goto(base_url + "/integrations/sidebar?shop=alpha&message=" + urllib.parse.quote("能便宜点吗"))
    page.locator(".sb-reply").first.wait_for()
    assert page.locator("#shop").input_value() == "alpha"
    texts = page.locator(".sb-reply-text").all_inner_texts()
    assert texts and all(t.startswith("【甲店】") for t in texts)
    before = len(feedback_rows(home, "alpha"))
    page.locator(".sb-reply").first.click()
    wait_until(lambda: len(feedback_rows(home, "alpha")) == before + 1)
    assert feedback_rows(home, "alpha")[-1][0].startswith("a-")

    page.locator("#shop").select_option("beta")  # the same message, asked of beta
    page.wait_for_function("() => document.querySelector('.sb-reply-text')?.textContent.startsWith('【乙店】')")
    assert all(t.startswith("【乙店】") for t in page.locator(".sb-reply-text").all_inner_texts())
    # opened again without ?shop=: the shop last chosen in this sidebar
    page.goto(base_url + "/integrations/sidebar?message=" + urllib.parse.quote("包邮吗"))
    page.locator(".sb-reply").first.wait_for()
    assert page.locator("#shop").input_value() == "beta"
    assert all(t.startswith("【乙店】") for t in page.locator(".sb-reply-text").all_inner_texts())
    # a shop the server does not host, named in the address: the one last chosen answers
    page.goto(base_url + "/integrations/sidebar?shop=gone&message=" + urllib.parse.quote("包邮吗"))
    page.locator(".sb-reply").first.wait_for()
    assert page.locator("#shop").input_value() == "beta"


# The widget shows replies of the shop marked `mark` only (answers built from a product sheet carry no mark).
ALL_MARKED = """mark => {
    const shown = HuashuWidget.suggestions().filter(s => !s.id.startsWith("product:"));
    return shown.length > 0 && shown.every(s => s.text.startsWith(mark));
}"""


def test_the_widget_lists_the_shops_answers_for_the_one_chosen_and_remembers_it_on_the_site(context, shops_server):
    base_url, home = shops_server
    page = context.new_page()
    page.goto(base_url + "/integrations/demo")
    page.wait_for_function("window.HuashuWidget && HuashuWidget.suggestions().length > 0")
    assert page.evaluate("HuashuWidget.shop()") == ""
    select = page.locator("huashu-widget .shop-select")
    select.wait_for()
    assert select.locator("option").all_inner_texts() == ["默认店铺", "alpha", "beta"]

    select.select_option("alpha")
    page.wait_for_function(ALL_MARKED, arg="【甲店】")
    before = len(feedback_rows(home, "alpha"))
    page.locator("huashu-widget .item", has_text="【甲店】").first.click()  # into the reply box; "copied" to alpha
    wait_until(lambda: len(feedback_rows(home, "alpha")) == before + 1)
    assert feedback_rows(home, "alpha")[-1][0].startswith("a-")

    # the chat tool switches to a conversation of beta's
    page.evaluate("HuashuWidget.setShop('beta')")
    page.wait_for_function(ALL_MARKED, arg="【乙店】")
    assert select.input_value() == "beta"

    page.reload()  # the agent's own choice (alpha) is what this site starts with; setShop was not the agent's
    page.wait_for_function("window.HuashuWidget && HuashuWidget.suggestions().length > 0")
    assert page.evaluate("HuashuWidget.shop()") == "alpha"
    page.wait_for_function(ALL_MARKED, arg="【甲店】")

    # a shop the server does not host falls back to the default one, and the panel says so
    page.evaluate("HuashuWidget.init({incoming: '.msg.buyer', replyBox: '#reply', shop: 'gone'})")
    page.locator("huashu-widget .shop-note").filter(has_text="gone").wait_for()
    assert page.evaluate("HuashuWidget.shop()") == ""
    page.wait_for_function("HuashuWidget.suggestions().length > 0 && "
                           "!HuashuWidget.suggestions().some(s => /【[甲乙]店】/.test(s.text))")
    assert page.locator("huashu-widget .shop-select").input_value() == ""
    assert page.locator("huashu-widget .shop-note").is_visible()  # until the agent chooses a shop


def test_a_team_lead_picks_a_shop_from_the_editor_menu_and_edits_its_replies(context, shops_server, artifacts):
    """The editor's pages and editor.js at /shops/<shop>/editor: every call goes to the shop's routes, and the
    shop's agents get the edit; the shop's own editor is kept to the shop."""
    from suggest.authoring.accounts import set_editor_password

    base_url, home = shops_server
    set_editor_password(home / "editors.toml", "组长", "s3cret-pass")
    set_editor_password(home / "shops" / "beta" / "editors.toml", "乙店小王", "s3cret-pass")
    page = context.new_page()
    page.goto(base_url + "/editor/")
    page.fill('input[name="name"]', "组长")
    page.fill('input[name="password"]', "s3cret-pass")
    page.click('button[type="submit"]')
    page.wait_for_selector("#reply-list .row")
    page.click(".shop-menu > summary")
    page.keyboard.press("Escape")  # closes it, as any menu closes
    assert not page.locator(".shop-menu a").first.is_visible()
    page.click(".shop-menu > summary")
    page.click("#try-message")  # a click elsewhere closes it too
    assert not page.locator(".shop-menu a").first.is_visible()
    page.click(".shop-menu > summary")
    page.screenshot(path=str(artifacts / "editor-shop-menu.png"))
    page.click(".shop-menu a:has-text('alpha')")
    page.wait_for_url(base_url + "/shops/alpha/editor/")
    page.wait_for_selector("#reply-list .row")
    ids = page.eval_on_selector_all("#reply-list .row", "rows => rows.map(r => r.dataset.id)")
    assert ids and all(i.startswith("a-") for i in ids)
    assert page.inner_text(".shop-menu > summary").strip() == "店铺：alpha"

    page.click('#reply-list .row[data-id="a-bargain-01"]')
    page.wait_for_selector("#form-id:has-text('a-bargain-01')")
    page.fill("#r-text", "【甲店】亲，小店利润很薄，这已经是活动价了哦（组长改）")
    page.click("#save")
    page.wait_for_selector("#toast:has-text('已保存')")
    answer = json.loads(urllib.request.urlopen(urllib.request.Request(
        base_url + "/api/v1/shops/alpha/suggest", data=json.dumps({"message": "能便宜点吗"}).encode(),
        headers={"Content-Type": "application/json"})).read())
    assert answer["suggestions"][0]["text"] == "【甲店】亲，小店利润很薄，这已经是活动价了哦（组长改）"
    page.goto(base_url + "/shops/alpha/editor/history")
    assert "组长" in page.inner_text(".change-meta")

    # beta's own editor, logged in at beta, sees beta only and no menu of shops
    other = context.browser.new_context(locale="zh-CN").new_page()
    other.goto(base_url + "/shops/beta/editor/")
    other.fill('input[name="name"]', "乙店小王")
    other.fill('input[name="password"]', "s3cret-pass")
    other.click('button[type="submit"]')
    other.wait_for_selector("#reply-list .row")
    assert other.inner_text(".shop-tag") == "店铺：beta" and other.locator(".shop-menu").count() == 0
    other.goto(base_url + "/shops/alpha/editor/")
    assert "/shops/alpha/editor/login" in other.url
    other.context.close()

"""The editors' learning page in a real browser: a buyer message an agent answered waits for review, an editor
accepts it, and the next similar message finds that situation."""

from __future__ import annotations

import pytest

from test_browser_editor import context_at, log_in, server  # noqa: F401 - fixtures shared with the editor's tests

pytestmark = pytest.mark.browser

ODD = "孩子他爸说颜色太艳了"
SIMILAR = "孩子他爹嫌颜色太艳"


def test_an_editor_accepts_a_waiting_example_and_the_engine_learns_it(server, context_at, artifacts):  # noqa: F811
    base_url, app, live = server
    client = app.test_client()
    assert live.settings.learning == "review"
    sent = client.post("/api/v1/feedback", json={"message": ODD + " 我叫张三丰", "reply_id": "return_exchange-01",
                                                  "action": "sent"})
    assert sent.status_code == 201
    assert live.suggest(SIMILAR).abstained  # nothing learned before an editor says so

    page = context_at().new_page()
    log_in(page, base_url)
    badge = page.locator("#editor-nav a", has_text="学习").locator(".count-badge")
    assert badge.inner_text() == "1"
    page.click("#editor-nav >> text=学习")
    page.wait_for_url(base_url + "/editor/learning")
    waiting = page.locator("section[aria-labelledby=pending-title] li")
    assert waiting.count() == 1 and "我叫[姓名]" in waiting.inner_text()  # masked like the feedback log
    assert "退换货" in page.inner_text("section[aria-labelledby=pending-title] legend")
    waiting.locator("input[type=checkbox]").check()
    page.click("button[value=accept]")
    page.wait_for_selector("text=已采纳 1 条")
    assert page.locator("section[aria-labelledby=learned-title] li", has_text="学习所得").count() == 1
    assert page.locator("#editor-nav .count-badge").count() == 0
    page.screenshot(path=str(artifacts / "editor-learning.png"), full_page=True)
    top = client.post("/api/v1/suggest", json={"message": SIMILAR}).get_json()["suggestions"][0]
    assert top["situation"] == "return_exchange"

    page.goto(base_url + "/editor/history")
    assert "采纳学习例句" in page.inner_text(".timeline")


def test_an_editor_adds_to_a_situations_bank_on_the_situations_page(server, context_at, artifacts):  # noqa: F811
    base_url, app, live = server
    page = context_at().new_page()
    log_in(page, base_url)
    page.goto(base_url + "/editor/situations")
    page.locator("#situation-list .row", has_text="不退了").click()
    bank = page.locator("#sf-examples")
    assert bank.input_value().splitlines() == list(live.corpus.situations["keep_item"].examples)
    assert "3 条意图例句" in page.inner_text("#sf-examples-count")
    bank.press("End")
    bank.press("Control+End")
    bank.type("\n" + ODD)
    assert "4 条意图例句" in page.inner_text("#sf-examples-count")
    page.click("#s-save")
    page.wait_for_selector("#toast:has-text('已保存')")
    page.screenshot(path=str(artifacts / "editor-situation-bank.png"), full_page=True)
    assert ODD in live.corpus.situations["keep_item"].examples
    assert live.suggest(ODD).suggestions[0].situation == "keep_item"

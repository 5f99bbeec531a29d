"""The agents' page in a real browser: Debian's Chromium driven by Playwright, against the real engine served
on a loopback port. Screenshots go to the `artifacts` directory."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request

import pytest

from suggest.settings import load_settings
from webapp import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(engine, tmp_path_factory, live_server):
    """The app on 127.0.0.1 and a free port, in a background thread; yields (base_url, app)."""
    home = tmp_path_factory.mktemp("browser-home")
    app = create_app(load_settings(home, env={}), engine=engine)
    with live_server(app) as base_url:
        yield base_url, app


@pytest.fixture
def page_at(browser, server):
    """A fresh page at a given width with clipboard access; console errors fail the test."""
    base_url, _ = server
    contexts, errors = [], []

    def open_page(width: int = 1280, height: int = 860):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base_url + "/")
        page.wait_for_selector("#status.status-ok")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


def api_suggest(base_url: str, body: dict) -> dict:
    request = urllib.request.Request(base_url + "/api/v1/suggest", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def paste(page, text: str) -> None:
    """Put `text` on the clipboard and paste it into the message box with Ctrl+V, as an agent does."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.focus("#message")
    page.keyboard.press("Control+V")


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def feedback_rows(app) -> list[tuple]:
    path = app.extensions["settings"].data_dir / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        return db.execute("SELECT message, reply_id, action FROM feedback ORDER BY id").fetchall()


def wait_for_feedback(app, count: int) -> list[tuple]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = feedback_rows(app)
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    return feedback_rows(app)


def test_paste_suggest_and_copy_with_number_keys(page_at, server, artifacts):
    base_url, app = server
    page = page_at(1280)
    paste(page, "能便宜点吗")
    assert page.input_value("#message") == "能便宜点吗"
    page.wait_for_selector('.reply[data-number="1"]')

    expected = api_suggest(base_url, {"message": "能便宜点吗"})
    suggestions = expected["suggestions"]
    assert len(suggestions) >= 2
    # grouped: situation name, stage badge and confidence, numbered replies in the API's order
    situation = page.locator(".situation").first
    assert situation.locator(".situation-name").inner_text() == "议价"
    assert situation.locator(".badge").inner_text() == "售前"
    assert situation.locator(".confidence-value").inner_text().endswith("%")
    numbers = page.locator(".reply[data-number]")
    assert numbers.count() == len(suggestions)
    for i, reply in enumerate(suggestions, start=1):
        card = page.locator(f'.reply[data-number="{i}"]')
        assert card.get_attribute("data-reply-id") == reply["id"]
        assert card.locator(".reply-text").inner_text() == reply["text"]
    assert page.locator("#summary").inner_text().startswith(f"{len(suggestions)} 条建议")

    # 1 (outside the text box) copies the first suggestion, placeholders filled, and logs feedback
    page.locator(".results-pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("1")
    page.wait_for_selector(".toast.show")
    assert clipboard(page) == suggestions[0]["text"]
    assert "已复制" in page.inner_text("#toast")
    page.wait_for_timeout(250)  # let the toast finish fading in
    page.screenshot(path=str(artifacts / "agent-1280.png"), full_page=True)

    # Alt+2 copies the second one while typing in the box; {客服名} is filled with the shop's 小测
    page.focus("#message")
    page.keyboard.press("Alt+2")
    page.wait_for_function("t => navigator.clipboard.readText().then(c => c === t)", arg=suggestions[1]["text"])
    second = next(r for r in suggestions if r["id"] == "bargain-02")
    assert "小测" in second["text"] and "{客服名}" not in second["text"]
    assert page.input_value("#message") == "能便宜点吗"  # the key was not typed into the box

    # the copy button works too
    page.locator('.reply[data-number="1"] .btn-copy').click()
    rows = wait_for_feedback(app, 3)
    assert rows[-3:] == [("能便宜点吗", suggestions[0]["id"], "copied"), ("能便宜点吗", suggestions[1]["id"], "copied"),
                         ("能便宜点吗", suggestions[0]["id"], "copied")]

    # Esc clears; "/" comes back to the box
    page.keyboard.press("Escape")
    assert page.input_value("#message") == ""
    page.wait_for_selector(".placeholder")
    page.locator(".results-pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "message"
    assert page.input_value("#message") == ""


def test_multi_intent_groups_unfilled_and_mobile_layout(page_at, server, artifacts):
    base_url, _ = server
    page = page_at(390, 844)
    page.fill("#message", "包邮吗？顺便问下能便宜点吗")
    page.wait_for_selector(".segment + .segment")
    expected = api_suggest(base_url, {"message": "包邮吗？顺便问下能便宜点吗"})
    assert page.locator(".segment").count() == len(expected["segments"]) >= 2
    heads = page.locator(".segment-text").all_inner_texts()
    assert heads == [s["text"] for s in expected["segments"]]
    # the unfilled placeholder is highlighted and announced
    mark = page.locator("mark.unfilled").first
    assert mark.inner_text() == "{满包邮金额}"
    assert "满包邮金额" in page.locator(".tag-warn").first.inner_text()
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "agent-390.png"), full_page=True)


def test_empty_state_shortcuts_stage_and_context(page_at, server, artifacts):
    page = page_at(1280)
    page.fill("#message", "asdfgh")
    page.wait_for_selector(".notice-empty")
    assert "没有找到合适的话术" in page.inner_text(".notice-empty")
    assert page.locator(".reply").count() == 0
    page.screenshot(path=str(artifacts / "agent-abstained.png"))

    page.fill("#message", "/yj")
    page.wait_for_selector('.reply[data-number="2"]')
    assert page.locator(".reply[data-number]").count() == 2
    assert "快捷编码" in page.inner_text("#summary")

    # the stage picker and the previous message are sent with the request
    page.fill("#message", "多久能到")
    page.wait_for_selector(".reply")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest") and r.method == "POST") as request:
        page.locator(".segmented label", has_text="售后").click()
    assert request.value.post_data_json == {"message": "多久能到", "stage": "aftersale"}
    page.locator(".segmented label", has_text="自动").click()
    with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest") and r.method == "POST") as request:
        page.fill("#context", "我要退货")
    assert request.value.post_data_json == {"message": "多久能到", "context": ["我要退货"]}
    page.wait_for_selector(".summary-stage .badge")
    assert page.inner_text(".summary-stage .badge") == "售后"


def test_debounce_ctrl_enter_and_escaping(page_at):
    page = page_at(1280)
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith("/api/v1/suggest") else None)
    page.focus("#message")
    page.keyboard.type("发什么快递", delay=30)  # typed faster than the debounce: one request at the end
    page.wait_for_selector(".reply")
    page.wait_for_timeout(400)
    assert len(requests) == 1
    page.keyboard.press("Control+Enter")
    page.wait_for_timeout(400)
    assert len(requests) == 2

    hostile = '<img src=x onerror="window.__xss=1">能便宜点吗，<b>发什么快递</b>'
    page.fill("#message", hostile)
    page.wait_for_selector(".segment-text")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#results img, #results b").count() == 0
    assert any("<" in t for t in page.locator(".segment-text").all_inner_texts())


def test_docs_page_renders(browser, server, artifacts):
    base_url, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(base_url + "/api/docs")
        assert page.locator(".op").count() == 8
        assert page.locator("#op-suggest .props").first.is_visible()
        page.screenshot(path=str(artifacts / "api-docs.png"))
    finally:
        context.close()

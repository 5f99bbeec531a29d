"""The agents' page in a real browser: Debian's Chromium driven by Playwright, against the real engine served
on a loopback port. Screenshots go to the `artifacts` directory."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.request

import pytest

from suggest.settings import load_settings
from tests.fixtures.product_shop import product_engine, product_ids, sheet, wait_for_options
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
    """A fresh page at a given width with clipboard access; console errors fail the test.

    failed_requests=True: the test makes API calls fail on purpose, so the browser's own "Failed to load
    resource" lines are expected (anything else logged as an error still fails). clock=True installs
    Playwright's fake clock before the page loads (for timeouts, without sleeping)."""
    base_url, _ = server
    contexts, errors = [], []

    def open_page(width: int = 1280, height: int = 860, failed_requests: bool = False, clock: bool = False):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        contexts.append(context)
        page = context.new_page()

        def on_console(msg):
            if msg.type != "error":
                return
            if failed_requests and msg.text.startswith("Failed to load resource"):
                return
            errors.append(msg.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if clock:
            page.clock.install()
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


def dismissed_all_rows(app) -> list[tuple]:
    path = app.extensions["settings"].data_dir / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        return db.execute("SELECT message FROM events WHERE kind = 'dismissed_all' ORDER BY id").fetchall()


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
    assert mark.inner_text() == "{买家昵称}"
    assert "买家昵称" in page.locator(".tag-warn").first.inner_text()
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
    with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest")):
        page.keyboard.press("Control+Enter")  # asks again at once
    assert len(requests) == 2  # the typing made one request, Ctrl+Enter the second

    hostile = '<img src=x onerror="window.__xss=1">能便宜点吗，<b>发什么快递</b>'
    page.fill("#message", hostile)
    page.wait_for_selector(".segment-text")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#results img, #results b").count() == 0
    assert any("<" in t for t in page.locator(".segment-text").all_inner_texts())


def test_docs_page_renders(browser, server, artifacts):
    base_url, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(base_url + "/api/docs")
        document = json.loads(urllib.request.urlopen(base_url + "/api/v1/openapi.json").read())
        operations = sum(len(methods) for methods in document["paths"].values())
        assert page.locator(".op").count() == operations >= 9  # every operation, the product search included
        assert page.locator("#op-suggest .props").first.is_visible()
        page.screenshot(path=str(artifacts / "api-docs.png"))
    finally:
        context.close()


# ---- the number keys, the screen and the message on it ------------------------------------------------------


def numbered_ids(page) -> list[str]:
    """The reply ids of the numbered cards, checking on the way that the badges run 1, 2, 3 … top to bottom."""
    cards = page.locator(".reply[data-number]")
    numbers = cards.evaluate_all("els => els.map(e => e.dataset.number)")
    assert numbers == [str(i) for i in range(1, len(numbers) + 1)], numbers
    tops = [cards.nth(i).bounding_box()["y"] for i in range(cards.count())]
    assert tops == sorted(tops), tops
    assert all(cards.nth(i).is_visible() for i in range(cards.count()))  # a number is only ever on a card in view
    return cards.evaluate_all("els => els.map(e => e.dataset.replyId)")


def press_number(page, key: str) -> str:
    """Press a number key and wait for the toast the page shows in answer; return the toast's text."""
    page.evaluate("document.getElementById('toast').className = 'toast'")  # forget the previous toast
    page.keyboard.press(key)
    page.wait_for_selector(".toast.show")
    return page.inner_text("#toast")


def test_stale_results_are_not_copied_while_the_next_message_loads(page_at, server):
    """Alt+1 right after pasting the next buyer's message must not copy the previous buyer's reply."""
    base_url, app = server
    page = page_at(1280)
    paste(page, "能便宜点吗")
    page.wait_for_selector('.reply[data-number="1"][data-reply-id^="bargain"]')
    before = len(feedback_rows(app))

    held = []  # the next /api/v1/suggest calls wait here until the test lets them through: a slow server
    page.route("**/api/v1/suggest", lambda route: held.append(route))
    with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest")):
        page.keyboard.press("Control+A")  # the next buyer's message replaces this one
        paste(page, "发什么快递")
        # at once, well inside the debounce: the old results are still on screen, for the old message
        toast = press_number(page, "Alt+1")
        assert "已复制" not in toast, toast
        assert clipboard(page) == "发什么快递"  # still what the agent pasted, not 能便宜点吗's reply
        assert page.locator("#results.stale").count() == 1  # greyed out
        assert page.evaluate("document.getElementById('results').inert")  # and the copy buttons do nothing
    # the request is on its way (held): the old results still must not be copied, by key or by button
    page.wait_for_function("() => document.body.classList.contains('loading')")
    toast = press_number(page, "Alt+1")
    assert "已复制" not in toast and "加载" in toast, toast
    button = page.locator('.reply[data-number="1"] .btn-copy').bounding_box()
    page.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)  # on the greyed card
    assert page.evaluate("document.activeElement.id") != "message"
    press_number(page, "2")  # a bare number key, outside the box
    assert clipboard(page) == "发什么快递"
    assert len(feedback_rows(app)) == before  # nothing was logged as copied for either message

    for route in held:
        route.continue_()
    page.unroute("**/api/v1/suggest")
    page.wait_for_selector("#results:not(.stale) .reply[data-number='1'][data-reply-id^='express_choice']")
    expected = api_suggest(base_url, {"message": "发什么快递"})
    page.focus("#message")
    toast = press_number(page, "Alt+1")
    assert toast.startswith("已复制第 1 条")
    first = page.get_attribute('.reply[data-number="1"]', "data-reply-id")
    assert clipboard(page) == next(r["text"] for r in expected["suggestions"] if r["id"] == first)
    rows = wait_for_feedback(app, before + 1)
    assert rows[before:] == [("发什么快递", first, "copied")]


def test_numbers_follow_the_screen_and_each_clause_keeps_its_answers(page_at, server):
    """Badges run 1, 2, 3 … top to bottom; key n copies the card showing n; answers sit under their clause."""
    base_url, _ = server
    page = page_at(1366, 768)
    message = "包邮吗？能便宜点吗？发什么快递？"
    expected = api_suggest(base_url, {"message": message})
    segments = expected["segments"]
    assert len(segments) == 3 and len(expected["suggestions"]) >= 4
    texts = {r["id"]: r["text"] for r in expected["suggestions"]}
    page.fill("#message", message)
    page.wait_for_selector(".segment + .segment + .segment .reply[data-number]")

    ids = numbered_ids(page)
    assert set(ids) <= set(texts)
    for index, segment in enumerate(segments):
        group = page.locator(".segment").nth(index)
        assert group.locator(".segment-text").inner_text() == segment["text"]
        own = {r["id"] for s in segment["situations"] for r in s["replies"]}
        shown = group.locator(".reply[data-number]").evaluate_all("els => els.map(e => e.dataset.replyId)")
        assert shown and set(shown) <= own, (segment["text"], shown)  # its own answers, under its own clause

    page.locator(".results-pane").click(position={"x": 5, "y": 5})
    for n, reply_id in enumerate(ids, start=1):
        toast = press_number(page, str(n))
        assert toast.startswith(f"已复制第 {n} 条"), toast
        assert clipboard(page) == texts[reply_id], n


def test_long_shots_do_not_take_number_keys_ahead_of_better_replies(page_at, server):
    """Replies of a clause's best situation come first; weaker situations' replies never get a lower number."""
    base_url, _ = server
    page = page_at(1366, 768)
    message = "退货运费谁出"
    expected = api_suggest(base_url, {"message": message})
    (segment,) = expected["segments"]
    flat = [r["id"] for r in expected["suggestions"]]
    best = segment["situations"][0]
    best_ids = [r["id"] for r in best["replies"] if r["id"] in flat]
    # (today the API's flat list puts other situations' weaker replies between the best situation's two)
    score = {r["id"]: s["score"] for s in segment["situations"] for r in s["replies"]}
    page.fill("#message", message)
    page.wait_for_selector('.reply[data-number="1"]')

    ids = numbered_ids(page)
    assert ids[:len(best_ids)] == best_ids
    assert [score[i] for i in ids] == sorted((score[i] for i in ids), reverse=True)
    # whatever else is shown carries no number (folded away, copyable by its button)
    for card in page.locator(".reply:not([data-number])").all():
        assert card.get_attribute("data-reply-id") not in ids
    page.focus("#message")
    last = len(ids)
    assert press_number(page, f"Alt+{last}").startswith(f"已复制第 {last} 条")
    assert clipboard(page) == next(r["text"] for r in expected["suggestions"] if r["id"] == ids[-1])


def test_escape_clears_the_previous_message_too(page_at):
    page = page_at(1280)
    page.fill("#context", "我要退货")
    page.fill("#message", "多久能到")
    page.wait_for_selector(".reply")
    page.keyboard.press("Escape")
    assert page.input_value("#message") == ""
    assert page.input_value("#context") == ""
    page.wait_for_selector(".placeholder")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest") and r.method == "POST") as request:
        page.fill("#message", "能便宜点吗")
    assert request.value.post_data_json == {"message": "能便宜点吗"}  # no context from the previous buyer


def test_top_five_cards_fit_1366x768_and_none_fits_has_a_key(page_at, server, artifacts):
    base_url, app = server
    page = page_at(1280)
    page.set_viewport_size({"width": 1366, "height": 768})

    def longer_replies(route):
        """Real answers with every reply six times as long, as real shops' replies often are."""
        response = route.fetch()
        data = response.json()
        for reply in data["suggestions"] + [r for s in data["segments"] for h in s["situations"] for r in h["replies"]]:
            reply["text"] = "".join([reply["text"]] * 6)
        route.fulfill(response=response, json=data)

    page.route("**/api/v1/suggest", longer_replies)
    message = "包邮吗？能便宜点吗？发什么快递？"
    page.fill("#message", message)
    page.wait_for_selector('.reply[data-number="5"]')
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    for n in range(1, 6):
        box = page.locator(f'.reply[data-number="{n}"]').bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768, (n, box)
        text = page.locator(f'.reply[data-number="{n}"] .reply-text')
        line = float(text.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert text.bounding_box()["height"] <= 2 * line + 1, n  # one or two lines of text
    page.screenshot(path=str(artifacts / "agent-1366x768.png"))
    # the whole text on hover and on keyboard focus
    first = page.locator('.reply[data-number="1"]')
    first.hover()
    assert first.locator(".reply-text").bounding_box()["height"] > 2 * line + 1
    page.mouse.move(0, 0)
    page.locator('.reply[data-number="2"] .btn-copy').focus()
    assert page.locator('.reply[data-number="2"] .reply-text').bounding_box()["height"] > 2 * line + 1

    # 都不合适: in view, with its key shown, and the key works from the message box
    none = page.locator("#none")
    box = none.bounding_box()
    assert none.is_visible() and box["y"] >= 0 and box["y"] + box["height"] <= 768
    assert none.locator("kbd").inner_text() == "0"
    page.focus("#message")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/feedback")) as response:
        page.keyboard.press("Alt+0")
    assert response.value.ok
    assert "已反馈" in none.inner_text() and none.is_disabled()
    assert (message,) in dismissed_all_rows(app)


# ---- 千牛 quick codes -----------------------------------------------------------------------------------------

# Twelve more /yj codes beside the fixture's yj1 and yj2 (议价), in two more situations, so that code order
# (yj1, yj2 … yj9, yj10 … yj14) differs from text order (yj1, yj10, yj11 …) and from situation order.
CODE_SITUATIONS = {
    "gift": ("赠品", "presale", [3, 5, 7, 10, 12, 14]),
    "coupon": ("优惠券", "presale", [4, 6, 8, 9, 11, 13]),
}


@pytest.fixture(scope="module")
def codes_server(embedder, tmp_path_factory, live_server):
    """The app over the fixture corpus plus twelve /yj codes, on a free port; yields its base URL."""
    from suggest.engine.suggester import Suggester
    from tests.conftest import make_home

    home = make_home(tmp_path_factory.mktemp("codes-home"))
    for sid, (name, stage, numbers) in CODE_SITUATIONS.items():
        lines = [f"id: {sid}", f"name: {name}", f"stage: {stage}", f"description: 买家问{name}", "replies:"]
        for n in numbers:
            lines += [f"  - id: {sid}-{n:02d}", f"    text: 亲，这是快捷短语第{n}条（{name}）~",
                      f"    examples: [{name}怎么弄第{n}, 有没有{name}{n}]", f"    shortcut: yj{n}"]
        (home / "corpus" / "situations" / f"{sid}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    app = create_app(engine.settings, engine=engine)
    with live_server(app) as base_url:
        yield base_url


def test_quick_code_list_shows_every_match_in_code_order_with_a_count(browser, codes_server, artifacts):
    from suggest.records import MAX_K

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=codes_server)
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(codes_server + "/")
        page.wait_for_selector("#status.status-ok")
        with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest") and r.method == "POST") as request:
            page.fill("#message", "/yj")
        assert request.value.post_data_json == {"message": "/yj", "k": MAX_K}  # every match, not only nine
        page.wait_for_function("() => document.querySelectorAll('#results .reply').length === 14")

        # all fourteen, as 千牛 lists them: yj1, yj2 … yj9, yj10 … yj14 (not yj1, yj10, yj11 …, not by situation)
        codes = page.locator("#results .reply .tag-code").all_inner_texts()
        assert codes == [f"/yj{n}" for n in range(1, 15)]
        # each card says its situation, since the list is in code order rather than grouped
        assert page.locator('#results .reply[data-reply-id="gift-10"] .tag-situation').inner_text() == "赠品"
        # the count, and what the number keys reach
        summary = page.inner_text("#summary")
        assert "共 14 条" in summary and "前 9 条可按数字键复制" in summary
        numbered = page.locator("#results .reply[data-number]")
        assert numbered.count() == 9
        assert [numbered.nth(i).get_attribute("data-number") for i in range(9)] == [str(n) for n in range(1, 10)]
        assert page.locator("#results .reply-later").count() == 5

        # Alt+9 copies yj9; the 14th (no number key) is reachable by scrolling and copies with its button
        page.focus("#message")
        page.keyboard.press("Alt+9")
        page.wait_for_function("t => navigator.clipboard.readText().then(c => c === t)",
                               arg="亲，这是快捷短语第9条（优惠券）~")
        last = page.locator('#results .reply[data-reply-id="gift-14"]')
        last.scroll_into_view_if_needed()
        box = last.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 768
        page.screenshot(path=str(artifacts / "agent-quick-codes.png"))
        last.locator(".btn-copy").click()
        page.wait_for_function("t => navigator.clipboard.readText().then(c => c === t)",
                               arg="亲，这是快捷短语第14条（赠品）~")

        # nine or fewer: every one has a key, and the hint says which
        page.fill("#message", "/yj1")
        page.wait_for_function("() => document.querySelectorAll('#results .reply').length === 6")  # yj1, yj10 … yj14
        assert page.locator("#results .reply .tag-code").all_inner_texts() == ["/yj1"] + [f"/yj{n}" for n in range(10, 15)]
        summary = page.inner_text("#summary")
        assert "共 6 条" in summary and "按数字键 1–6 复制" in summary and "前 9 条" not in summary
    finally:
        context.close()
    assert errors == [], errors


# ---- Chinese everywhere -------------------------------------------------------------------------------------


def api_error(code: str, message: str, field: str | None = "message", status: int = 422):
    body = json.dumps({"error": {"code": code, "message": message, "field": field}})
    return lambda route: route.fulfill(status=status, content_type="application/json", body=body)


def test_api_errors_are_shown_in_chinese(page_at):
    page = page_at(1280, failed_requests=True)
    limit = int(page.get_attribute("body", "data-max-chars"))
    # a real too_long from the server (the box's maxlength taken off, as a paste through another path could)
    page.evaluate("document.getElementById('message').removeAttribute('maxlength')")
    page.fill("#message", "很" * (limit + 1))
    page.wait_for_selector(".notice-error")
    assert page.inner_text(".notice-error .notice-title") == f"消息太长：最多 {limit} 个字"
    assert page.input_value("#message") == "很" * (limit + 1)  # kept

    cases = [
        ("invalid_type", "'message' must be a string, not an integer", "message", "消息的格式不对"),
        ("empty", "'message' is empty: paste what the buyer wrote", "message", "消息是空的"),
        ("too_long", "'context[0]' has 2001 characters; the limit is 2000", "context[0]", "上一条消息太长：最多 2000 个字"),
        ("internal_error", "internal error: the server could not answer this request", None, "服务出错了"),
    ]
    for i, (code, english, field, chinese) in enumerate(cases):
        page.route("**/api/v1/suggest", api_error(code, english, field, 500 if code == "internal_error" else 422))
        page.fill("#message", f"能便宜点吗{i}")
        page.wait_for_function("t => (document.querySelector('.notice-error .notice-title') || {}).textContent"
                               "?.startsWith(t)", arg=chinese)
        shown = page.inner_text(".notice-error")
        assert not re.search("[A-Za-z]{3,}", shown.replace("Ctrl+Enter", "")), (code, shown)
        assert page.input_value("#message") == f"能便宜点吗{i}"
        page.unroute("**/api/v1/suggest")


def test_stopped_server_shows_a_chinese_notice_and_keeps_the_message(page_at):
    page = page_at(1280, failed_requests=True)
    page.route("**/api/v1/suggest", lambda route: route.abort("connectionrefused"))
    page.fill("#message", "能便宜点吗")
    page.wait_for_selector(".notice-error")
    assert "服务暂时连不上，请稍后再试" in page.inner_text(".notice-error")
    assert page.input_value("#message") == "能便宜点吗"
    page.unroute("**/api/v1/suggest")
    page.keyboard.press("Control+Enter")  # back up: the kept message is suggested again
    page.wait_for_selector('.reply[data-number="1"]')


def test_slow_server_shows_a_chinese_notice_and_keeps_the_message(page_at):
    page = page_at(1280, clock=True)
    held = []
    page.route("**/api/v1/suggest", lambda route: held.append(route))  # a server that never answers
    page.focus("#message")
    page.keyboard.type("能便宜点吗")
    page.wait_for_function("document.querySelector('#message').value === '能便宜点吗'")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/suggest")):
        page.clock.run_for(500)  # past the debounce: the request goes out
        page.wait_for_function("() => true")  # let the page's fetch start before waiting on it
    page.clock.run_for(3500)
    page.wait_for_selector(".summary-slow")  # said at once that it is slow …
    page.clock.run_for(10_000)
    page.wait_for_selector(".notice-error")  # … and gives up after a while, in Chinese
    assert "服务暂时连不上，请稍后再试" in page.inner_text(".notice-error")
    assert page.input_value("#message") == "能便宜点吗"
    for route in held:
        try:
            route.abort()
        except Exception:  # the page gave up on it already
            pass
    page.unroute("**/api/v1/suggest")


# ---- accessibility ------------------------------------------------------------------------------------------


def test_accessibility_axe_contrast_one_h1_and_underlined_links(page_at, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    page = page_at(1366, 768)
    axe = Axe()

    def serious(state: str) -> list[str]:
        results = axe.run(page)
        (artifacts / f"axe-agent-{state}.txt").write_text(results.generate_report(), encoding="utf-8")
        return [f"{state}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
                for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

    problems = serious("intro")
    page.fill("#message", "包邮吗？能便宜点吗？发什么快递？")
    page.wait_for_selector('.reply[data-number="3"]')
    page.wait_for_function("document.getAnimations().length === 0")  # axe reads the colours as drawn
    problems += serious("results")
    assert problems == [], "\n".join(problems)

    assert page.locator("h1").count() == 1
    for link in page.locator("main a, .topnav a").all():
        assert "underline" in link.evaluate("a => getComputedStyle(a).textDecorationLine"), link.inner_text()


# ---- the product in focus (商品) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def product_server(embedder, tmp_path_factory, live_server):
    """The app over the fixture corpus plus the shipped product sheet; yields (base_url, app, products by id)."""
    engine = product_engine(tmp_path_factory.mktemp("product-home"), embedder)
    app = create_app(engine.settings, engine=engine)
    with live_server(app) as base_url:
        yield base_url, app, sheet(engine)


@pytest.fixture
def product_page(browser, product_server):
    """The agents' page on the product server, with clipboard access; console errors fail the test."""
    base_url, _, _ = product_server
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + "/")
    page.wait_for_selector("#status.status-ok")
    yield page
    context.close()
    assert errors == [], errors


def is_suggest(request) -> bool:
    return request.url.endswith("/api/v1/suggest") and request.method == "POST"


def product_option(page, product_id: str):
    return page.locator(f'#product-list [role="option"][data-product-id="{product_id}"]')


def first_card(page):
    return page.locator('#results:not(.stale) .reply[data-number="1"]')


def test_the_product_in_focus_is_chosen_by_name_and_sent_with_every_request(product_page, product_server):
    base_url, _, products = product_server
    page = product_page
    hoodie, jeans = products["712300000101"], products["712300000103"]
    assert page.inner_text("#product-current") == "未选择商品" and page.locator("#product-clear").is_hidden()

    # part of the name, typed: the listbox opens with the match; ↓ highlights it, Enter chooses it
    search = page.locator("#product-search")
    search.focus()
    page.keyboard.type("卫衣")
    wait_for_options(page, product_ids(base_url, "卫衣"))
    assert product_option(page, hoodie.id).is_visible()
    assert search.get_attribute("aria-expanded") == "true"
    assert page.locator("#product-list").get_attribute("role") == "listbox"
    page.keyboard.press("ArrowDown")
    active = search.get_attribute("aria-activedescendant")
    assert active and page.get_attribute(f"#{active}", "aria-selected") == "true"
    assert page.get_attribute(f"#{active}", "data-product-id") == hoodie.id
    page.keyboard.press("Enter")
    assert page.inner_text("#product-current") == hoodie.name
    assert page.locator("#product-list").is_hidden() and search.get_attribute("aria-expanded") == "false"
    assert page.locator("#product-clear").is_visible()
    assert page.evaluate("document.activeElement.id") == "message"  # back to the buyer's message

    # 「什么材质的」 names no product: the one in focus answers it, its 材质 cited from the sheet
    with page.expect_request(is_suggest) as request:
        page.keyboard.type("什么材质的")
    page.wait_for_function("() => !document.body.classList.contains('loading')")
    assert request.value.post_data_json["product"] == hoodie.id
    card = first_card(page)
    card.wait_for()
    assert card.get_attribute("data-reply-id").startswith("product:")
    assert hoodie.attributes["材质"] in card.locator(".reply-text").inner_text()
    assert page.locator(".situation-name").first.inner_text() == "商品咨询"
    # one question: the engine's segment for the sheet's answers is shown with the clause it answers
    assert page.locator(".segment").count() == 1 and "个问题" not in page.inner_text("#summary")

    # another product, while the answer for the first is on screen: the old cards go stale (not copyable) and the
    # same message is asked again for the new product
    held = []
    page.route("**/api/v1/suggest", lambda route: held.append(route))
    search.focus()
    with page.expect_request(is_suggest) as request:
        page.keyboard.type("牛仔")
        page.keyboard.press("Enter")  # at once, nothing highlighted: the first match for 牛仔 when it comes
    assert request.value.post_data_json == {"message": "什么材质的", "product": jeans.id}
    assert page.inner_text("#product-current") == jeans.name
    assert page.locator("#results.stale").count() == 1 and page.evaluate("document.getElementById('results').inert")
    page.evaluate("document.getElementById('toast').className = 'toast'")
    page.keyboard.press("Alt+1")
    page.wait_for_selector(".toast.show")
    assert "加载" in page.inner_text("#toast")
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/suggest")
    page.wait_for_function("t => (document.querySelector('#results:not(.stale) .reply[data-number=\"1\"] .reply-text')"
                           " || {}).textContent?.includes(t)", arg=jeans.attributes["材质"])

    # the clear button: the message is asked again without a product
    with page.expect_request(is_suggest) as request:
        page.click("#product-clear")
    assert request.value.post_data_json == {"message": "什么材质的"}
    assert page.inner_text("#product-current") == "未选择商品"


def test_a_note_for_the_agent_is_shown_but_never_copied(product_page, product_server):
    _, app, products = product_server
    page = product_page
    hoodie = products["712300000101"]
    assert "保质期" not in hoodie.attributes  # a garment: the sheet has no shelf life for it
    page.fill("#product-search", "712300000101")
    product_option(page, hoodie.id).click()
    assert page.inner_text("#product-current") == hoodie.name

    page.fill("#message", "保质期多久")
    card = first_card(page)
    card.wait_for()
    assert card.get_attribute("data-reply-id").startswith("product:")
    note = card.locator(".reply-note")
    assert note.is_visible()
    assert note.inner_text().startswith("提示：") and "保质期" in note.inner_text() and hoodie.name in note.inner_text()
    text = card.locator(".reply-text").inner_text()
    assert "提示" not in text and "保质期" not in text  # the buyer's reply says nothing invented

    before = len(feedback_rows(app))
    page.focus("#message")
    page.keyboard.press("Alt+1")
    page.wait_for_function("t => navigator.clipboard.readText().then(c => c === t)", arg=text)
    rows = wait_for_feedback(app, before + 1)
    assert rows[before:] == [("保质期多久", card.get_attribute("data-reply-id"), "copied")]

    # without a product, the note says which one is missing
    with page.expect_request(is_suggest):
        page.click("#product-clear")
    page.wait_for_function("() => (document.querySelector('#results:not(.stale) .reply[data-number=\"1\"]') || {})"
                           ".dataset?.replyId?.startsWith('product:ask_product')")
    assert "提示：" in first_card(page).locator(".reply-note").inner_text()


def test_escape_closes_the_list_then_clears_the_product_with_the_message(product_page, product_server):
    base_url, _, products = product_server
    page = product_page
    coat = products["712300000104"]
    page.fill("#context", "在吗")
    page.fill("#message", "什么材质的")
    first_card(page).wait_for()

    search = page.locator("#product-search")
    search.click()  # opens the list (every product) …
    wait_for_options(page, product_ids(base_url, ""))
    page.keyboard.type("大衣")  # … and typing narrows it
    wait_for_options(page, product_ids(base_url, "大衣"))
    page.keyboard.press("ArrowUp")  # from nothing highlighted, ↑ goes to the last match
    options = page.locator('#product-list [role="option"]')
    assert options.last.get_attribute("aria-selected") == "true"
    # Esc with the list open only closes the list; again, it empties the search box; the message stays
    page.keyboard.press("Escape")
    assert page.locator("#product-list").is_hidden() and search.get_attribute("aria-expanded") == "false"
    assert page.input_value("#product-search") == "大衣" and page.input_value("#message") == "什么材质的"
    page.keyboard.press("Escape")
    assert page.input_value("#product-search") == "" and page.input_value("#message") == "什么材质的"
    assert page.inner_text("#product-current") == "未选择商品"

    # chosen with the mouse; then Esc in the message box clears everything, the product included
    search.click()
    page.keyboard.type("羊毛")
    with page.expect_request(is_suggest) as request:
        product_option(page, coat.id).click()
    assert request.value.post_data_json == {"message": "什么材质的", "context": ["在吗"], "product": coat.id}
    page.wait_for_function("t => (document.querySelector('#results:not(.stale) .reply[data-number=\"1\"] .reply-text')"
                           " || {}).textContent?.includes(t)", arg=coat.attributes["材质"])
    page.focus("#message")
    page.keyboard.press("Escape")
    assert page.input_value("#message") == "" and page.input_value("#context") == ""
    assert page.inner_text("#product-current") == "未选择商品" and page.locator("#product-clear").is_hidden()
    page.wait_for_selector(".placeholder")
    with page.expect_request(is_suggest) as request:
        page.fill("#message", "什么材质的")
    assert request.value.post_data_json == {"message": "什么材质的"}  # nothing of the previous buyer


def test_product_chooser_accessibility(product_page, product_server, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    base_url, _, products = product_server
    page = product_page
    axe = Axe()

    def serious(state: str) -> list[str]:
        page.wait_for_function("document.getAnimations().length === 0")  # axe reads the colours as drawn
        results = axe.run(page)
        (artifacts / f"axe-agent-product-{state}.txt").write_text(results.generate_report(), encoding="utf-8")
        return [f"{state}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
                for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

    page.focus("#product-search")
    page.keyboard.type("暖暖")
    wait_for_options(page, product_ids(base_url, "暖暖"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.screenshot(path=str(artifacts / "agent-product-list.png"))
    problems = serious("list")
    page.keyboard.press("Enter")
    page.fill("#message", "保质期多久")
    first_card(page).locator(".reply-note").wait_for()
    page.screenshot(path=str(artifacts / "agent-product-note.png"))
    problems += serious("note")
    assert problems == [], "\n".join(problems)
    assert page.locator("h1").count() == 1
    assert page.inner_text("#product-current") == products[product_ids(base_url, "暖暖")[1]].name  # the second

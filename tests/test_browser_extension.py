"""The browser extension (integrations/extension/) loaded unpacked into Debian's Chromium, against a live server on
the real engine (with an API key), on the project's demo chat page and on a Chatwoot-like page served here.

Granting optional host permissions cannot be automated: chrome.permissions.request shows the browser's own
prompt, which a headless browser never answers. The tests load a copy of the extension whose manifest also lists
http://127.0.0.1/* under host_permissions: the state after the agent clicked "allow" for the test servers (all on
127.0.0.1). The options page still calls chrome.permissions.request, which then answers at once; pages on
`localhost` stay without permission. Tests that are not about the options page configure the extension through its
service worker (chrome.storage.local, then the worker's own syncContentScripts()).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import request
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from suggest.settings import load_settings
from suggest.shops.homes import add_shop, remove_shop
from tests.fixtures.shops import shop_corpus
from webapp import create_app
from webapp.integrations import bp as integrations_bp

from conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

EXTENSION = Path(__file__).parent.parent / "integrations" / "extension"
DOCS = Path(__file__).parent.parent / "docs"
API_KEY = "extension-key-1"
PANEL = "huashu-extension"
ITEMS = "huashu-extension .item"          # Playwright's CSS engine pierces open shadow roots
CHATWOOT_PATH = "/app/accounts/1/conversations/7"


# ---- servers ---------------------------------------------------------------------------------------------------

class Pages:
    """A tiny server on 127.0.0.1 (another origin than the API) serving the pages put in `pages`."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.port = self.server.server_port
        self.origin = f"http://127.0.0.1:{self.port}"

    def __call__(self, environ, start_response):
        page = self.pages.get(Request(environ).path)
        response = Response(page, mimetype="text/html") if page is not None else Response("not found", 404)
        return response(environ, start_response)


@pytest.fixture(scope="module")
def server(engine, tmp_path_factory, live_server):
    """The API with an API key and no cors_origins (the extension needs none); records every /suggest body."""
    home = tmp_path_factory.mktemp("extension-home")
    (home / "api_keys.txt").write_text(API_KEY + "\n", encoding="utf-8")
    app = create_app(settings=load_settings(home, env={}), engine=engine)
    if "integrations" not in app.blueprints:
        app.register_blueprint(integrations_bp)
    suggests: list[dict] = []

    @app.before_request
    def _record():
        if request.path == "/api/v1/suggest" and request.method == "POST":
            suggests.append({"body": request.get_json(silent=True), "origin": request.headers.get("Origin"),
                             "key": request.headers.get("X-API-Key")})

    pages = Pages()
    with live_server(app) as url, live_server(pages, pages.server):
        yield SimpleNamespace(url=url, app=app, suggests=suggests, pages=pages)


@pytest.fixture(scope="module")
def extension(browser, tmp_path_factory):
    """A persistent Chromium context with the unpacked extension (sharing the session's Playwright)."""
    copy = tmp_path_factory.mktemp("unpacked") / "extension"
    shutil.copytree(EXTENSION, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["host_permissions"] = ["http://127.0.0.1/*"]  # the agent allowed the test servers (see above)
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")), executable_path=str(CHROMIUM), headless=False,
        args=CHROMIUM_ARGS + ["--headless=new", f"--disable-extensions-except={copy}", f"--load-extension={copy}"],
        viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        ext_id = worker.url.split("/")[2]
        yield SimpleNamespace(context=context, id=ext_id, options=f"chrome-extension://{ext_id}/options/options.html")
    finally:
        context.close()


def worker(ext):
    """The extension's service worker (woken by opening an extension page if Chromium stopped it)."""
    if not ext.context.service_workers:
        page = ext.context.new_page()
        with ext.context.expect_event("serviceworker"):
            page.goto(f"chrome-extension://{ext.id}/options/options.html")
        page.close()
    return ext.context.service_workers[0]


def configure(ext, settings: dict) -> dict:
    """Store settings and register the content scripts, as 保存 on the options page does."""
    return worker(ext).evaluate("""async (settings) => {
        await chrome.storage.local.clear();
        await chrome.storage.local.set(settings);
        return syncContentScripts();
    }""", settings)


def stored(ext) -> dict:
    return worker(ext).evaluate("chrome.storage.local.get(null)")


def registered(ext) -> list[dict]:
    return worker(ext).evaluate("chrome.scripting.getRegisteredContentScripts()")


def demo_site(server) -> dict:
    return {"id": "demo", "name": "演示聊天页", "url": server.url + "/integrations/demo", "latest": ".msg.buyer",
            "history": ".msg.buyer", "replyBox": "#reply", "outgoing": ".msg.agent"}


def chatwoot_site(ext, server) -> dict:
    """The options page's Chatwoot preset, for a self-hosted Chatwoot at the test page server."""
    preset = worker(ext).evaluate("HuashuSettings.fromPreset('chatwoot', '')")
    return {**preset, "id": "chatwoot", "url": server.pages.origin + "/app/"}


def feedback_rows(app) -> list[tuple]:
    path = app.extensions["settings"].data_dir / "feedback.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT message, reply_id, action FROM feedback ORDER BY id").fetchall()


def wait_for_feedback(app, row: tuple, timeout: float = 10) -> list[tuple]:
    """Wait until the server has recorded `row` (the extension logs feedback in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = feedback_rows(app)
        if row in rows:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"feedback {row} not recorded; have {feedback_rows(app)}")


def wait_for_suggest(server, message: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in reversed(server.suggests):
            if call["body"] and call["body"].get("message") == message:
                return call
        time.sleep(0.05)
    raise AssertionError(f"no /suggest call for {message!r}; calls: {[c['body'] for c in server.suggests]}")


def new_page(ext):
    page = ext.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or
                a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def wait_for_situation(page, name: str) -> None:
    """Suggestions for the latest message are shown: the first reply's situation chip reads `name`."""
    page.locator(f"{ITEMS}[data-n='1'] .chip").first.filter(has_text=name).wait_for(timeout=15000)


# ---- the server accepts the extension ----------------------------------------------------------------------------

def test_server_accepts_calls_from_an_extension_with_its_key(server):
    """The service worker's calls carry Origin: chrome-extension://…; no web page can send that, so the Origin check
    lets them through (webapp/security.py), while the API key is still required and other origins still refused."""
    client = server.app.test_client()
    ext_origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    body = {"message": "包邮吗", "reply_id": "free_shipping-01", "action": "copied"}
    ok = client.post("/api/v1/feedback", json=body, headers={"Origin": ext_origin, "X-API-Key": API_KEY})
    assert ok.status_code == 201
    assert client.post("/api/v1/suggest", json={"message": "包邮吗"},
                       headers={"Origin": ext_origin, "X-API-Key": API_KEY}).status_code == 200
    no_key = client.post("/api/v1/feedback", json=body, headers={"Origin": ext_origin})
    assert no_key.status_code == 401
    page = client.post("/api/v1/feedback", json=body, headers={"Origin": "https://evil.example", "X-API-Key": API_KEY})
    assert page.status_code == 403 and page.get_json()["error"]["code"] == "cross_origin"
    form = client.post("/api/v1/feedback", data="x", content_type="text/plain",
                       headers={"Origin": ext_origin, "X-API-Key": API_KEY})
    assert form.status_code == 415  # still JSON only


# ---- the options page ----------------------------------------------------------------------------------------

def test_options_page_saves_settings_and_registers_only_the_configured_sites(extension, server, artifacts):
    configure(extension, {})
    page = new_page(extension)
    page.goto(extension.options)
    page.locator("body[data-ready]").wait_for(state="attached")
    assert page.locator("h1").text_content() == "话术推荐 · 扩展设置"
    assert page.locator("#no-sites").is_visible()

    page.fill("#server", server.url + "/")
    page.fill("#api-key", "wrong-key")
    page.get_by_role("button", name="测试连接").click()
    page.locator("#test-result").filter(has_text="API Key").wait_for()
    page.fill("#api-key", API_KEY)
    page.get_by_role("button", name="测试连接").click()
    page.locator("#test-result").filter(has_text="连接成功").wait_for()
    assert "8 个场景" in page.locator("#test-result").text_content()  # the fixture corpus

    # A site with a broken selector is not saved; the problem is named next to the field.
    page.get_by_role("button", name="添加网站").click()
    card = page.locator("fieldset.site").last
    card.get_by_label("名称").fill("某工作台")
    card.get_by_label("网址（以此开头的页面）").fill(server.pages.origin + "/im/")
    card.get_by_label("买家消息（最后一条即最新消息）").fill("div[")
    page.get_by_role("button", name="保存").click()
    card.locator(".errors").filter(has_text="不是有效的 CSS 选择器").wait_for()
    assert card.locator(".errors").filter(has_text="回复框").count() == 1
    assert card.get_by_label("买家消息（最后一条即最新消息）").get_attribute("aria-invalid") == "true"
    assert stored(extension).get("sites") is None
    card.get_by_role("button", name="删除这个网站").click()
    assert page.locator("fieldset.site").count() == 0

    # The presets fill the selectors of the demo page and of Chatwoot.
    page.get_by_role("button", name="使用预设：演示聊天页").click()
    page.get_by_role("button", name="使用预设：Chatwoot").click()
    chatwoot = page.locator("fieldset.site").nth(1)
    assert chatwoot.get_by_label("回复框").input_value() == '.ProseMirror[contenteditable="true"]'
    chatwoot.get_by_label("网址（以此开头的页面）").fill(server.pages.origin + "/app/")
    page.fill("#k", "4")
    page.screenshot(path=str(artifacts / "extension-options.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    page.locator("#status").filter(has_text="已保存").wait_for()
    assert "2 个网站" in page.locator("#status").text_content()

    saved = stored(extension)
    assert saved["server"] == server.url and saved["apiKey"] == API_KEY and saved["k"] == 4
    demo, cw = saved["sites"]
    assert demo["name"] == "演示聊天页" and demo["url"] == server.url + "/integrations/demo"
    assert (demo["latest"], demo["history"], demo["replyBox"], demo["outgoing"]) == (
        ".msg.buyer", ".msg.buyer", "#reply", ".msg.agent")
    assert cw["name"] == "Chatwoot" and cw["url"] == server.pages.origin + "/app/"
    # Content scripts for exactly these two sites, nothing for any other page.
    scripts = registered(extension)
    matches = sorted({m for s in scripts for m in s["matches"]})
    assert matches == sorted([server.url + "/integrations/demo*", server.pages.origin + "/app/*"])
    assert {s.get("world", "ISOLATED") for s in scripts} == {"ISOLATED", "MAIN"}

    # Saved settings come back when the page is opened again.
    page.reload()
    page.locator("body[data-ready]").wait_for(state="attached")
    assert page.input_value("#server") == server.url
    assert page.input_value("#api-key") == API_KEY
    assert page.input_value("#k") == "4"
    assert page.locator("fieldset.site").count() == 2
    assert page.locator("fieldset.site .site-title").all_text_contents() == ["演示聊天页", "Chatwoot"]
    assert page.errors == []
    page.close()


# ---- the demo chat page ----------------------------------------------------------------------------------------

def test_demo_page_panel_suggests_inserts_and_logs_feedback(extension, server, artifacts):
    # Without the optional selector of the agent's messages: "sent" is then recognised as the reply's text
    # appearing on the page outside the reply box (the Chatwoot test below uses the selector).
    site = {**demo_site(server), "outgoing": ""}
    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 5, "sites": [site]})
    page = new_page(extension)
    page.goto(server.url + "/integrations/demo")  # waits for the load event: the page's async widget.js has run
    panel = page.locator(f"{PANEL} .hw")
    panel.wait_for()
    # The page embeds the server's widget too; with the extension on, only the extension's panel shows.
    assert page.locator("huashu-widget").count() == 0
    assert page.locator(PANEL).count() == 1

    # The buyer's message already on the page is answered, through the service worker, with the key.
    first_call = wait_for_suggest(server, "在吗？这条连衣裙还有 M 码吗")
    assert first_call["key"] == API_KEY and first_call["origin"].startswith("chrome-extension://")
    assert "context" not in first_call["body"]

    # A new buyer message: the panel follows it, with the earlier buyer message as context.
    page.get_by_role("button", name="什么时候发货").click()
    page.locator(f"{PANEL} .quote-text").filter(has_text="什么时候发货").wait_for()
    wait_for_situation(page, "催发货")
    call = wait_for_suggest(server, "什么时候发货")
    assert call["body"] == {"message": "什么时候发货", "k": 5, "context": ["在吗？这条连衣裙还有 M 码吗"]}
    assert page.locator(f"{PANEL} .context").text_content() == "连同前面 1 条买家消息一起分析"
    items = page.locator(ITEMS)
    assert 1 <= items.count() <= 5
    assert "售中" in items.first.locator(".meta").text_content() and "置信度" in items.first.text_content()

    # Beside the chat: over neither the messages nor the reply box.
    box = panel.bounding_box()
    assert not overlaps(box, page.locator("#reply").bounding_box())
    assert not overlaps(box, page.locator("#messages").bounding_box())
    page.screenshot(path=str(artifacts / "extension-demo.png"))

    # Alt+1 fills the reply box and fires the events the page listens to; nothing is sent.
    page.evaluate("""() => { const r = document.getElementById('reply'); window.seen = {input: 0, change: 0};
                             r.addEventListener('input', () => seen.input++);
                             r.addEventListener('change', () => seen.change++); }""")
    first_text = items.first.locator(".text").text_content()
    first_id = items.first.get_attribute("data-reply-id")
    page.keyboard.press("Alt+1")
    assert page.input_value("#reply") == first_text
    assert page.evaluate("window.seen") == {"input": 1, "change": 1}
    assert page.evaluate("document.activeElement.id") == "reply"
    assert page.locator(".msg.agent").count() == 1  # never sends by itself
    wait_for_feedback(server.app, ("什么时候发货", first_id, "copied"))
    if os.environ.get("HUASHU_UPDATE_DOCS_SCREENSHOT"):  # docs/extension.png, the picture in docs/extension.md
        page.locator(f"{ITEMS}.done").wait_for(state="detached")
        page.screenshot(path=str(DOCS / "extension.png"), clip={"x": 220, "y": 0, "width": 1060, "height": 800})

    # A click on another reply replaces the text; the agent then sends it: feedback "sent".
    if items.count() > 1:
        second_text = items.nth(1).locator(".text").text_content()
        second_id = items.nth(1).get_attribute("data-reply-id")
        items.nth(1).click()
        assert page.input_value("#reply") == second_text
        wait_for_feedback(server.app, ("什么时候发货", second_id, "copied"))
        first_text, first_id = second_text, second_id
    assert page.locator(".msg.agent").count() == 1
    page.locator("#send").click()
    page.locator(".msg.agent").filter(has_text=first_text).wait_for()
    wait_for_feedback(server.app, ("什么时候发货", first_id, "sent"))

    # Alt+0 collapses and expands the panel.
    page.keyboard.press("Alt+0")
    assert not items.first.is_visible()
    page.keyboard.press("Alt+0")
    assert items.first.is_visible()
    assert page.errors == []
    page.close()


# ---- a Chatwoot-like page -----------------------------------------------------------------------------------

CHATWOOT_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Chatwoot（测试页）</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<style>
  /* Chatwoot-like layout; hostile global styles that must not reach the panel. */
  body { margin: 0; display: grid; grid-template-columns: 240px minmax(0, 1fr) 420px; height: 100vh;
         font: 30px/3 serif; color: red; }
  div, span, button, li, ol, p { letter-spacing: 3px; }
  button { background: yellow !important; }
  aside { background: #f4f5f7; }
  main { display: flex; flex-direction: column; min-height: 0; font: 14px/1.5 sans-serif; color: #222; }
  .conversation-panel { flex: 1; overflow: auto; padding: 12px; }
  .flex { display: flex; margin: 6px 0; } .justify-start { justify-content: flex-start; }
  .justify-end { justify-content: flex-end; }
  .left-bubble, .right-bubble { max-width: 60%; padding: 6px 10px; border-radius: 12px; }
  .left-bubble { background: #eee; } .right-bubble { background: #1f93ff; color: #fff; }
  .reply-box { border-top: 1px solid #ddd; padding: 8px; }
  .ProseMirror { min-height: 60px; border: 1px solid #ccc; padding: 6px; }
</style></head>
<body>
  <aside>会话列表</aside>
  <main>
    <ul class="conversation-panel" id="list" style="list-style:none">
      <div id="message1" class="flex w-full justify-start" data-message-id="1">
        <div class="text-sm left-bubble rounded-xl"><span class="prose prose-bubble"><p>在吗</p></span></div></div>
      <div id="message2" class="flex w-full justify-end" data-message-id="2">
        <div class="text-sm right-bubble rounded-xl"><span class="prose prose-bubble"><p>您好，在的</p></span></div></div>
      <div id="message3" class="flex w-full justify-start" data-message-id="3">
        <div class="text-sm left-bubble rounded-xl"><span class="prose prose-bubble"><p>BUYER_TEXT</p></span></div></div>
    </ul>
    <div class="reply-box">
      <div class="ProseMirror ProseMirror-woot-style" contenteditable="true" role="textbox"></div>
      <button id="send" type="button">发送</button>
    </div>
  </main>
  <aside class="contact">联系人信息</aside>
  <script>
    window.inputs = 0;
    const editor = document.querySelector(".ProseMirror");
    editor.addEventListener("input", () => window.inputs++);
    let next = 4;
    function bubble(side, text) {
      const row = document.createElement("div");
      row.className = "flex w-full " + (side === "left" ? "justify-start" : "justify-end");
      row.id = "message" + next++;
      row.innerHTML = '<div class="text-sm ' + side + '-bubble rounded-xl"><span class="prose prose-bubble"><p></p></span></div>';
      row.querySelector("p").textContent = text;
      document.getElementById("list").appendChild(row);
    }
    window.buyerSays = (text) => bubble("left", text);
    document.getElementById("send").addEventListener("click", () => {
      const text = editor.textContent.trim();
      if (text) { bubble("right", text); editor.textContent = ""; }
    });
  </script>
</body></html>
"""


def test_chatwoot_like_page_follows_new_messages_and_fills_the_editor(extension, server):
    server.pages.pages[CHATWOOT_PATH] = CHATWOOT_PAGE.replace("BUYER_TEXT", "这件衣服能便宜点吗")
    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 3, "sites": [chatwoot_site(extension, server)]})
    page = new_page(extension)
    page.goto(server.pages.origin + CHATWOOT_PATH)
    wait_for_situation(page, "议价")
    call = wait_for_suggest(server, "这件衣服能便宜点吗")
    assert call["body"] == {"message": "这件衣服能便宜点吗", "k": 3, "context": ["在吗"]}  # not the agent's message
    # The page's hostile styles do not reach the panel (shadow DOM); the page's CSP does not stop its calls.
    style = page.locator(f"{ITEMS} .text").first.evaluate(
        "n => ({size: getComputedStyle(n).fontSize, color: getComputedStyle(n).color,"
        "       spacing: getComputedStyle(n).letterSpacing})")
    assert style == {"size": "14px", "color": "rgb(31, 35, 41)", "spacing": "normal"}
    assert not overlaps(page.locator(f"{PANEL} .hw").bounding_box(), page.locator(".ProseMirror").bounding_box())

    # A new buyer message arrives (MutationObserver): suggestions follow, the two earlier ones as context.
    page.evaluate("buyerSays('发什么快递')")
    wait_for_situation(page, "快递")
    call = wait_for_suggest(server, "发什么快递")
    assert call["body"]["context"] == ["在吗", "这件衣服能便宜点吗"]

    # Alt+2 writes the second reply into the contenteditable editor, as typing would.
    items = page.locator(ITEMS)
    assert items.count() >= 2
    second_text = items.nth(1).locator(".text").text_content()
    second_id = items.nth(1).get_attribute("data-reply-id")
    page.keyboard.press("Alt+2")
    assert page.locator(".ProseMirror").text_content() == second_text
    assert page.evaluate("window.inputs") >= 1
    assert page.locator(".right-bubble").count() == 1  # nothing sent
    wait_for_feedback(server.app, ("发什么快递", second_id, "copied"))

    # The agent sends it: the reply shows up as the agent's message, which the extension logs as "sent".
    page.locator("#send").click()
    wait_for_feedback(server.app, ("发什么快递", second_id, "sent"))
    assert page.errors == []
    page.close()


def test_unconfigured_pages_are_not_touched(extension, server):
    server.pages.pages[CHATWOOT_PATH] = CHATWOOT_PAGE.replace("BUYER_TEXT", "有优惠券吗")
    server.pages.pages["/other" + CHATWOOT_PATH] = CHATWOOT_PAGE.replace("BUYER_TEXT", "未配置页面上的消息")
    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 3, "sites": [chatwoot_site(extension, server)]})
    assert [m for s in registered(extension) for m in s["matches"]] == [server.pages.origin + "/app/*"] * 2

    # Same host, another path (the extension has the host permission, but the page is not configured), and a host
    # the extension has no permission for.
    other_path = new_page(extension)
    other_path.goto(server.pages.origin + "/other" + CHATWOOT_PATH)
    other_host = new_page(extension)
    server.pages.pages["/app/accounts/2/conversations/1"] = CHATWOOT_PAGE.replace("BUYER_TEXT", "另一个主机上的消息")
    other_host.goto(f"http://localhost:{server.pages.port}/app/accounts/2/conversations/1")
    # Then a configured page: once its panel answered, the extension has had every chance to act on the others.
    configured = new_page(extension)
    configured.goto(server.pages.origin + CHATWOOT_PATH)
    configured.locator(f"{PANEL} .hw").wait_for()
    wait_for_suggest(server, "有优惠券吗")
    for page in (other_path, other_host):
        assert page.locator(PANEL).count() == 0
        assert page.evaluate("typeof window.HuashuWidget") == "undefined"  # not even the guard ran
        assert page.locator(".ProseMirror").text_content() == ""
    messages = [c["body"]["message"] for c in server.suggests if c["body"]]
    assert "未配置页面上的消息" not in messages and "另一个主机上的消息" not in messages

    # A site removed from the settings: its open page loses the panel at once.
    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 3, "sites": []})
    configured.locator(PANEL).wait_for(state="detached")
    assert registered(extension) == []
    for page in (other_path, other_host, configured):
        assert page.errors == []
        page.close()


# ---- pick on the page -----------------------------------------------------------------------------------------

def test_pick_on_the_page_fills_the_selectors(extension, server):
    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 5, "sites": []})
    chat = new_page(extension)
    chat.goto(server.url + "/integrations/demo")
    chat.get_by_role("button", name="能便宜点吗").click()
    chat.get_by_role("button", name="包邮吗").click()
    assert chat.locator(".msg.buyer").count() == 3
    assert chat.locator(PANEL).count() == 0  # not configured yet

    options = new_page(extension)
    options.goto(extension.options)
    options.locator("body[data-ready]").wait_for(state="attached")
    options.get_by_role("button", name="添加网站").click()
    card = options.locator("fieldset.site").last
    card.get_by_label("名称").fill("演示页（点选）")
    card.get_by_label("网址（以此开头的页面）").fill(server.url + "/integrations/demo")
    card.get_by_role("button", name="在页面上点选").click()

    # The picker opens on the chat page that is already open; the page does not see the clicks.
    bar = chat.locator("huashu-picker .bar")
    bar.filter(has_text="第 1 步").wait_for()
    chat.evaluate("window.pageClicks = 0; document.addEventListener('click', () => pageClicks++, true)")
    chat.locator(".msg.buyer").last.click()
    bar.filter(has_text="更早的一条买家消息").wait_for()
    chat.locator(".msg.buyer").first.click()
    bar.filter(has_text="你（客服）发出的消息").wait_for()
    chat.locator(".msg.agent").first.click()
    bar.filter(has_text="回复框").wait_for()
    chat.locator("#reply").click()
    bar.filter(has_text="已选好").wait_for()
    assert chat.evaluate("window.pageClicks") == 0
    chat.locator("huashu-picker").wait_for(state="detached")

    options.locator("#status").filter(has_text="已从页面填入").wait_for()
    fields = {f: card.get_by_label(label).input_value() for f, label in [
        ("latest", "买家消息（最后一条即最新消息）"), ("history", "更早的消息（作为上文）"), ("replyBox", "回复框"),
        ("outgoing", "客服发出的消息（可选，用于记录“已发送”）")]}
    # The selectors pick out exactly the buyer's messages, the agent's messages and the reply box.
    assert chat.evaluate("s => [...document.querySelectorAll(s)].map(n => n.className)", fields["latest"]) == \
        ["msg buyer"] * 3
    assert fields["history"] == fields["latest"]
    assert chat.evaluate("s => [...document.querySelectorAll(s)].map(n => n.className)", fields["outgoing"]) == \
        ["msg agent"]
    assert chat.evaluate("s => [...document.querySelectorAll(s)].map(n => n.id)", fields["replyBox"]) == ["reply"]

    # Saved: the open chat page gets the panel at once, for its latest buyer message.
    options.get_by_role("button", name="保存").click()
    options.locator("#status").filter(has_text="已保存").wait_for()
    chat.bring_to_front()
    wait_for_situation(chat, "包邮")
    assert wait_for_suggest(server, "包邮吗")["body"]["context"] == ["在吗？这条连衣裙还有 M 码吗", "能便宜点吗"]
    assert chat.errors == [] and options.errors == []
    chat.close()
    options.close()


def test_pick_on_a_chatwoot_like_page_tells_buyer_from_agent(extension, server):
    """Buyer and agent messages share their markup but for one class up the tree: the picked selectors find it."""
    server.pages.pages[CHATWOOT_PATH] = CHATWOOT_PAGE.replace("BUYER_TEXT", "能便宜点吗")
    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 5, "sites": []})
    chat = new_page(extension)
    chat.goto(server.pages.origin + CHATWOOT_PATH)
    options = new_page(extension)
    options.goto(extension.options)
    options.locator("body[data-ready]").wait_for(state="attached")
    options.get_by_role("button", name="添加网站").click()
    card = options.locator("fieldset.site").last
    card.get_by_label("网址（以此开头的页面）").fill(server.pages.origin + "/app/")
    card.get_by_role("button", name="在页面上点选").click()
    bar = chat.locator("huashu-picker .bar")
    bar.filter(has_text="第 1 步").wait_for()
    chat.locator(".left-bubble p").last.click()
    bar.filter(has_text="更早的一条买家消息").wait_for()
    chat.locator(".left-bubble p").first.click()
    bar.filter(has_text="你（客服）发出的消息").wait_for()
    chat.locator(".right-bubble p").first.click()
    bar.filter(has_text="回复框").wait_for()
    chat.locator(".ProseMirror").click()
    options.locator("#status").filter(has_text="已从页面填入").wait_for()
    texts = "s => [...document.querySelectorAll(s)].map(n => n.textContent.trim())"
    latest = card.get_by_label("买家消息（最后一条即最新消息）").input_value()
    outgoing = card.get_by_label("客服发出的消息（可选，用于记录“已发送”）").input_value()
    assert chat.evaluate(texts, latest) == ["在吗", "能便宜点吗"]
    assert chat.evaluate(texts, outgoing) == ["您好，在的"]
    assert chat.evaluate("s => [...document.querySelectorAll(s)].map(n => n.className)",
                         card.get_by_label("回复框").input_value()) == ["ProseMirror ProseMirror-woot-style"]
    # The selectors keep working for messages that arrive later.
    chat.evaluate("buyerSays('包邮吗')")
    assert chat.evaluate(texts, latest)[-1] == "包邮吗"
    assert chat.errors == [] and options.errors == []
    chat.close()
    options.close()


# ---- accessibility -------------------------------------------------------------------------------------------

def test_contrast_of_panel_and_options_page(extension, server, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def serious(page, name: str, context=None) -> list[str]:
        page.wait_for_function("document.getAnimations().length === 0")  # axe reads the colours as drawn
        results = axe.run(page, context=context)
        (artifacts / f"axe-extension-{name}.txt").write_text(results.generate_report(), encoding="utf-8")
        return [f"{name}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
                for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

    configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 5, "sites": [demo_site(server)]})
    chat = new_page(extension)
    chat.goto(server.url + "/integrations/demo")
    chat.get_by_role("button", name="尺码不合适能换吗").click()
    wait_for_situation(chat, "退换货")
    problems = serious(chat, "panel", {"include": [[PANEL]]})
    chat.keyboard.press("Alt+1")  # the status line turns green
    problems += serious(chat, "panel-inserted", {"include": [[PANEL]]})

    options = new_page(extension)
    options.goto(extension.options)
    options.locator("fieldset.site").first.wait_for()
    options.get_by_role("button", name="保存").click()
    options.locator("#status").filter(has_text="已保存").wait_for()
    problems += serious(options, "options")
    assert problems == [], "\n".join(problems)
    chat.close()
    options.close()


def test_the_panel_switches_shops_per_site_and_logs_feedback_to_the_shop_shown(extension, server, engine):
    """On a server with shops, the panel lists them; the shop chosen is the site's from then on (kept by the
    extension, not the page), and an inserted reply's feedback goes to the shop whose reply it was."""
    settings = server.app.extensions["settings"]
    add_shop(settings, "alpha", shop_corpus(engine.corpus, "a", "甲店"))
    alpha_feedback = settings.home / "shops" / "alpha" / "var" / "feedback.sqlite3"
    try:
        configure(extension, {"server": server.url, "apiKey": API_KEY, "k": 5, "sites": [demo_site(server)]})
        page = new_page(extension)
        page.goto(server.url + "/integrations/demo")
        select = page.locator(f"{PANEL} .shop-select")
        select.wait_for()
        assert select.locator("option").all_inner_texts() == ["默认店铺", "alpha"] and select.input_value() == ""
        page.locator(ITEMS).first.wait_for()
        assert "甲店" not in page.locator(ITEMS).first.text_content()

        select.select_option("alpha")
        page.locator(f"{ITEMS} .text").filter(has_text="【甲店】").first.wait_for()
        assert all(t.startswith("【甲店】") for t in page.locator(f"{ITEMS} .text").all_text_contents())
        reply_id = page.locator(ITEMS).first.get_attribute("data-reply-id")
        page.keyboard.press("Alt+1")

        def alpha_rows() -> list[tuple]:
            if not alpha_feedback.exists():
                return []
            with sqlite3.connect(alpha_feedback) as db:
                return db.execute("SELECT reply_id, action FROM feedback").fetchall()

        deadline = time.monotonic() + 10
        while (reply_id, "copied") not in alpha_rows():
            assert time.monotonic() < deadline, alpha_rows()
            time.sleep(0.1)
        assert reply_id.startswith("a-")

        again = new_page(extension)  # the site's shop is remembered by the extension
        again.goto(server.url + "/integrations/demo")
        again.locator(f"{ITEMS} .text").filter(has_text="【甲店】").first.wait_for()
        assert again.locator(f"{PANEL} .shop-select").input_value() == "alpha"
        assert page.errors == [] and again.errors == []
        page.close()
        again.close()
    finally:
        remove_shop(settings, "alpha")
    # removed from the server: the site is answered by the default shop again, and the panel says so
    page = new_page(extension)
    page.goto(server.url + "/integrations/demo")
    page.locator(f"{PANEL} .shop-note").filter(has_text="alpha").wait_for()
    page.locator(ITEMS).first.wait_for()
    assert not any("甲店" in t for t in page.locator(f"{ITEMS} .text").all_text_contents())
    assert page.locator(f"{PANEL} .shop-note").is_visible()  # said until the agent chooses
    page.close()

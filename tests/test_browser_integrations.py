"""The chat-tool integrations in headless Chromium: the widget on a chat page of another origin, and the
Chatwoot-style sidebar inside an iframe of another origin, both against a live server on the real engine."""

from __future__ import annotations

import json

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from suggest.settings import load_settings
from tests.fixtures.product_shop import product_engine, product_ids, sheet, wait_for_options
from webapp import create_app
from webapp.integrations import bp as integrations_bp

pytestmark = pytest.mark.browser

FETCH_INFO = "chatwoot-dashboard-app:fetch-info"


# ---- servers ---------------------------------------------------------------------------------------------------

class OtherOrigin:
    """A second tiny server on another port (so another origin): serves the pages put in `pages`."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"

    def __call__(self, environ, start_response):
        request = Request(environ)
        page = self.pages.get(request.path)
        response = Response(page, mimetype="text/html") if page is not None else Response("not found", 404)
        return response(environ, start_response)


def with_integrations(app):
    if "integrations" not in app.blueprints:
        app.register_blueprint(integrations_bp)
    return app


@pytest.fixture(scope="module")
def servers(engine, tmp_path_factory, live_server):
    """(API base URL, other origin, OtherOrigin, app, home): the API allows the other origin by CORS."""
    other = OtherOrigin()
    home = tmp_path_factory.mktemp("integrations-home")  # own feedback DB; the shared engine serves
    settings = load_settings(home, env={}, cors_origins=other.origin)
    app = with_integrations(create_app(settings=settings, engine=engine))
    with live_server(app) as api, live_server(other, other.server):
        yield api, other.origin, other, app, home



@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 780}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    context.close()


def api_posts(page, path: str) -> list[dict]:
    """Every JSON body the page (or its frames) POSTs to `path`, recorded as it goes."""
    bodies: list[dict] = []

    def record(request):
        if request.method == "POST" and request.url.endswith(path):
            bodies.append(json.loads(request.post_data))

    page.on("request", record)
    return bodies


# ---- (a) the widget on a chat tool of another origin ---------------------------------------------------------

CHAT_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>某聊天工具</title>
<style>
  /* Hostile host styles: none of them may reach the widget's panel. */
  body { color: red; font: 30px/3 serif; letter-spacing: 4px; background: #fafafa; }
  div, span, button, li, ol, section, header, p { color: red !important; background: yellow !important;
    font-size: 30px !important; border: 3px solid lime !important; }
  button { display: none !important; }
  * { font-family: serif !important; }
  .msg { margin: 6px; padding: 4px; }
</style></head>
<body>
  <h1 style="font-size:20px">客服工作台（另一个源）</h1>
  <div id="list"><div class="msg buyer">在吗</div><div class="msg agent">在的亲</div></div>
  <textarea id="reply" rows="3" cols="60"></textarea>
  <div id="editor" contenteditable="true" style="min-height:40px"></div>
  <input id="next" value="能便宜点吗"><a id="add" href="#" role="button">买家发来</a>
  <script>
    // Like React: the instance's value property tracks assignments, and an input event whose value equals the
    // tracked one is ignored. Only a change made through the prototype setter is "seen".
    const reply = document.getElementById("reply");
    const native = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value");
    let tracked = reply.value;
    Object.defineProperty(reply, "value", {configurable: true,
      get() { return native.get.call(this); },
      set(v) { tracked = String(v); native.set.call(this, v); }});
    window.seen = [];
    window.changes = 0;
    reply.addEventListener("input", () => { const v = reply.value; if (v !== tracked) { tracked = v; seen.push(v); } });
    reply.addEventListener("change", () => { window.changes++; });
    window.editorInputs = 0;
    document.getElementById("editor").addEventListener("input", () => { window.editorInputs++; });
    function addBuyer(text) {
      const node = document.createElement("div");
      node.className = "msg buyer";
      node.textContent = text;
      document.getElementById("list").appendChild(node);
    }
    document.getElementById("add").addEventListener("click", (e) => {
      e.preventDefault(); addBuyer(document.getElementById("next").value); });
  </script>
  <script src="API/static/widget.js" data-server="API" data-incoming=".msg.buyer" data-reply-box="#reply"
          data-outgoing=".msg.agent" data-k="4" async></script>
</body></html>
"""

SHADOW_ITEMS = "huashu-widget .item"  # Playwright's CSS engine pierces open shadow roots


def test_widget_on_another_origin(servers, page, artifacts):
    api, origin, other, _, _ = servers
    other.pages["/chat.html"] = CHAT_PAGE.replace("API", api)
    suggests = api_posts(page, "/api/v1/suggest")
    page.goto(origin + "/chat.html")
    page.wait_for_function("window.HuashuWidget && document.querySelector('huashu-widget')")
    # The page already holds one buyer message: the widget answers it on load.
    page.wait_for_function("HuashuWidget.suggestions().length > 0", timeout=15000)
    styles_before = page.evaluate("document.querySelectorAll('style, link[rel=stylesheet]').length")

    page.fill("#next", "能便宜点吗")
    page.click("#add")
    page.wait_for_function("document.querySelector('huashu-widget').shadowRoot.querySelector('.quote-text')"
                           ".textContent === '能便宜点吗'")
    page.wait_for_function("HuashuWidget.suggestions()[0] && HuashuWidget.suggestions()[0].situation === 'bargain'",
                           timeout=15000)
    items = page.locator(SHADOW_ITEMS)
    assert 1 <= items.count() <= 4
    assert suggests[-1]["message"] == "能便宜点吗"
    assert suggests[-1]["context"] == ["在吗"]  # the earlier buyer message, not the agent's
    assert suggests[-1]["k"] == 4

    # The panel lives in a shadow root, and the host page's hostile styles do not reach it.
    shadow = page.evaluate("""() => {
        const host = document.querySelector('huashu-widget');
        const root = host.shadowRoot;
        const text = root.querySelector('.item .text');
        const item = root.querySelector('.item');
        const cs = getComputedStyle(text);
        return {inShadow: !!root && root.contains(text) && !document.contains(text),
                color: cs.color, size: cs.fontSize, family: cs.fontFamily, spacing: cs.letterSpacing,
                itemDisplay: getComputedStyle(item).display, itemBg: getComputedStyle(item).backgroundColor,
                hostPosition: getComputedStyle(host).position};
    }""")
    assert shadow["inShadow"]
    assert shadow["color"] != "rgb(255, 0, 0)" and shadow["size"] == "14px"
    assert "serif" != shadow["family"].split(",")[0].strip() and shadow["spacing"] in ("normal", "0px")
    assert shadow["itemDisplay"] != "none" and shadow["itemBg"] != "rgb(255, 255, 0)"
    assert shadow["hostPosition"] == "fixed"
    # …and the widget changed nothing of the page but adding its own element.
    assert page.evaluate("document.querySelectorAll('style, link[rel=stylesheet]').length") == styles_before
    assert page.evaluate("getComputedStyle(document.querySelector('.msg')).color") == "rgb(255, 0, 0)"
    assert page.evaluate("[...document.body.children].filter(e => e.tagName === 'HUASHU-WIDGET').length") == 1

    first = page.evaluate("HuashuWidget.suggestions()[0]")
    page.screenshot(path=str(artifacts / "widget-chat-page.png"))

    # Alt+1 fills the reply box the way a React app notices; feedback "copied" reaches the API through CORS.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/feedback")) as feedback:
        page.keyboard.press("Alt+1")
    assert feedback.value.status == 201
    assert json.loads(feedback.value.request.post_data) == {"message": "能便宜点吗", "reply_id": first["id"],
                                                            "action": "copied"}
    assert page.input_value("#reply") == first["text"]
    assert page.evaluate("window.seen") == [first["text"]]
    assert page.evaluate("window.changes") == 1
    assert page.evaluate("document.activeElement.id") == "reply"
    # It never sends: no new agent message appeared.
    assert page.locator(".msg.agent").count() == 1
    page.screenshot(path=str(artifacts / "widget-inserted.png"))

    # The page "sends" the inserted reply: with data-outgoing the widget logs "sent".
    with page.expect_response(lambda r: r.url.endswith("/api/v1/feedback")) as sent:
        page.evaluate("""(text) => { const n = document.createElement('div'); n.className = 'msg agent';
                                     n.textContent = text; document.getElementById('list').appendChild(n); }""",
                      first["text"])
    assert json.loads(sent.value.request.post_data)["action"] == "sent"

    # A message nothing in the corpus answers: the panel says so.
    page.evaluate("addBuyer('今天天气真好')")
    note = page.locator("huashu-widget .note")
    note.filter(has_text="没有合适的话术").wait_for(timeout=15000)
    assert page.locator(SHADOW_ITEMS).count() == 0

    # Programmatic init on a contenteditable reply box; Alt+2 inserts the second suggestion.
    page.evaluate("HuashuWidget.init({replyBox: '#editor'})")
    page.evaluate("addBuyer('发什么快递')")
    page.wait_for_function("HuashuWidget.suggestions().length >= 2 && "
                           "HuashuWidget.suggestions()[0].situation === 'express_choice'", timeout=15000)
    assert page.locator("huashu-widget").count() == 1  # re-init replaced the panel
    second = page.evaluate("HuashuWidget.suggestions()[1]")
    page.keyboard.press("Alt+2")
    page.wait_for_function("document.getElementById('editor').textContent.length > 0")
    assert page.text_content("#editor") == second["text"]
    assert page.evaluate("window.editorInputs") >= 1

    # The agent can drag the panel by its title bar; the spot is remembered for the site.
    before = page.locator("huashu-widget").bounding_box()
    head = page.locator("huashu-widget .head .title").bounding_box()
    page.mouse.move(head["x"] + 5, head["y"] + 5)
    page.mouse.down()
    page.mouse.move(head["x"] - 200, head["y"] - 60, steps=5)
    page.mouse.up()
    after = page.locator("huashu-widget").bounding_box()
    assert abs(after["x"] - (before["x"] - 205)) < 3 and abs(after["y"] - (before["y"] - 65)) < 3
    assert json.loads(page.evaluate("localStorage.getItem('huashu-widget.position')"))["right"] > 150
    page.evaluate("HuashuWidget.resetPosition()")

    # Collapsing hides the list, Alt+0 brings it back.
    page.locator("huashu-widget .toggle").click()
    assert not page.locator(SHADOW_ITEMS).first.is_visible()
    page.keyboard.press("Alt+0")
    assert page.locator(SHADOW_ITEMS).first.is_visible()
    assert page.errors == []


def test_widget_reports_errors_politely(servers, page):
    """A chat page whose origin the server does not allow: the panel says it cannot reach the service."""
    api, origin, other, _, _ = servers
    other.pages["/chat2.html"] = CHAT_PAGE.replace("API", api)
    page.goto(origin.replace("127.0.0.1", "localhost") + "/chat2.html")  # another origin, not in cors_origins
    note = page.locator("huashu-widget .note.error")
    note.wait_for(timeout=15000)
    assert "连不上话术服务" in note.text_content()
    assert page.locator("huashu-widget .retry").is_visible()
    assert page.errors == []


def test_demo_page(servers, page, artifacts):
    api, _, _, _, _ = servers
    page.goto(api + "/integrations/demo")
    assert page.locator("script[src$='/static/widget.js']").count() == 1
    page.get_by_role("button", name="什么时候发货").click()
    page.wait_for_function("HuashuWidget.suggestions()[0] && "
                           "HuashuWidget.suggestions()[0].situation === 'urge_shipping'", timeout=15000)
    page.locator(SHADOW_ITEMS).first.click()
    first = page.evaluate("HuashuWidget.suggestions()[0]")
    assert page.input_value("#reply") == first["text"]
    page.screenshot(path=str(artifacts / "widget-demo.png"))
    assert page.errors == []


# ---- (b) the Chatwoot sidebar in an iframe of another origin -------------------------------------------------

PARENT_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Chatwoot (假)</title>
<style>body{margin:0;display:flex;font-family:sans-serif;background:#e8eaee}
main{flex:1;padding:20px;color:#555} iframe{width:360px;height:760px;border:0;border-left:1px solid #ccc;background:#fff}</style>
</head><body><main>会话区（假的 Chatwoot）</main>
<iframe id="app" src="API/integrations/sidebar"></iframe>
<script>
  window.received = [];
  const frame = document.getElementById("app");
  window.addEventListener("message", (e) => { if (e.source === frame.contentWindow) received.push(e.data); });
  window.sendContext = (payload) => frame.contentWindow.postMessage(payload, "*");
</script></body></html>
"""

HTML_MESSAGE = '能便宜点吗<img src=x onerror="window.parent.pwned=1"><b>急</b>'


def chatwoot_context(messages, contact_name="小鹿"):
    return {"event": "appContext", "data": {
        "conversation": {"id": 42, "inbox_id": 1, "status": "open", "messages": messages},
        "contact": {"id": 7, "name": contact_name, "email": "buyer@example.com"},
        "currentAgent": {"id": 1, "name": "Agent Smith", "email": "agent@example.com"}}}


def test_sidebar_in_chatwoot_iframe(servers, page, artifacts):
    api, origin, other, _, _ = servers
    other.pages["/chatwoot.html"] = PARENT_PAGE.replace("API", api)
    suggests = api_posts(page, "/api/v1/suggest")
    page.goto(origin + "/chatwoot.html")
    # On load the app asks the helpdesk for the conversation.
    page.wait_for_function(f"window.received.includes({json.dumps(FETCH_INFO)})")
    frame = page.frame_locator("#app")
    sidebar = page.frame(url=lambda url: "/integrations/sidebar" in url)
    assert sidebar is not None

    messages = [
        {"id": 1, "content": "在吗", "message_type": 0, "created_at": 1700000100},
        {"id": 3, "content": HTML_MESSAGE, "message_type": 0, "created_at": 1700000300},
        {"id": 4, "content": "<b>亲</b>，在的", "message_type": 1, "created_at": 1700000400},
        {"id": 5, "content": "内部备注：老客户", "message_type": 1, "private": True, "created_at": 1700000500},
        {"id": 2, "content": "发什么快递", "message_type": 0, "created_at": 1700000200},  # listed late, sent earlier
        {"id": 6, "content": None, "message_type": 0, "created_at": 1700000600},  # an attachment without text
    ]
    contact = '<script>window.parent.pwned=2</script>小鹿'
    page.evaluate("(p) => sendContext(p)", json.dumps(chatwoot_context(messages, contact), ensure_ascii=False))

    frame.locator(".sb-reply").first.wait_for(timeout=15000)
    assert frame.locator("#current-text").text_content() == HTML_MESSAGE  # the HTML shows as text
    assert frame.locator("#current img, #current b, script:not([src])").count() == 0
    assert "<script>window.parent.pwned=2</script>小鹿" in frame.locator("#current-meta").text_content()
    assert page.evaluate("window.pwned") is None
    assert frame.locator(".sb-situation-name").first.text_content() == "议价"
    assert frame.locator(".sb-badge").first.text_content() == "售前"
    assert "%" in frame.locator(".sb-confidence-value").first.text_content()
    assert "会话 #42" in frame.locator("#conn").text_content()
    body = suggests[-1]
    assert body["message"] == HTML_MESSAGE
    assert body["context"] == ["在吗", "发什么快递"]  # earlier incoming messages, by time
    assert body["variables"] == {"买家昵称": contact}

    # Copy on click: toast 已复制 and feedback "copied".
    first_id = frame.locator(".sb-reply").first.get_attribute("data-reply-id")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/feedback")) as feedback:
        frame.locator(".sb-reply").first.click()
    assert feedback.value.status == 201
    assert json.loads(feedback.value.request.post_data) == {"message": HTML_MESSAGE, "reply_id": first_id,
                                                            "action": "copied"}
    toast = frame.locator("#toast")
    assert "已复制" in toast.text_content()
    # The parent is told which reply was chosen (a helpdesk SDK wrapper can insert it).
    page.wait_for_function("window.received.some(m => m.includes('huashu:reply'))")
    announced = [json.loads(m) for m in page.evaluate("window.received") if "huashu:reply" in m]
    assert announced[-1]["data"]["reply_id"] == first_id
    assert announced[-1]["data"]["text"] == frame.locator(".sb-reply-text").first.text_content()
    page.screenshot(path=str(artifacts / "sidebar-chatwoot.png"))
    page.locator("#app").screenshot(path=str(artifacts / "sidebar.png"))

    # Anything else is ignored: other events, non-JSON, objects instead of strings, payloads over 1 MB.
    calls = len(suggests)
    newer = [{"id": 9, "content": "什么时候发货", "message_type": 0, "created_at": 1700000900}]
    page.evaluate("(p) => sendContext(p)", json.dumps({"event": "other", "data": chatwoot_context(newer)["data"]}))
    page.evaluate("() => sendContext('not json {')")
    page.evaluate("(p) => sendContext(p)", chatwoot_context(newer))  # an object, not a JSON string
    big = chatwoot_context(newer + [{"id": 10, "content": "x" * 1_100_000, "message_type": 1,
                                      "created_at": 1700000000}])
    page.evaluate("(p) => sendContext(p)", json.dumps(big))
    # (checked below: the next valid context, posted after these, is the only one that makes a request)

    # Only the last 50 messages count, and content is cut to the API's 2000 characters.
    long_history = [{"id": i, "content": "包邮吗" if i == 0 else "好的", "message_type": 0 if i == 0 else 1,
                     "created_at": 1700001000 + i} for i in range(60)]
    long_history.append({"id": 99, "content": "能发顺丰吗" + "吗" * 3000, "message_type": 0,
                         "created_at": 1700002000})
    with page.expect_response(lambda r: r.url.endswith("/api/v1/suggest")) as answered:
        page.evaluate("(p) => sendContext(p)", json.dumps(chatwoot_context(long_history)))
    assert answered.value.status == 200
    assert len(suggests) == calls + 1  # the ignored payloads above asked for nothing
    frame.locator("#current-text").filter(has_text="能发顺丰吗").wait_for(timeout=15000)
    assert len(suggests[-1]["message"]) == 2000
    assert "context" not in suggests[-1]  # "包邮吗" was message 1 of 61: outside the last 50

    # 刷新 asks the helpdesk again.
    before = page.evaluate(f"window.received.filter(m => m === {json.dumps(FETCH_INFO)}).length")
    frame.get_by_role("button", name="刷新").click()
    page.wait_for_function(f"window.received.filter(m => m === {json.dumps(FETCH_INFO)}).length > {before}")
    assert page.errors == []


def test_sidebar_manual_message(servers, page, artifacts):
    api, _, _, _, _ = servers
    page.set_viewport_size({"width": 360, "height": 720})
    page.goto(api + "/integrations/sidebar?message=" + "包邮吗")
    page.locator(".sb-reply").first.wait_for(timeout=15000)
    assert page.locator("#current-text").text_content() == "包邮吗"
    assert page.locator(".sb-situation-name").first.text_content() == "包邮"
    assert "手动输入" in page.locator("#current-meta").text_content()
    page.screenshot(path=str(artifacts / "sidebar-manual.png"), full_page=True)

    # Abstaining is said plainly.
    page.fill("#manual-text", "今天天气真好")
    page.get_by_role("button", name="推荐话术").click()
    page.locator(".sb-notice-empty").filter(has_text="没有合适的话术").wait_for(timeout=15000)
    assert page.errors == []


def test_sidebar_headers(servers):
    _, _, _, app, _ = servers
    client = app.test_client()
    response = client.get("/integrations/sidebar")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "X-Frame-Options" not in response.headers  # the helpdesk frames it
    assert client.get("/integrations/demo").status_code == 200


def test_api_keys(servers, page):
    """With <home>/api_keys.txt, the widget sends data-api-key through CORS; the sidebar asks for the key."""
    api, origin, other, _, home = servers
    keys = home / "api_keys.txt"
    keys.write_text("widget-key-1\n", encoding="utf-8")
    try:
        other.pages["/keyed.html"] = CHAT_PAGE.replace("API", api).replace(
            'data-k="4"', 'data-k="4" data-api-key="widget-key-1"')
        other.pages["/nokey.html"] = CHAT_PAGE.replace("API", api)
        page.goto(origin + "/keyed.html")
        page.wait_for_function("HuashuWidget.suggestions().length > 0", timeout=15000)

        page.goto(origin + "/nokey.html")
        note = page.locator("huashu-widget .note.error")
        note.wait_for(timeout=15000)
        assert "API Key" in note.text_content()

        page.goto(api + "/integrations/sidebar?message=能便宜点吗")
        page.locator("#apikey-box").wait_for(state="visible", timeout=15000)
        assert "API Key" in page.locator(".sb-notice-error").text_content()
        page.fill("#apikey", "widget-key-1")
        page.get_by_role("button", name="保存").click()
        page.locator(".sb-reply").first.wait_for(timeout=15000)
        assert page.errors == []
    finally:
        keys.unlink()


# ---- (c) the product in focus, in the widget and the sidebar ---------------------------------------------------

@pytest.fixture(scope="module")
def product_servers(embedder, tmp_path_factory, live_server):
    """(API base URL, other origin, OtherOrigin, products by id) for an engine with the shipped product sheet."""
    other = OtherOrigin()
    engine = product_engine(tmp_path_factory.mktemp("integrations-products"), embedder)
    settings = load_settings(engine.settings.home, env={}, cors_origins=other.origin)
    app = with_integrations(create_app(settings=settings, engine=engine))
    with live_server(app) as api, live_server(other, other.server):
        yield api, other.origin, other, sheet(engine)


def is_suggest(request) -> bool:
    return request.method == "POST" and request.url.endswith("/api/v1/suggest")


def test_widget_product_from_the_host_page_and_the_agents_chooser(product_servers, page, artifacts):
    api, origin, other, products = product_servers
    hoodie, jeans, coat = products["712300000101"], products["712300000103"], products["712300000104"]
    # the host page knows the product card the buyer sent: data-product
    other.pages["/chat-product.html"] = CHAT_PAGE.replace("API", api).replace(
        'data-k="4"', f'data-k="4" data-product="{hoodie.id}"')
    suggests = api_posts(page, "/api/v1/suggest")
    page.goto(origin + "/chat-product.html")
    page.wait_for_function("HuashuWidget.suggestions().length > 0", timeout=15000)
    name = page.locator("huashu-widget .product-current")
    name.filter(has_text=hoodie.name).wait_for()
    assert page.evaluate("HuashuWidget.product()") == {"id": hoodie.id, "name": hoodie.name}
    assert all(body["product"] == hoodie.id for body in suggests)  # the first request carried it already

    # 「什么材质的」 names no product: the one in focus answers it, from the sheet
    with page.expect_response(lambda r: is_suggest(r.request)):
        page.evaluate("addBuyer('什么材质的')")
    page.wait_for_function("t => (HuashuWidget.suggestions()[0] || {}).text?.includes(t)", arg=hoodie.attributes["材质"])
    assert suggests[-1] == {"message": "什么材质的", "k": 4, "context": ["在吗"], "product": hoodie.id}
    assert page.evaluate("HuashuWidget.suggestions()[0].id").startswith("product:")

    # the host page switches the product: the same message is asked again for it
    with page.expect_request(is_suggest) as request:
        page.evaluate(f"HuashuWidget.setProduct('{jeans.id}')")
    assert request.value.post_data_json["product"] == jeans.id
    name.filter(has_text=jeans.name).wait_for()
    page.wait_for_function("t => (HuashuWidget.suggestions()[0] || {}).text?.includes(t)", arg=jeans.attributes["材质"])

    # the agent chooses in the panel: 更换, type part of the name, ↓, Enter (keyboard only, in the shadow DOM)
    page.locator("huashu-widget .product-change").click()
    search = page.locator("huashu-widget .product-input")
    assert page.evaluate("document.querySelector('huashu-widget').shadowRoot.activeElement?.id") == "hw-product-input"
    search.press_sequentially("大衣")
    wait_for_options(page, product_ids(api, "大衣"), selector=".option", host="huashu-widget")
    assert search.get_attribute("aria-expanded") == "true"
    search.press("ArrowDown")
    active = search.get_attribute("aria-activedescendant")
    assert page.locator(f"huashu-widget #{active}").get_attribute("aria-selected") == "true"
    page.screenshot(path=str(artifacts / "widget-product-chooser.png"))
    with page.expect_request(is_suggest) as request:
        search.press("Enter")
    assert request.value.post_data_json["product"] == coat.id
    name.filter(has_text=coat.name).wait_for()
    assert page.locator("huashu-widget .product-search").is_hidden()
    assert page.evaluate("HuashuWidget.product()") == {"id": coat.id, "name": coat.name}

    # a note for the agent shows under the reply, and is not what goes into the reply box
    with page.expect_response(lambda r: is_suggest(r.request)):
        page.evaluate("addBuyer('保质期多久')")
    page.wait_for_function("(HuashuWidget.suggestions()[0] || {}).note")
    hint = page.locator('huashu-widget .item[data-n="1"] .hint')
    hint.wait_for()
    assert hint.text_content().startswith("提示：") and "保质期" in hint.text_content()
    first = page.evaluate("HuashuWidget.suggestions()[0]")
    page.keyboard.press("Alt+1")
    assert page.input_value("#reply") == first["text"] and "提示" not in first["text"]
    page.screenshot(path=str(artifacts / "widget-product-note.png"))

    # 清除: asked again without a product
    with page.expect_request(is_suggest) as request:
        page.locator("huashu-widget .product-clear").click()
    assert "product" not in request.value.post_data_json
    name.filter(has_text="未选择商品").wait_for()
    assert page.evaluate("HuashuWidget.product()") is None
    assert page.errors == []


def test_widget_set_product_before_the_widget_starts(product_servers, page):
    """setProduct() called before HuashuWidget.init (data-auto="false"): the first request carries it."""
    api, origin, other, products = product_servers
    tee = products["712300000102"]
    other.pages["/chat-late.html"] = CHAT_PAGE.replace("API", api).replace('data-k="4"', 'data-k="4" data-auto="false"')
    suggests = api_posts(page, "/api/v1/suggest")
    page.goto(origin + "/chat-late.html")
    page.wait_for_function("window.HuashuWidget && !document.querySelector('huashu-widget')")
    page.evaluate(f"HuashuWidget.setProduct('{tee.name}')")  # by name this time
    with page.expect_request(is_suggest):
        page.evaluate("HuashuWidget.init()")
    assert suggests[0]["product"] == tee.name
    page.locator("huashu-widget .product-current").filter(has_text=tee.name).wait_for()
    assert page.errors == []


def test_sidebar_takes_the_product_from_the_conversation_and_the_agent_can_change_it(product_servers, page, artifacts):
    api, origin, other, products = product_servers
    hoodie, tee, coat = products["712300000101"], products["712300000102"], products["712300000104"]
    other.pages["/chatwoot-products.html"] = PARENT_PAGE.replace("API", api)
    suggests = api_posts(page, "/api/v1/suggest")
    page.goto(origin + "/chatwoot-products.html")
    page.wait_for_function(f"window.received.includes({json.dumps(FETCH_INFO)})")
    frame = page.frame_locator("#app")

    def send(conversation_id, text, attributes=None, at=1700000100):
        payload = chatwoot_context([{"id": at, "content": text, "message_type": 0, "created_at": at}])
        payload["data"]["conversation"]["id"] = conversation_id
        if attributes is not None:
            payload["data"]["conversation"]["custom_attributes"] = attributes
        page.evaluate("(p) => sendContext(p)", json.dumps(payload, ensure_ascii=False))

    # the conversation's custom attribute product_id: shown, and sent with the buyer's question
    with page.expect_request(is_suggest):
        send(42, "什么材质的", {"product_id": hoodie.id, "order_no": "A1"})
    assert suggests[-1]["product"] == hoodie.id
    current = frame.locator("#product-current")
    assert current.text_content() == hoodie.name
    assert frame.locator("#product-source").text_content() == "来自会话"
    frame.locator('.sb-reply[data-number="1"] .sb-reply-text').filter(has_text=hoodie.attributes["材质"]).wait_for()
    assert frame.locator('.sb-reply[data-number="1"]').get_attribute("data-reply-id").startswith("product:")
    assert frame.locator(".sb-segment").count() == 1 and frame.locator(".sb-segment-head").count() == 0

    # the agent changes it with the chooser (typing part of the name, Enter): the message is asked again
    search = frame.locator("#product-search")
    search.click()
    search.press_sequentially("T恤")
    wait_for_options(page.frame(url=lambda url: "/integrations/sidebar" in url), product_ids(api, "T恤"))
    with page.expect_request(is_suggest):
        search.press("Enter")
    assert suggests[-1]["product"] == tee.id and suggests[-1]["message"] == "什么材质的"
    assert current.text_content() == tee.name and frame.locator("#product-source").text_content() == "手动选择"
    frame.locator('.sb-reply[data-number="1"] .sb-reply-text').filter(has_text=tee.attributes["材质"]).wait_for()
    page.locator("#app").screenshot(path=str(artifacts / "sidebar-product.png"))

    # a new message in the same conversation (its attribute unchanged) keeps the agent's choice
    with page.expect_request(is_suggest):
        send(42, "保质期多久", {"product_id": hoodie.id, "order_no": "A1"}, at=1700000200)
    assert suggests[-1]["product"] == tee.id
    note = frame.locator('.sb-reply[data-number="1"] .sb-reply-note')
    note.wait_for()
    assert note.text_content().startswith("提示：") and tee.name in note.text_content()
    frame.locator('.sb-reply[data-number="1"]').click()  # copied: what the parent is told is the reply alone
    page.wait_for_function("window.received.some(m => m.includes('huashu:reply'))")
    announced = [json.loads(m) for m in page.evaluate("window.received") if "huashu:reply" in m]
    assert "提示" not in announced[-1]["data"]["text"]
    assert announced[-1]["data"]["text"] == frame.locator('.sb-reply[data-number="1"] .sb-reply-text').text_content()

    # another conversation whose attribute `product` names the product: it takes over
    with page.expect_request(is_suggest):
        send(43, "什么材质的", {"product": coat.name}, at=1700000300)
    assert suggests[-1]["product"] == coat.id
    assert current.text_content() == coat.name and frame.locator("#product-source").text_content() == "来自会话"

    # and a conversation without one starts with no product
    with page.expect_request(is_suggest):
        send(44, "能便宜点吗", {}, at=1700000400)
    assert "product" not in suggests[-1]
    assert current.text_content() == "未选择商品" and frame.locator("#product-clear").is_hidden()
    assert page.errors == []


def test_sidebar_product_by_hand_and_accessibility(product_servers, page, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    api, _, _, products = product_servers
    jeans = products["712300000103"]
    page.set_viewport_size({"width": 360, "height": 760})
    with page.expect_request(is_suggest) as request:
        page.goto(api + "/integrations/sidebar?message=保质期多久&product=" + jeans.id)
    assert request.value.post_data_json["product"] == jeans.id
    assert page.locator("#product-current").text_content() == jeans.name
    page.locator(".sb-reply-note").first.wait_for(timeout=15000)
    axe = Axe()

    def serious(state: str) -> list[str]:
        page.wait_for_function("() => document.getAnimations().length === 0")  # axe reads the colours as drawn
        results = axe.run(page)
        (artifacts / f"axe-sidebar-{state}.txt").write_text(results.generate_report(), encoding="utf-8")
        return [f"{state}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
                for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

    problems = serious("note")
    page.locator("#product-search").click()  # every product …
    page.keyboard.type("暖暖")  # … then those matching (the same ones, here: the list waits for the search)
    wait_for_options(page, product_ids(api, "暖暖"))
    page.keyboard.press("ArrowDown")
    page.screenshot(path=str(artifacts / "sidebar-product-list.png"))
    problems += serious("list")
    assert problems == [], "\n".join(problems)
    assert page.locator("h1").count() == 1
    # Esc closes the list; clearing asks again without the product
    page.keyboard.press("Escape")
    assert page.locator("#product-list").is_hidden()
    with page.expect_request(is_suggest) as request:
        page.locator("#product-clear").click()
    assert "product" not in request.value.post_data_json
    assert page.errors == []

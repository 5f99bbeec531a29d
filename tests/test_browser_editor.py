"""The editor pages in a real browser (Debian's Chromium driven by Playwright) against the real engine served on a
loopback port: an editor adds a reply for a new situation, and the agents' page suggests it at once."""

from __future__ import annotations

import shutil

import pytest

from suggest.authoring.accounts import set_editor_password
from suggest.engine.suggester import Suggester
from suggest.settings import load_settings
from webapp import create_app

PASSWORD = "s3cret-pass"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(home, engine, embedder, live_server):
    """A writable home (the fixture corpus, the session index copied), an editor account, and the app on
    127.0.0.1 and a free port in a background thread; yields (base_url, app, engine)."""
    shutil.copytree(engine.settings.index_dir, home / "index")
    live = Suggester.load(load_settings(home, env={}), embedder=embedder)
    set_editor_password(home / "editors.toml", "组长小李", PASSWORD)
    app = create_app(live.settings, engine=live)
    with live_server(app) as base_url:
        yield base_url, app, live


@pytest.fixture
def context_at(browser):
    """Fresh browser contexts; console errors and dialogs nobody expected fail the test."""
    contexts, errors = [], []

    def open_context(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        context.on("page", lambda page: (
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None),
            page.on("pageerror", lambda exc: errors.append(str(exc)))))
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert errors == [], errors


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/editor/")
    assert "/editor/login" in page.url  # anonymous: sent to the login page
    page.fill('input[name="name"]', "组长小李")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(base_url + "/editor/")
    page.wait_for_selector("#reply-list .row")


def test_editor_adds_a_reply_for_a_new_situation_and_agents_get_it_at_once(server, context_at, artifacts):
    base_url, app, live = server
    editor = context_at(1280, 1000).new_page()
    log_in(editor, base_url)
    assert editor.locator("#reply-list .row").count() == len(live.corpus.replies)
    assert editor.locator(".who").inner_text() == "组长小李"

    # a new reply for a new situation 发票
    editor.click("#new-reply")
    editor.select_option("#r-situation", "__new__")
    editor.wait_for_selector("#new-situation:not([hidden])")
    editor.fill("#s-name", "发票")
    editor.select_option("#s-stage", "order")
    editor.fill("#s-id", "invoice")
    editor.fill("#r-text", "亲，可以开发票的，下单后把抬头和税号发给{客服名}，电子发票会发到您的邮箱~")
    editor.fill("#r-examples", "可以开发票吗\n发票怎么开\n能开增值税专票吗\n要发票")
    editor.fill("#r-tags", "发票, 售中")
    editor.fill("#r-shortcut", "fp1")
    assert "小测" in editor.inner_text("#text-preview")  # placeholders filled from the shop profile

    # try it before saving: the draft would be the first suggestion for a paraphrase
    editor.fill("#try-message", "能开个发票不")
    editor.wait_for_selector(".try-item.is-draft")
    first = editor.locator(".try-item").first
    assert "is-draft" in first.get_attribute("class")
    assert "很可能" in editor.inner_text(".try-summary")
    editor.evaluate("window.scrollTo(0, 0)")
    editor.wait_for_timeout(300)
    editor.screenshot(path=str(artifacts / "editor-1280.png"), full_page=True)

    editor.click("#save")
    editor.wait_for_selector("#form-id:has-text('invoice-01')")
    assert "已保存" in editor.inner_text("#toast")
    assert editor.locator("#form-title").inner_text() == "编辑话术"
    assert editor.locator('#reply-list .row[data-id="invoice-01"]').count() == 1

    # the agents' page, in another browser, gets it as the top suggestion: no restart, no rebuild
    agent = context_at(1280, 860).new_page()
    agent.goto(base_url + "/")
    agent.wait_for_selector("#status.status-ok")
    agent.fill("#message", "能开个发票不")
    agent.wait_for_selector('.reply[data-number="1"]')
    top = agent.locator('.reply[data-number="1"]')
    assert top.get_attribute("data-reply-id") == "invoice-01"
    assert top.locator(".reply-text").inner_text().startswith("亲，可以开发票的，下单后把抬头和税号发给小测")

    # the history page shows the change with who made it
    editor.goto(base_url + "/editor/history")
    assert "新建话术 invoice-01" in editor.inner_text(".change-summary")
    assert "组长小李" in editor.inner_text(".change-meta")
    assert (live.settings.corpus_dir / "situations" / "invoice.yaml").is_file()


def test_script_in_a_reply_is_shown_as_text_and_the_editor_works_on_a_phone(server, context_at, artifacts):
    base_url, app, live = server
    context = context_at(390, 844)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, base_url)
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    hostile = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">亲，在的哦'
    response = context.request.post(base_url + "/editor/api/replies", headers={"X-CSRF-Token": token},
                                    data={"reply": {"situation": "greeting", "text": hostile, "examples": ["在不在"]},
                                          "confirm": True})
    assert response.status == 201, response.text()
    reply_id = response.json()["reply"]["id"]
    page.goto(base_url + f"/editor/?id={reply_id}")
    row = page.locator(f'#reply-list .row[data-id="{reply_id}"] .row-text')
    row.wait_for()
    assert row.inner_text() == hostile
    assert page.input_value("#r-text") == hostile
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("#reply-list img, #reply-list script").count() == 0
    # usable at 390 px: nothing wider than the phone, the menu opens
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(".nav-toggle")
    page.wait_for_selector("#editor-nav.open")
    page.screenshot(path=str(artifacts / "editor-390.png"), full_page=False)
    page.click(".nav-toggle")
    page.goto(base_url + "/editor/history")
    assert "&lt;" not in page.inner_text("body") and "<script>window.__xss=1</script>" in page.inner_text("body")
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_analytics_page_groups_what_the_corpus_misses(server, context_at, artifacts):
    base_url, app, live = server
    store = app.extensions["feedback"]
    for _ in range(4):
        store.add("能便宜点吗", "bargain-01", "copied")
    store.add("包邮吗", "free_shipping-01", "sent")
    for message in ("可以开发票吗", "能开个发票不", "发票怎么开", "可以开发票吗"):
        store.log_abstention(message, dedupe_seconds=0)
    for message in ("你们有实体店吗", "实体店在哪里"):
        store.log_dismissed_all(message)
    page = context_at(1280, 900).new_page()
    log_in(page, base_url)
    page.goto(base_url + "/editor/analytics")
    gaps = page.locator(".gap")
    assert gaps.count() == 2
    assert gaps.first.locator(".gap-count").inner_text() == "4"
    assert "发票" in gaps.first.locator(".gap-rep").inner_text()
    assert page.locator(".bar-fill").count() >= 4
    page.screenshot(path=str(artifacts / "editor-analytics.png"), full_page=True)
    # "write a reply for this group" opens the editor with the group's messages as examples
    gaps.first.locator(".gap-new").click()
    page.wait_for_selector("#reply-list .row")
    page.wait_for_function("document.getElementById('r-examples').value.includes('发票')")
    assert page.locator("#form-title").inner_text() == "新建话术"


def _csv(rows, encoding="gbk") -> bytes:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def test_import_page_takes_a_gbk_chinese_csv_and_a_qianniu_sheet(server, context_at, artifacts):
    base_url, app, live = server
    page = context_at(1280, 900).new_page()
    log_in(page, base_url)
    page.goto(base_url + "/editor/import")
    old = live.corpus.replies["bargain-01"]

    # a file the import cannot read: one verdict, no "完全一致" beside "有被拒绝的行"
    page.set_input_files("#import-file", {"name": "缺列.csv", "mimeType": "text/csv",
                                          "buffer": _csv([["编号", "例句"], ["x-01", "好"]])})
    page.click("#import-preview")
    page.wait_for_selector("#preview:not([hidden])")
    assert page.get_attribute("#preview-verdict", "data-kind") == "error"
    text = page.inner_text("#preview")
    assert "完全一致" not in text and "被拒绝" not in text and "缺少列 话术、场景" in text
    assert page.is_disabled("#import-commit")

    # what Excel saves on Chinese Windows: GBK, the page's Chinese headers, no ids, situations by name
    page.set_input_files("#import-file", {"name": "话术.csv", "mimeType": "text/csv", "buffer": _csv([
        ["情境", "编号", "话术", "例句"],
        ["议价", "", "亲，已经是活动价啦，拍下送您一份小礼物哦~", "还能便宜吗\n少点吧"],
        ["议价", "bargain-01", "亲，价格已经很实在了，品质有保障~", old.examples[0]],
    ])})
    page.click("#import-preview")
    page.wait_for_selector("#preview-verdict[data-kind='ready']")
    rows = page.locator("#preview-rows tr")
    assert rows.count() == 2
    assert "bargain-03" in rows.nth(0).inner_text() and "自动编号" in rows.nth(0).inner_text()
    assert "议价" in rows.nth(0).locator(".sit-name").inner_text()
    changed = rows.nth(1).inner_text()
    assert "将删除 3 条例句" in changed and old.text in changed and "快捷编码" not in changed
    assert "标签、快捷编码" in page.inner_text(".kept-note")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "editor-import-csv.png"), full_page=True)
    page.click("#import-commit")
    page.wait_for_selector("#preview-verdict[data-kind='done']")
    assert live.corpus.replies["bargain-03"].situation == "bargain"
    assert live.corpus.replies["bargain-01"].shortcut == old.shortcut and live.corpus.replies["bargain-01"].tags == old.tags

    # a 千牛 quick-phrase sheet: a situation per 分组, which the editor may change before the import
    page.set_input_files("#import-file", {"name": "千牛快捷短语.csv", "mimeType": "text/csv", "buffer": _csv([
        ("分组", "快捷编码", "快捷短语"),
        ("讲价回复", "kj1", "亲，我们家价格很实在的，利润已经很薄了，实在不能再便宜啦~"),
        ("讲价回复", "kj2", "亲，价格真的改不了呢，您喜欢的话现在拍下我给您备注送个小礼物~"),
        ("物流相关", "wl1", "亲，您的包裹已经在路上了，物流信息一般隔天更新，请耐心等待哦"),
        ("店铺公告", "gg1", "亲，本店今天下午进行系统维护，维护期间暂停直播，感谢关注"),
    ])})
    page.click("#import-preview")
    page.wait_for_selector("#preview-groups:not([hidden])")
    groups = page.locator("#group-rows tr")
    assert groups.count() == 3
    bargain = page.locator('#group-rows tr[data-group="讲价回复"]')
    assert bargain.locator("select").input_value() == "bargain"
    assert "议价（bargain）" in bargain.locator("select option:checked").inner_text()
    assert "%" in bargain.locator(".conf-cell").inner_text()
    assert "新场景" in page.locator('#group-rows tr[data-group="店铺公告"]').inner_text()
    page.select_option('#group-rows tr[data-group="物流相关"] select', "urge_shipping")
    page.wait_for_selector('#group-rows tr[data-group="物流相关"] .conf-cell:has-text("你选的")')
    assert page.get_attribute("#preview-verdict", "data-kind") == "ready"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "editor-import-qianniu.png"), full_page=True)
    page.click("#import-commit")
    page.wait_for_selector("#preview-verdict[data-kind='done']")
    by_code = {r.shortcut: r for r in live.corpus.replies.values() if r.shortcut}
    assert by_code["wl1"].situation == "urge_shipping" and by_code["kj1"].situation == "bargain"
    page.goto(base_url + "/editor/history")
    assert "千牛" in page.inner_text(".change-summary >> nth=0")

    # on a phone the groups read as cards
    phone = context_at(390, 844).new_page()
    log_in(phone, base_url)
    phone.goto(base_url + "/editor/import")
    phone.set_input_files("#import-file", {"name": "千牛.csv", "mimeType": "text/csv", "buffer": _csv([
        ("分组", "快捷编码", "快捷短语"), ("售后问题", "sh1", "亲，收到货有问题随时联系我们，给您退换哦~")])})
    phone.click("#import-preview")
    phone.wait_for_selector("#preview-groups:not([hidden])")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(artifacts / "editor-import-390.png"), full_page=True)


# ---- layout and words (issue 10) ------------------------------------------------------------------------------

BUTTONS = "button, .btn, input[type=submit], select, summary"


def visible_buttons_under(page, selector: str) -> list[str]:
    """The visible buttons (and other controls) whose box meets the box of `selector`."""
    return page.evaluate("""([selector, buttons]) => {
        const box = document.querySelector(selector).getBoundingClientRect();
        return [...document.querySelectorAll(buttons)].filter((b) => {
            const r = b.getBoundingClientRect();
            return r.width && r.height && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
        }).map((b) => b.id || b.textContent.trim());
    }""", [selector, BUTTONS])


def test_try_it_is_in_view_at_1366x768_and_toasts_never_cover_buttons(server, context_at, artifacts):
    base_url, app, live = server
    page = context_at(1366, 768).new_page()
    log_in(page, base_url)
    page.click('#reply-list .row[data-id="bargain-01"]')
    page.wait_for_selector("#form-id:has-text('bargain-01')")

    # 试一试 beside the form: its box and its message box in view without scrolling
    assert page.evaluate("() => window.scrollY") == 0
    panel, message = page.locator(".try").bounding_box(), page.locator("#try-message").bounding_box()
    assert panel["y"] >= 0 and message["y"] + message["height"] <= 768, (panel, message)
    form = page.locator("#reply-form").bounding_box()
    assert panel["x"] >= form["x"] + form["width"]  # beside the form, not under it
    page.fill("#try-message", "能便宜点吗")
    page.wait_for_selector(".try-item")
    first = page.locator(".try-item").first.bounding_box()
    assert first["y"] + first["height"] <= 768 and page.evaluate("() => window.scrollY") == 0
    page.screenshot(path=str(artifacts / "editor-1366x768.png"))

    # the form's buttons scrolled to the bottom of the window, where a toast stands by default
    page.evaluate("""() => {
        const actions = document.querySelector('#reply-form .form-actions').getBoundingClientRect();
        window.scrollBy(0, actions.bottom - (window.innerHeight - 40));
    }""")
    bottom_band = page.evaluate("""() => [...document.querySelectorAll('#reply-form .form-actions .btn')].some((b) => {
        const r = b.getBoundingClientRect();
        return r.width && r.bottom > window.innerHeight - 90 && r.right > window.innerWidth / 2 - 130
            && r.left < window.innerWidth / 2 + 130;
    })""")
    assert bottom_band, "the test needs a button where the toast would stand at the bottom"
    page.fill("#r-text", live.corpus.replies["bargain-01"].text + "哦")
    page.click("#save")
    page.wait_for_selector("#toast.show")
    page.wait_for_function("() => document.getAnimations().length === 0")
    assert "已保存" in page.inner_text("#toast")
    assert visible_buttons_under(page, "#toast") == []
    page.screenshot(path=str(artifacts / "editor-toast.png"))


def test_editor_says_changjing_and_lists_replies_by_situation(server, context_at):
    base_url, app, live = server
    page = context_at(1280, 900).new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    log_in(page, base_url)

    # one word, 场景, on every page (the import page names the file's header “情境” in quotes only)
    for path in ("/editor/", "/editor/situations", "/editor/history", "/editor/learning", "/editor/analytics",
                 "/editor/import"):
        page.goto(base_url + path)
        page.wait_for_load_state()
        text = page.inner_text("body").replace("“情境”", "").replace("“情境名称”", "")
        options = " ".join(page.locator("option, optgroup").evaluate_all("n => n.map((o) => o.label || o.text)"))
        placeholders = " ".join(page.locator("[placeholder], [aria-label]").evaluate_all(
            "n => n.map((e) => (e.placeholder || '') + (e.getAttribute('aria-label') || ''))"))
        assert "情境" not in text + options + placeholders, path
    assert "场景" in page.inner_text(".editor-nav")

    # a refusal made by the service reads 场景 too (asked outside the page: a 422 in the page is a console error)
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    refused = page.context.request.post(base_url + "/editor/api/replies", headers={"X-CSRF-Token": token},
                                        data={"reply": {"situation": "", "text": "亲，在的哦~", "examples": ["在吗"]}})
    assert refused.status == 422
    messages = [refused.json()["error"]["message"]] + [p["message"] for p in refused.json().get("problems", [])]
    assert any("场景" in m for m in messages) and not any("情境" in m for m in messages), messages

    # the reply list: by situation (stage order, then name), each under its name with the id secondary
    page.goto(base_url + "/editor/")
    page.wait_for_selector("#reply-list .row")
    stages = ["presale", "order", "aftersale", "general"]
    used = {r.situation for r in live.corpus.replies.values()}
    expected = sorted((live.corpus.situations[s] for s in used), key=lambda s: (stages.index(s.stage), s.name, s.id))
    groups = page.locator("#reply-list .rows-group")
    assert groups.locator(".sit-name").all_inner_texts() == [s.name for s in expected]
    assert groups.locator(".sit-id").all_inner_texts() == [s.id for s in expected]
    rows = page.locator("#reply-list .row").evaluate_all("n => n.map((r) => r.dataset.id)")
    assert [live.corpus.replies[r].situation for r in rows] == [
        s.id for s in expected for _ in range(sum(1 for r in live.corpus.replies.values() if r.situation == s.id))]


def test_situation_column_shows_the_name_first_and_never_breaks_an_id(server, context_at):
    base_url, app, live = server
    for width, height in ((1280, 900), (390, 844)):
        page = context_at(width, height).new_page()
        log_in(page, base_url)
        page.goto(base_url + "/editor/import")
        page.set_input_files("#import-file", {"name": "话术.csv", "mimeType": "text/csv", "buffer": _csv([
            ["情境", "编号", "话术", "例句"],
            ["bargain", "", "亲，这款已经是活动价了，拍下还送一份小礼物哦~", "还能便宜吗\n少点吧"],
            ["free_shipping", "", "亲，店里满额就包邮，差一点凑个单就可以啦~", "包邮吗\n能包邮不"],
        ])})
        page.click("#import-preview")
        page.wait_for_selector("#preview-verdict[data-kind='ready']")
        header = page.locator("#preview-table thead th").all_inner_texts()
        assert "场景" in header and "情境" not in header
        for row, (name, sid) in enumerate((("议价", "bargain"), ("包邮", "free_shipping"))):
            cell = page.locator("#preview-rows tr").nth(row).locator(".sit-cell")
            assert cell.locator(".sit-name").inner_text() == name and cell.locator(".sit-id").inner_text() == sid
            facts = cell.evaluate(r"""(td) => {
                const name = td.querySelector('.sit-name'), id = td.querySelector('.sit-id');
                const range = document.createRange();
                range.selectNodeContents(id);
                const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
                let node = id, background = 'rgba(0, 0, 0, 0)';
                while (node && /rgba\(0, 0, 0, 0\)|transparent/.test(background)) {
                    background = getComputedStyle(node).backgroundColor; node = node.parentElement;
                }
                return {lines, nameFirst: !!(name.compareDocumentPosition(id) & Node.DOCUMENT_POSITION_FOLLOWING),
                        nameSize: parseFloat(getComputedStyle(name).fontSize), idSize: parseFloat(getComputedStyle(id).fontSize),
                        color: getComputedStyle(id).color, background};
            }""")
            assert facts["lines"] == 1, (width, sid, facts)  # never 「bargai n」
            assert facts["nameFirst"] and facts["idSize"] < facts["nameSize"], facts
            assert contrast(facts["color"], facts["background"]) >= 4.5, facts
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours (the background taken as opaque)."""
    import re

    def luminance(css: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_products_page_lists_searches_and_passes_axe(server, context_at, artifacts):
    from pathlib import Path

    from axe_playwright_python.sync_playwright import Axe

    from suggest.corpus.products import load_products
    from suggest.engine.product_answers import load_templates

    base_url, app, live = server
    corpus_dir = live.settings.corpus_dir
    shutil.copy(Path(__file__).resolve().parent.parent / "corpus" / "products.csv", corpus_dir / "products.csv")
    live.set_products(load_products(corpus_dir), load_templates(corpus_dir))
    page = context_at(1280, 900).new_page()
    log_in(page, base_url)
    page.get_by_role("link", name="商品", exact=True).click()
    page.wait_for_selector("h1:has-text('商品表')")
    assert page.locator("h1").count() == 1
    assert page.locator(".editor-nav a[aria-current='page']").inner_text() == "商品"
    rows = page.locator(".sheet-list > li")
    assert rows.count() == len(live.products)

    page.fill("#product-search", "牛肉干")
    page.press("#product-search", "Enter")
    page.wait_for_selector("#product-count:has-text('找到')")
    assert rows.evaluate_all("n => n.map((li) => li.dataset.product)") == ["713300000201", "713300000202"]
    rows.first.locator("summary").click()
    page.wait_for_selector(".sheet-list > li:first-child textarea[name='skus']")

    axe = Axe()
    results = axe.run(page)
    (artifacts / "axe-editor-products.txt").write_text(results.generate_report(), encoding="utf-8")
    serious = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], "\n".join(serious)
    page.screenshot(path=str(artifacts / "editor-products.png"), full_page=True)


def test_shop_page_fits_the_screen_and_keeps_a_refused_value(server, browser, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    base_url, _, live = server
    # not context_at: the refused save answers 422, which the browser logs as a failed load
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    log_in(page, base_url)
    page.get_by_role("link", name="店铺信息", exact=True).click()
    page.wait_for_selector("h1:has-text('店铺信息')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # every section within the screen
    page.fill("#fact-截单时间", "四点")
    page.get_by_role("button", name="保存店铺信息").click()
    page.wait_for_selector(".form-errors")
    assert "应当是时间，例如 16:00" in page.inner_text(".form-errors")
    assert page.input_value("#fact-截单时间") == "四点"  # nothing typed is lost
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(artifacts / "editor-shop-1366.png"))
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    context.close()
    assert serious == []

"""The editor pages and their JSON endpoints through Flask's test client: login, CSRF, every route refusing
anonymous requests, escaping, conflicts, import preview/commit, exports and analytics."""

from __future__ import annotations

import io
import re
import shutil
import stat

import pytest

from suggest.authoring.accounts import set_editor_password
from suggest.engine.suggester import Suggester
from suggest.settings import load_settings
from suggest.corpus.spreadsheet import read_qianniu
from webapp import create_app

PASSWORD = "s3cret-pass"
HOSTILE = '<script>alert("x")</script>亲，<img src=x onerror=alert(1)>在的哦'


@pytest.fixture
def live(home, engine, embedder) -> Suggester:
    shutil.copytree(engine.settings.index_dir, home / "index")
    return Suggester.load(load_settings(home, env={}), embedder=embedder)


@pytest.fixture
def app(live):
    set_editor_password(live.settings.home / "editors.toml", "alice", PASSWORD)
    set_editor_password(live.settings.home / "editors.toml", "bob", PASSWORD)
    return create_app(live.settings, engine=live)


def page_token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


class Editor:
    """A logged-in test client that sends the CSRF token like editor.js does."""

    def __init__(self, app, name: str = "alice") -> None:
        self.client = app.test_client()
        token = page_token(self.client.get("/editor/login").get_data(as_text=True))
        response = self.client.post("/editor/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = page_token(self.client.get("/editor/").get_data(as_text=True))

    def call(self, method: str, path: str, **kwargs):
        headers = {"X-CSRF-Token": self.token, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)


@pytest.fixture
def alice(app) -> Editor:
    return Editor(app, "alice")


def new_invoice(editor: Editor, **extra):
    return editor.call("POST", "/editor/api/replies", json={
        "reply": {"situation": "invoice", "text": "亲，可以开发票的，下单后把抬头和税号发给{客服名}就好~",
                  "examples": ["可以开发票吗", "发票怎么开", "能开增值税发票吗"], "tags": ["发票"]},
        "new_situation": {"id": "invoice", "name": "发票", "stage": "order"}, **extra})


# ---- security ------------------------------------------------------------------------------------------------

def _url_for(rule) -> str:
    values = {arg: ("1" if arg == "change_id" else "bargain-01" if "reply" in arg else "bargain" if "situation" in arg
                    else "xlsx") for arg in rule.arguments}
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
    return url


def test_every_editor_route_refuses_anonymous_requests(app, live):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("editor.") and r.endpoint != "editor.login"]
    assert len(rules) >= 20
    client = app.test_client()
    before = dict(live.corpus.replies)
    checked = 0
    for rule in rules:
        url = _url_for(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json={"reply": {"text": "x"}, "version": "x"})
            checked += 1
            if url.startswith("/editor/api/") or method != "GET":
                assert response.status_code == 401, (method, url, response.status_code)
                assert response.json["error"]["code"] == "unauthorized"
            else:
                assert response.status_code == 302, (method, url, response.status_code)
                assert response.headers["Location"].startswith("/editor/login")
    assert checked >= 24
    assert live.corpus.replies == before


def test_login_hashes_cookies_and_throttling(app, live):
    text = (live.settings.home / "editors.toml").read_text(encoding="utf-8")
    assert PASSWORD not in text and "scrypt:" in text or "pbkdf2:" in text
    key = live.settings.data_dir / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) >= 32
    client = app.test_client()
    token = page_token(client.get("/editor/login").get_data(as_text=True))
    # without the CSRF token the login form is refused
    assert client.post("/editor/login", data={"name": "alice", "password": PASSWORD}).status_code == 400
    wrong = client.post("/editor/login", data={"name": "alice", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "用户名或密码不对" in wrong.get_data(as_text=True)
    ok = client.post("/editor/login", data={"name": "alice", "password": PASSWORD, "csrf_token": token,
                                            "next": "//evil.example/"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/editor/"  # no open redirect
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # the login renewed the CSRF token
    assert page_token(client.get("/editor/").get_data(as_text=True)) != token
    # five failures in a row, then a pause even with the right password
    other = app.test_client()
    token = page_token(other.get("/editor/login").get_data(as_text=True))
    for _ in range(5):
        other.post("/editor/login", data={"name": "bob", "password": "wrong", "csrf_token": token})
    blocked = other.post("/editor/login", data={"name": "bob", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429


def test_state_changes_need_the_csrf_token_and_the_same_origin(alice, live):
    body = {"reply": {"situation": "bargain", "text": "亲，好的呢", "examples": ["好吗"]}}
    missing = alice.client.post("/editor/api/replies", json=body)
    assert missing.status_code == 400 and missing.json["error"]["code"] == "csrf"
    wrong = alice.client.post("/editor/api/replies", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 400
    for method, path in (("PUT", "/editor/api/replies/bargain-01"), ("DELETE", "/editor/api/replies/bargain-01"),
                         ("POST", "/editor/api/replies/bargain-01/retire"), ("POST", "/editor/api/history/1/revert"),
                         ("POST", "/editor/api/import/commit"), ("POST", "/editor/logout")):
        assert alice.client.open(path, method=method, json={}).status_code == 400, (method, path)
    foreign = alice.call("POST", "/editor/api/replies", json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert "bargain-03" not in live.corpus.replies
    assert alice.call("POST", "/editor/api/replies", json=body).status_code == 201


def test_removing_an_editor_ends_their_session(app, alice, live):
    assert alice.get("/editor/api/meta").status_code == 200
    from suggest.authoring.accounts import remove_editor

    remove_editor(live.settings.home / "editors.toml", "alice")
    assert alice.get("/editor/api/meta").status_code == 401


def test_pages_send_a_strict_csp_and_escape_reply_text(alice, live):
    created = alice.call("POST", "/editor/api/replies", json={
        "reply": {"situation": "greeting", "text": HOSTILE, "examples": ["<b>在吗</b>", "有人吗"]}, "confirm": True})
    assert created.status_code == 201, created.json
    reply_id = created.json["reply"]["id"]
    assert created.json["reply"]["text"] == HOSTILE  # stored as typed
    for path in ("/editor/", "/editor/history", "/editor/analytics?days=0", "/editor/import", "/editor/situations"):
        response = alice.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert '<script>alert("x")' not in html and "<img src=x" not in html and "<b>在吗" not in html
    history = alice.get("/editor/history").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in history
    analytics = alice.get("/editor/analytics?days=0").get_data(as_text=True)
    assert "&lt;script&gt;" in analytics and reply_id in analytics
    # JSON is JSON: the browser script puts it into the page with textContent
    listed = alice.get("/editor/api/replies?q=alert").json["replies"]
    assert [r["text"] for r in listed] == [HOSTILE]


def test_unknown_editor_api_paths_and_methods_are_json(app, alice):
    """The editors' page reads every answer of /editor/api/ as JSON: an unknown path or a wrong method too."""
    for client in (alice.client, app.test_client()):
        missing = client.get("/editor/api/nope")
        assert missing.status_code == 404 and missing.mimetype == "application/json"
        assert missing.json["error"]["code"] == "not_found" and "/editor/api/nope" in missing.json["error"]["message"]
    wrong = alice.call("PATCH", "/editor/api/check", json={})
    assert wrong.status_code == 405 and wrong.mimetype == "application/json"
    assert wrong.json["error"]["code"] == "method_not_allowed" and "POST" in wrong.headers["Allow"]
    assert set(wrong.json["error"]) == {"code", "message", "field"}
    page = alice.get("/editor/nope")  # a page stays a page
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_refusals_get_their_status_from_the_web_layer(alice, live):
    """A refused edit carries a code, not an HTTP status: the web layer's table answers conflict with 409 and an
    unknown reply with 404, in the same JSON shape as every other error."""
    from suggest.authoring.refusals import Conflict, EditError, Missing
    from webapp.errors import status_of

    assert not hasattr(EditError, "status") and not hasattr(Conflict, "status")
    assert (status_of(Conflict.code), status_of(Missing.code), status_of(EditError.code)) == (409, 404, 422)
    missing = alice.get("/editor/api/replies/nope")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    stale = alice.call("PUT", "/editor/api/replies/bargain-01", json={
        "reply": {"situation": "bargain", "text": "亲，好的呢", "examples": ["好吗"]}, "version": "stale"})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict" and "theirs" in stale.json


# ---- editing over HTTP ---------------------------------------------------------------------------------------

def test_create_check_conflict_and_revert_over_http(app, alice, live):
    bob = Editor(app, "bob")
    created = new_invoice(alice)
    assert created.status_code == 201, created.json
    reply, version = created.json["reply"], created.json["version"]
    assert live.suggest("能开个发票不").suggestions[0].id == reply["id"]

    # blocked words: 422 naming them, nothing written
    blocked = alice.call("PUT", f"/editor/api/replies/{reply['id']}",
                         json={"reply": {**reply, "text": "亲，发票可以开，加我微信发您"}, "version": version})
    assert blocked.status_code == 422 and blocked.json["error"]["code"] == "blocked"
    assert [f["word"] for f in blocked.json["check"]["blocking"]] == ["加我微信"]
    # a warning needs confirmation
    warned = alice.call("PUT", f"/editor/api/replies/{reply['id']}",
                        json={"reply": {**reply, "text": "亲，发票绝对可以开"}, "version": version})
    assert warned.status_code == 422 and warned.json["error"]["code"] == "needs_confirmation"
    assert warned.json["check"]["warnings"][0]["word"] == "绝对"

    # two editors from the same version: the second gets 409 with both versions
    first = bob.call("PUT", f"/editor/api/replies/{reply['id']}",
                     json={"reply": {**reply, "text": "亲，发票可以开的，下单备注抬头哦"}, "version": version})
    assert first.status_code == 200, first.json
    second = alice.call("PUT", f"/editor/api/replies/{reply['id']}",
                        json={"reply": {**reply, "text": "亲，能开发票，电子票会发到邮箱"}, "version": version})
    assert second.status_code == 409
    assert second.json["theirs"]["text"] == "亲，发票可以开的，下单备注抬头哦"
    assert second.json["yours"]["text"] == "亲，能开发票，电子票会发到邮箱"
    assert second.json["changed_by"]["editor"] == "bob"
    assert live.corpus.replies[reply["id"]].text == "亲，发票可以开的，下单备注抬头哦"

    # the history lists both changes; reverting the creation would overwrite bob's later edit: 409
    changes = alice.get("/editor/api/history").json["changes"]
    assert [(c["editor"], c["action"]) for c in changes[:2]] == [("bob", "update_reply"), ("alice", "create_reply")]
    conflict = alice.call("POST", f"/editor/api/history/{changes[1]['id']}/revert", json={})
    assert conflict.status_code == 409 and conflict.json["drifted"][0]["id"] == reply["id"]
    # reverting bob's change restores alice's text, as a new change
    reverted = alice.call("POST", f"/editor/api/history/{changes[0]['id']}/revert", json={})
    assert reverted.status_code == 200, reverted.json
    assert reverted.json["change"]["reverts"] == changes[0]["id"] and reverted.json["change"]["editor"] == "alice"
    assert live.corpus.replies[reply["id"]].text == reply["text"]

    # retire and delete carry the version too
    current = alice.get(f"/editor/api/replies/{reply['id']}").json["reply"]
    stale = alice.call("POST", f"/editor/api/replies/{reply['id']}/retire",
                       json={"version": first.json["version"], "retired": True})
    assert stale.status_code == 409
    retired = alice.call("POST", f"/editor/api/replies/{reply['id']}/retire",
                         json={"version": current["version"], "retired": True})
    assert retired.status_code == 200 and live.corpus.replies[reply["id"]].retired
    gone = alice.call("DELETE", f"/editor/api/replies/{reply['id']}?version={retired.json['version']}")
    assert gone.status_code == 200 and reply["id"] not in live.corpus.replies
    assert alice.get(f"/editor/api/replies/{reply['id']}").status_code == 404


def test_check_and_try_endpoints(alice):
    check = alice.call("POST", "/editor/api/check", json={"reply": {"situation": "bargain", "text": "亲，全网最低价",
                                                                    "examples": ["便宜点"]}}).json
    assert check["ok"] is False and check["blocking"][0]["word"] == "全网最低"
    tried = alice.call("POST", "/editor/api/try", json={
        "message": "能开个发票不", "draft": {"text": "亲，可以开发票的", "examples": ["可以开发票吗"]}})
    assert tried.status_code == 200
    assert tried.json["draft"]["position"] == 1 and tried.json["merged"][0]["is_draft"] is True
    assert isinstance(tried.json["elapsed_ms"], (int, float))  # shown on the page; its speed is the bench's to measure
    empty = alice.call("POST", "/editor/api/try", json={"message": "  "})
    assert empty.status_code == 422


def test_situation_endpoints(alice, live):
    created = alice.call("POST", "/editor/api/situations", json={"situation": {"id": "store", "name": "实体店", "stage": "presale"}})
    assert created.status_code == 201, created.json
    version = created.json["situation"]["version"]
    updated = alice.call("PUT", "/editor/api/situations/store", json={"situation": {"name": "线下门店", "stage": "presale"},
                                                                     "version": version})
    assert updated.status_code == 200 and live.corpus.situations["store"].name == "线下门店"
    stale = alice.call("PUT", "/editor/api/situations/store", json={"situation": {"name": "门店", "stage": "presale"},
                                                                   "version": version})
    assert stale.status_code == 409 and stale.json["theirs"]["name"] == "线下门店"
    refused = alice.call("DELETE", f"/editor/api/situations/bargain?version={alice.get('/editor/api/situations').json['situations'][0]['version']}")
    assert refused.status_code in (409, 422)
    listed = {s["id"]: s for s in alice.get("/editor/api/situations").json["situations"]}
    deleted = alice.call("DELETE", f"/editor/api/situations/store?version={listed['store']['version']}")
    assert deleted.status_code == 200 and "store" not in live.corpus.situations


def test_import_preview_and_all_or_nothing_commit_over_http(alice, live):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "话术"
    sheet.append(["编号", "情境", "情境名称", "阶段", "话术", "例句", "标签", "快捷编码"])
    sheet.append(["invoice-01", "invoice", "发票", "售中", "亲，可以开发票的~", "可以开发票吗\n发票怎么开", "发票", "fp1"])
    sheet.append(["bargain-01", "bargain", "", "", "亲，价格实在，品质有保障哦~", "能便宜点吗\n少点呗老板", "议价", "yj1"])
    sheet.append(["bad-01", "bargain", "", "", "亲，好评返现5元哦", "便宜点", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    preview = alice.call("POST", "/editor/api/import/preview",
                         data={"file": (io.BytesIO(data), "新话术.xlsx")}, content_type="multipart/form-data")
    assert preview.status_code == 200, preview.json
    body = preview.json["preview"]
    assert body["counts"] == {"add": 1, "change": 1, "unchanged": 0, "reject": 1, "new_situations": 1, "removed": 0}
    rejected = next(r for r in body["rows"] if r["status"] == "reject")
    assert rejected["where"] == "新话术.xlsx:4" and "好评返现" in rejected["reasons"][0]
    before = {p.name: p.read_bytes() for p in (live.settings.corpus_dir / "situations").iterdir()}
    commit = alice.call("POST", "/editor/api/import/commit", json={"token": preview.json["token"]})
    assert commit.status_code == 422
    assert {p.name: p.read_bytes() for p in (live.settings.corpus_dir / "situations").iterdir()} == before

    # fixed file: preview then commit writes everything at once
    sheet.delete_rows(4)
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = alice.call("POST", "/editor/api/import/preview",
                         data={"file": (io.BytesIO(buffer.getvalue()), "新话术.xlsx")}, content_type="multipart/form-data")
    assert preview.json["preview"]["ok"] is True
    bob = Editor(alice.client.application, "bob")
    assert bob.call("POST", "/editor/api/import/commit", json={"token": preview.json["token"]}).status_code == 403
    commit = alice.call("POST", "/editor/api/import/commit", json={"token": preview.json["token"]})
    assert commit.status_code == 200, commit.json
    assert commit.json["counts"]["add"] == 1 and commit.json["change"]["action"] == "import"
    assert live.corpus.situations["invoice"].name == "发票" and live.corpus.situations["invoice"].stage == "order"
    assert live.suggest("能开个发票不").suggestions[0].id == "invoice-01"
    # the token is used up
    assert alice.call("POST", "/editor/api/import/commit", json={"token": preview.json["token"]}).status_code == 404
    unsupported = alice.call("POST", "/editor/api/import/preview", data={"file": (io.BytesIO(b"x"), "a.txt")},
                             content_type="multipart/form-data")
    assert unsupported.status_code == 422


def _csv_bytes(rows, encoding="gbk") -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(editor: Editor, data: bytes, name: str):
    return editor.call("POST", "/editor/api/import/preview", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_import_takes_a_gbk_csv_with_the_pages_chinese_headers_over_http(alice, live):
    old = live.corpus.replies["bargain-01"]
    data = _csv_bytes([["编号", "情境", "话术", "例句", "标签"],
                       ["", "议价", "亲，已经是活动价啦，拍下送您小礼物哦~", "还能便宜吗\n少点吧", "议价"],
                       ["bargain-01", "议价", "亲，价格已经很实在了~", old.examples[0], "议价"]])
    preview = _upload(alice, data, "话术.csv")
    assert preview.status_code == 200, preview.json
    body = preview.json["preview"]
    assert body["ok"] is True and body["verdict"]["kind"] == "ready"
    rows = {r["line"]: r for r in body["rows"]}
    assert rows[2]["id"] == "bargain-03" and rows[2]["generated_id"] and rows[2]["situation_name"] == "议价"
    assert rows[3]["status"] == "change"
    assert any(n.startswith("将删除 3 条例句") for n in rows[3]["removals"])
    assert {d["label"] for d in rows[3]["diffs"]} == {"内容", "例句"}
    assert body["kept"] == ["快捷编码"]  # no 快捷编码 column: yj1 stays
    commit = alice.call("POST", "/editor/api/import/commit", json={"token": preview.json["token"]})
    assert commit.status_code == 200, commit.json
    assert commit.json["counts"]["add"] == 1 and commit.json["counts"]["change"] == 1
    assert live.corpus.replies["bargain-03"].situation == "bargain"
    assert live.corpus.replies["bargain-01"].shortcut == old.shortcut
    history = alice.get("/editor/api/history").json["changes"][0]
    assert history["action"] == "import" and history["editor"] == "alice"


def test_a_file_the_import_cannot_read_gets_one_verdict_not_two(alice, live):
    preview = _upload(alice, _csv_bytes([["编号", "例句"], ["x-01", "好"]]), "缺列.csv").json["preview"]
    assert preview["verdict"]["kind"] == "error" and preview["counts"]["reject"] == 0 and not preview["rows"]
    assert "缺少列 话术、场景" in preview["errors"][0] and "完全一致" not in preview["verdict"]["message"]


def test_a_qianniu_sheet_previews_per_group_and_commits_the_editors_choice(alice, live):
    data = _csv_bytes([("分组", "快捷编码", "快捷短语"),
                       ("讲价回复", "kj1", "亲，我们家价格很实在的，利润已经很薄了，实在不能再便宜啦~"),
                       ("物流相关", "wl1", "亲，您的包裹已经在路上了，物流信息一般隔天更新，请耐心等待哦"),
                       ("店铺公告", "gg1", "亲，本店今天下午进行系统维护，维护期间暂停直播，感谢关注")])
    preview = _upload(alice, data, "千牛快捷短语.csv")
    assert preview.status_code == 200, preview.json
    body = preview.json["preview"]
    assert body["kind"] == "qianniu" and body["ok"] is True
    groups = {g["group"]: g for g in body["groups"]}
    assert groups["讲价回复"]["situation"] == "bargain" and groups["讲价回复"]["name"] == "议价"
    assert groups["店铺公告"]["new"] is True and body["counts"]["new_situations"] == 1
    token = preview.json["token"]
    regroup = alice.call("POST", "/editor/api/import/regroup",
                         json={"token": token, "overrides": {"物流相关": "urge_shipping", "店铺公告": "greeting"}})
    assert regroup.status_code == 200, regroup.json
    groups = {g["group"]: g for g in regroup.json["preview"]["groups"]}
    assert groups["物流相关"]["situation"] == "urge_shipping" and groups["物流相关"]["chosen"] is True
    assert groups["店铺公告"]["new"] is False and regroup.json["preview"]["counts"]["new_situations"] == 0
    bob = Editor(alice.client.application, "bob")
    assert bob.call("POST", "/editor/api/import/regroup", json={"token": token, "overrides": {}}).status_code == 403
    bad = alice.call("POST", "/editor/api/import/regroup", json={"token": token, "overrides": ["x"]})
    assert bad.status_code == 422
    commit = alice.call("POST", "/editor/api/import/commit",
                        json={"token": token, "overrides": {"物流相关": "urge_shipping", "店铺公告": "greeting"}})
    assert commit.status_code == 200, commit.json
    assert commit.json["counts"]["add"] == 3 and commit.json["kind"] == "qianniu"
    by_code = {r.shortcut: r for r in live.corpus.replies.values() if r.shortcut}
    assert by_code["wl1"].situation == "urge_shipping" and by_code["gg1"].situation == "greeting"
    change = alice.get("/editor/api/history").json["changes"][0]
    assert change["action"] == "import" and "千牛" in change["summary"]


def without_free_shipping_threshold(live) -> None:
    """The shop has not said when it ships free: free_shipping-01's {满包邮金额} stays unfilled in an export."""
    shop = live.settings.corpus_dir / "shop.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace("满包邮金额: 99元", ""), encoding="utf-8")


def test_the_export_advice_leaves_per_buyer_placeholders_to_the_chat_tool(alice, live):
    without_free_shipping_threshold(live)
    created = alice.call("POST", "/editor/api/replies", json={
        "reply": {"situation": "urge_shipping", "text": "{买家昵称}您好，订单{订单号}已经安排发货啦~", "examples": ["发货了吗"]},
        "confirm": True})
    assert created.status_code == 201, created.json
    page = alice.get("/editor/import").get_data(as_text=True)
    buyer = page[page.index('id="unfilled-buyer"'):]
    buyer = buyer[:buyer.index("</div>")]
    assert "{买家昵称}" in buyer and "聊天工具或客服" in buyer and "不要写进 shop.yaml" in buyer
    shop = page[page.index('id="unfilled-shop"'):]
    shop = shop[:shop.index("</div>")]
    assert "{满包邮金额}" in shop and "{买家昵称}" not in shop and "{订单号}" not in shop


def test_exports_download(alice, live, tmp_path):
    without_free_shipping_threshold(live)
    response = alice.get("/editor/export/qianniu.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "q.xlsx"
    path.write_bytes(response.data)
    rows = read_qianniu(path)
    assert ("议价", "yj1", live.corpus.replies["bargain-01"].text) in rows
    csv_response = alice.get("/editor/export/csv")
    assert csv_response.status_code == 200 and b"bargain-01" in csv_response.data
    assert alice.get("/editor/export/pdf").status_code == 404
    page = alice.get("/editor/import").get_data(as_text=True)
    assert "free_shipping-01" in page and "{满包邮金额}" in page  # the unfilled placeholder report


def test_analytics_page_shows_groups_and_bars(app, alice, live):
    store = app.extensions["feedback"]
    for _ in range(2):
        store.add("能便宜点吗", "bargain-01", "copied")
    for message in ("可以开发票吗", "能开个发票不", "发票怎么开"):
        store.log_abstention(message, dedupe_seconds=0)
    store.log_dismissed_all("你们有实体店吗")
    html = alice.get("/editor/analytics").get_data(as_text=True)
    assert "缺少的话术" in html
    assert any(f"“{m}”" in html for m in ("可以开发票吗", "能开个发票不", "发票怎么开"))
    assert html.count('class="gap"') == 2
    assert "<svg class=\"bar" in html and "bargain-01" in html
    assert "/editor/?new=1&amp;examples=" in html


def test_an_editor_edits_a_situations_bank_and_the_engine_understands_it_at_once(alice, live):
    message = "老婆说这个颜色挺衬她 那就算了吧"
    before = live.suggest(message).suggestions
    assert not before or before[0].situation != "keep_item"
    listed = {s["id"]: s for s in alice.get("/editor/api/situations").json["situations"]}
    keep = listed["keep_item"]
    assert keep["examples"]  # the page shows the bank
    saved = alice.call("PUT", "/editor/api/situations/keep_item", json={
        "situation": {"name": keep["name"], "stage": keep["stage"], "examples": keep["examples"] + [message]},
        "version": keep["version"]})
    assert saved.status_code == 200, saved.json
    assert message in live.corpus.situations["keep_item"].examples
    assert live.suggest(message).suggestions[0].situation == "keep_item"
    renamed = alice.call("PUT", "/editor/api/situations/keep_item", json={
        "situation": {"name": "不退了啦", "stage": keep["stage"]}, "version": saved.json["situation"]["version"]})
    assert renamed.status_code == 200 and message in live.corpus.situations["keep_item"].examples  # kept


def test_logout_ends_the_session_on_the_server_and_the_cookie_says_nothing(app, live):
    import base64
    import json as jsonlib

    client = app.test_client()
    token = page_token(client.get("/editor/login").get_data(as_text=True))
    client.post("/editor/login", data={"name": "alice", "password": PASSWORD, "csrf_token": token})
    captured = client.get_cookie("huashu_editor").value
    payload = captured.split(".")[0].lstrip(".")
    data = jsonlib.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"sid", "csrf"} and "alice" not in captured  # nothing about the editor in the cookie
    token = page_token(client.get("/editor/").get_data(as_text=True))
    client.post("/editor/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("huashu_editor", captured)  # a copy taken before the logout
    assert thief.get("/editor/api/replies").status_code == 401


def test_an_attack_from_one_address_does_not_lock_the_owner_out_elsewhere(app, live):
    def attempt(address, password):
        client = app.test_client()
        env = {"REMOTE_ADDR": address}
        token = page_token(client.get("/editor/login", environ_base=env).get_data(as_text=True))
        return client.post("/editor/login", data={"name": "alice", "password": password, "csrf_token": token},
                           environ_base=env).status_code

    assert [attempt("10.9.9.9", "guess") for _ in range(6)] == [401] * 5 + [429]
    assert attempt("10.9.9.9", PASSWORD) == 429  # the attacker's address waits, even with the password
    assert attempt("10.1.1.1", PASSWORD) == 302  # the owner, elsewhere, logs in


def test_parallel_guesses_cannot_pass_the_limit(live, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from suggest.authoring.logins import LoginStore

    store = LoginStore(tmp_path / "logins.sqlite3")
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: store.attempt({"account:alice|10.0.0.1": 5}, 900), range(12)))
    assert waits.count(0) == 5  # exactly five passwords get checked


def test_a_broken_situation_file_is_shown_on_every_page_until_fixed(alice, live):
    path = live.settings.corpus_dir / "situations" / "bargain.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "\n  - 这一行: [缩进错了\n", encoding="utf-8")
    html = alice.get("/editor/history").get_data(as_text=True)
    assert "话术文件有误" in html and "bargain.yaml" in html
    assert live.corpus.replies["bargain-01"]  # still served from the last good load
    path.write_text(good, encoding="utf-8")
    assert "话术文件有误" not in alice.get("/editor/history").get_data(as_text=True)


def test_while_the_model_loads_the_editor_says_so_in_chinese(home):
    set_editor_password(home / "editors.toml", "alice", PASSWORD)
    app = create_app(load_settings(home, env={}), test_config={"LOAD_ENGINE": "never"})
    alice = Editor(app, "alice")
    waiting = alice.get("/editor/api/replies")
    assert waiting.status_code == 503 and waiting.get_json()["error"]["message"] == "模型和索引还在加载，请稍候刷新"

"""The shop's facts: a typed profile, replies that depend on facts and campaigns, and editing the facts."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from suggest import cli as cli_module
from suggest.authoring.editing import EditingService
from suggest.authoring.history import History
from suggest.authoring.refusals import Conflict, Invalid
from suggest.corpus.profile import SHOP_TIME, load_profile, parse_profile
from suggest.errors import CorpusError

SHIPPED = Path(__file__).resolve().parent.parent / "corpus" / "shop.yaml"

CAMPAIGN = """
店铺:
  店铺名: 测试小铺
  客服名: 小测
发货与快递:
  快递: 中通
运费与包邮:
  运费: 8元
  满包邮金额: 99元
支付:
  花呗: {huabei}
活动:
  - 名称: 年货节
    开始: 2027-01-10 20:00
    结束: 2027-01-20
    退款开放时间: 1月21日
"""


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHOP_TIME)


def test_the_shipped_profile_loads_typed():
    profile = load_profile(SHIPPED)
    values = profile.values()
    assert values["店铺名"] and re.fullmatch(r"\d{1,2}:\d\d", values["截单时间"]) and values["运费"].endswith("元")
    assert profile.offered["花呗"] in (True, False)
    assert profile.campaigns and all(c.start < c.end for c in profile.campaigns)


def test_every_bad_fact_is_named_with_its_field_and_line(tmp_path):
    text = ("店铺:\n  店铺名: 小铺\n  店名: 错\n发货与快递:\n  截单时间: 25:00\n运费与包邮:\n  运费: 八块\n"
            "支付:\n  花呗: 也许\n活动:\n  - 名称: 大促\n    开始: 2026-11-11\n    结束: 2026-11-01\n")
    _, problems = parse_profile(text, "shop.yaml")
    found = {(p.field, p.code, p.where) for p in problems}
    assert found == {("店铺.店名", "unknown_key", "shop.yaml:3"), ("发货与快递.截单时间", "bad_time", "shop.yaml:5"),
                     ("运费与包邮.运费", "bad_money", "shop.yaml:7"), ("支付.花呗", "bad_yesno", "shop.yaml:9"),
                     ("活动[1].结束", "end_before_start", "shop.yaml:13")}
    (tmp_path / "shop.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_profile(tmp_path / "shop.yaml")
    assert "shop.yaml:5: field '发货与快递.截单时间': must be a time of day such as 16:00 (got '25:00')" \
        in str(err.value)  # as written, not as YAML 1.1 reads an unquoted 25:00 (1500)


def test_the_flat_profile_of_earlier_versions_still_loads():
    profile, problems = parse_profile("店铺名: 老店\n运费: 10\n快递: 韵达\n")
    assert not problems and profile.values() == {"店铺名": "老店", "运费": "10元", "快递": "韵达"}


def _with(engine, reply_id: str, **changes):
    corpus = engine.corpus
    reply = dataclasses.replace(corpus.replies[reply_id], **changes)
    engine.update_corpus(dataclasses.replace(corpus, replies={**corpus.replies, reply_id: reply}))


def ids(engine, message: str) -> list[str]:
    return [s.id for s in engine.suggest(message, k=10).suggestions]


def test_a_reply_stating_a_fact_the_shop_does_not_offer_is_not_suggested(fresh_engine):
    assert "free_shipping-01" in ids(fresh_engine, "包邮吗")
    profile = fresh_engine.profile
    fresh_engine.set_profile(dataclasses.replace(profile, offered={**profile.offered, "满包邮金额": False}))
    assert "free_shipping-01" not in ids(fresh_engine, "包邮吗")
    assert fresh_engine.by_shortcut("by") == []  # not by its quick code either
    # a fact not filled in yet hides nothing: the placeholder stays visible for the agent to fill
    fresh_engine.set_profile(dataclasses.replace(profile, facts={k: v for k, v in profile.facts.items()
                                                                  if k != "满包邮金额"}))
    reply = next(s for s in fresh_engine.suggest("包邮吗").suggestions if s.id == "free_shipping-01")
    assert "{满包邮金额}" in reply.text and "满包邮金额" in reply.unfilled
    fresh_engine.set_profile(profile)
    assert "满99元就包邮" in fresh_engine.suggest("包邮吗").suggestions[0].text


@pytest.mark.parametrize("large", [False, True], ids=["ranked-whole", "ranked-on-candidates"])
def test_requires_and_campaign_follow_the_facts_and_the_calendar(fresh_engine, tmp_path, monkeypatch, large):
    """Both ways a situation's replies are ranked (every reply, or a large situation's candidates) leave out the
    replies whose facts are false now."""
    if large:
        from suggest.engine import suggester
        monkeypatch.setattr(suggester, "EXACT_FIT_ROWS", 0)
    _with(fresh_engine, "bargain-01", requires=("花呗",))
    _with(fresh_engine, "free_shipping-01", campaign="年货节",
          text="亲，年货节期间满{满包邮金额}包邮，{退款开放时间}起可申请退款")
    for huabei, shown in (("是", True), ("否", False)):
        profile, problems = parse_profile(CAMPAIGN.format(huabei=huabei))
        assert not problems
        fresh_engine.set_profile(profile)
        fresh_engine.set_clock(lambda: at("2027-01-15 10:00"))
        assert ("bargain-01" in ids(fresh_engine, "能便宜点吗")) is shown
    during = next(s for s in fresh_engine.suggest("包邮吗", k=10).suggestions if s.id == "free_shipping-01")
    assert "满99元包邮，1月21日起可申请退款" in during.text
    fresh_engine.set_clock(lambda: at("2027-01-21 00:01"))  # the campaign has ended: its replies go with it
    assert "free_shipping-01" not in ids(fresh_engine, "包邮吗")
    reasons = {p.code for p in fresh_engine.profile.unmet(fresh_engine.corpus.replies["free_shipping-01"],
                                                          at("2027-01-21 00:01"))}
    assert reasons == {"campaign_not_running"}


def _service(engine) -> EditingService:
    return EditingService(engine, History(engine.settings.data_dir / "history.sqlite3"))


def test_editors_change_the_facts_in_one_place_and_suggestions_follow(fresh_engine):
    service = _service(fresh_engine)
    form = service.shop.form()
    fee = next(f for s in form["sections"] for f in s["facts"] if f["name"] == "满包邮金额")
    assert fee["value"] == "99元" and fee["kind"] == "money"
    fee["value"] = "129"
    change = service.shop.save(form, "alice", form["version"])
    assert "满129元就包邮" in fresh_engine.suggest("包邮吗").suggestions[0].text
    assert "满包邮金额: 129" in (fresh_engine.settings.corpus_dir / "shop.yaml").read_text(encoding="utf-8")
    with pytest.raises(Conflict):  # saved from a page opened before that change
        service.shop.save(form, "bob", form["version"])
    form = service.shop.form()
    time = next(f for s in form["sections"] for f in s["facts"] if f["name"] == "截单时间")
    time["value"] = "下午四点"
    with pytest.raises(Invalid) as err:
        service.shop.save(form, "alice", form["version"])
    assert err.value.problems[0]["field"] == "发货与快递.截单时间" and "16:00" in err.value.problems[0]["message"]
    service.revert(change.id, "alice")
    assert "满99元就包邮" in fresh_engine.suggest("包邮吗").suggestions[0].text
    assert [c.action for c in service.history.list(limit=2)] == ["revert", "edit_shop"]


def test_another_workers_change_to_the_facts_is_seen_without_a_restart(fresh_engine):
    service = _service(fresh_engine)
    shop = fresh_engine.settings.corpus_dir / "shop.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace("99元", "66元"), encoding="utf-8")
    assert service.refresh_if_changed()
    assert "满66元就包邮" in fresh_engine.suggest("包邮吗").suggestions[0].text


def test_the_cli_lint_says_which_replies_are_never_suggested(fresh_engine):
    shop = fresh_engine.settings.corpus_dir / "shop.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace("满包邮金额: 99元", "满包邮金额: 无"), encoding="utf-8")
    result = CliRunner().invoke(cli_module.main, ["--home", str(fresh_engine.settings.home), "corpus", "lint"])
    assert "free_shipping-01: never suggested: 'text': needs '满包邮金额', which the shop does not offer" \
        in result.output
    shop.write_text(shop.read_text(encoding="utf-8").replace("满包邮金额: 无", ""), encoding="utf-8")
    result = CliRunner().invoke(cli_module.main, ["--home", str(fresh_engine.settings.home), "corpus", "lint"])
    assert "free_shipping-01: placeholder {满包邮金额} has no value in shop.yaml" in result.output


def test_the_shop_page_saves_facts_and_shows_a_bad_one_again_with_what_was_typed(fresh_engine):
    from tests.test_editor_api import Editor, PASSWORD  # noqa: F401 - the logged-in client of the editor's tests
    from suggest.authoring.accounts import set_editor_password
    from webapp import create_app

    set_editor_password(fresh_engine.settings.home / "editors.toml", "alice", PASSWORD)
    editor = Editor(create_app(fresh_engine.settings, engine=fresh_engine), "alice")
    html = editor.get("/editor/shop").get_data(as_text=True)
    assert "<h1>店铺信息</h1>" in html and 'value="99元"' in html
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    form = {"csrf_token": editor.token, "version": version, "fact:店铺名": "测试小铺", "fact:客服名": "小测",
            "fact:快递": "中通", "fact:运费": "8元", "fact:满包邮金额": "79", "fact:截单时间": "四点",
            "fact:花呗": "否", "campaign_rows": "1", "campaign-0-名称": "周年庆", "campaign-0-开始": "2026-12-01",
            "campaign-0-结束": "2026-12-31"}
    refused = editor.client.post("/editor/shop", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "没有保存" in text and "应当是时间，例如 16:00" in text
    assert 'value="四点"' in text and 'value="周年庆"' in text  # nothing typed is lost
    form["fact:截单时间"] = "16:00"
    saved = editor.client.post("/editor/shop", data=form)
    assert saved.status_code == 302
    assert "满79元就包邮" in fresh_engine.suggest("包邮吗").suggestions[0].text
    profile = load_profile(fresh_engine.settings.corpus_dir / "shop.yaml")
    assert profile.offered["花呗"] is False and [c.name for c in profile.campaigns] == ["周年庆"]
    html = editor.get("/editor/shop?saved=1").get_data(as_text=True)
    assert "已保存" in html and 'value="16:00"' in html


def test_the_history_shows_what_a_change_to_the_facts_changed(fresh_engine):
    from tests.test_editor_api import Editor, PASSWORD  # noqa: F401
    from suggest.authoring.accounts import set_editor_password
    from webapp import create_app

    service = _service(fresh_engine)
    form = service.shop.form()
    next(f for s in form["sections"] for f in s["facts"] if f["name"] == "满包邮金额")["value"] = "129"
    change = service.shop.save(form, "alice", form["version"])
    set_editor_password(fresh_engine.settings.home / "editors.toml", "alice", PASSWORD)
    editor = Editor(create_app(fresh_engine.settings, engine=fresh_engine), "alice")
    html = editor.get("/editor/history").get_data(as_text=True)
    shown = html[html.index(f"#{change.id}"):]
    shown = shown[:shown.index("</details>")]
    assert "查看改动（1 项）" in shown and "店铺信息" in shown and "99元" in shown and "129元" in shown

"""The editing service, compliance lint, audit history, interchange (xlsx, 千牛, import preview) and analytics,
on the real engine over a writable copy of the fixture corpus (its index copied, so nothing is re-embedded)."""

from __future__ import annotations

import csv
import os
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from suggest import cli as cli_module
from suggest.usage.analytics import build_report, format_report
from suggest.corpus.compliance import check_text, load_rules, parse_rules
from suggest.corpus.files import load_corpus
from suggest.authoring.accounts import load_editors, set_editor_password
from suggest.authoring.editing import EditingService
from suggest.authoring.refusals import Blocked, Conflict, Invalid, NeedsConfirmation
from suggest.authoring.snapshots import reply_version, situation_version
from suggest.engine.suggester import Suggester
from suggest.errors import CorpusError
from suggest.usage.feedback import FeedbackStore
from suggest.authoring.history import History
from suggest.corpus.interchange import export_corpus, parse_import, preview_import
from suggest.corpus.problems import describe
from suggest.authoring.wording import zh_problem
from suggest.settings import load_settings
from suggest.corpus.spreadsheet import read_qianniu, write_qianniu

INVOICE = {"situation": "invoice", "text": "亲，可以开发票的，下单后把抬头和税号发给{客服名}就好~",
           "examples": ["可以开发票吗", "发票怎么开", "能开增值税发票吗"], "tags": ["发票"], "shortcut": "fp1"}
INVOICE_SITUATION = {"id": "invoice", "name": "发票", "stage": "order", "description": "买家要开发票"}


def editable_engine(home: Path, engine: Suggester, embedder) -> Suggester:
    """An engine over `home` (a fresh copy of the fixture corpus) reusing the session engine's index files."""
    shutil.copytree(engine.settings.index_dir, home / "index")
    return Suggester.load(load_settings(home, env={}), embedder=embedder)


@pytest.fixture
def live(home, engine, embedder) -> Suggester:
    return editable_engine(home, engine, embedder)


@pytest.fixture
def service(live) -> EditingService:
    return EditingService(live, History(live.settings.data_dir / "history.sqlite3"))


def files(engine: Suggester) -> dict[str, str]:
    folder = engine.settings.corpus_dir / "situations"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}


# ---- compliance ----------------------------------------------------------------------------------------------

def test_compliance_block_and_warn_name_the_offending_words():
    findings = check_text("亲，这是全网最低价，100%纯棉，有问题加我微信 vx123 或打 138-1234-5678，好评返现5元")
    by_word = {f.word: f.severity for f in findings}
    assert by_word["全网最低"] == "block"
    assert by_word["加我微信"] == "block"
    assert by_word["138-1234-5678"] == "block"
    assert by_word["好评返现"] == "block"
    assert by_word["100%"] == "warn"
    assert any(w.startswith("vx") or w == "vx" for w in by_word)
    # the warning rule for a bare 微信 is not repeated inside the blocked 加我微信
    assert "微信" not in by_word
    assert {f.rule for f in findings} >= {"absolute-claims", "off-platform", "review-manipulation", "absolute-soft"}


def test_compliance_sees_through_spacing_and_full_width_and_honours_allow_list():
    assert [f.word for f in check_text("有事加 微 信")] == ["加 微 信"]
    assert [f.severity for f in check_text("ＶＸ：abc")] == ["block"]
    assert check_text("最佳赏味期是三个月") == []
    assert check_text("您最好先量一下尺码哦") == []
    assert check_text("亲，按照平台规定我们不能添加站外联系方式哦") == []


def test_compliance_rules_are_data(tmp_path):
    rules = parse_rules({"rules": [{"id": "x", "severity": "warn", "words": ["包你满意"]}]})
    assert [(f.rule, f.severity, f.word) for f in check_text("包你满意哦", rules)] == [("x", "warn", "包你满意")]
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: y\n    severity: nope\n    words: [a]\n", encoding="utf-8")
    with pytest.raises(Exception, match="severity"):
        load_rules(path)
    bundled = load_rules()
    assert {r.severity for r in bundled} == {"block", "warn"}


# ---- checks on save ------------------------------------------------------------------------------------------

def test_validation_names_every_problem_and_writes_nothing(service, live):
    before = files(live)
    with pytest.raises(Invalid) as caught:
        service.save_reply({"situation": "bargain", "text": "  ", "examples": ["x" * 300]}, "alice")
    fields = {p["field"] for p in caught.value.problems}
    assert {"text", "examples"} <= fields
    with pytest.raises(Invalid) as caught:
        service.save_reply({"situation": "bargain", "text": "亲，{优惠码}可以用哦" + "好" * 500, "examples": ["有券吗"],
                            "shortcut": "YJ-1"}, "alice")
    messages = " ".join(p["message"] for p in caught.value.problems)
    assert "最多 500 个字" in messages and "未知的占位符 {优惠码}" in messages and "快捷编码" in messages
    with pytest.raises(Invalid, match="已被话术 bargain-01 使用"):
        service.save_reply({"situation": "bargain", "text": "新的议价话术", "examples": ["便宜"], "shortcut": "yj1"}, "alice")
    with pytest.raises(Invalid, match="不存在"):
        service.save_reply({"situation": "nope", "text": "好的", "examples": ["好"]}, "alice")
    assert files(live) == before
    assert service.history.count() == 0


def test_blocked_words_stop_the_save_and_warnings_need_confirmation(service, live):
    before = files(live)
    with pytest.raises(Blocked) as caught:
        service.save_reply({"situation": "bargain", "text": "亲，这已经是全网最低价了，加我微信再给您优惠", "examples": ["再便宜点"]},
                           "alice")
    assert "全网最低" in caught.value.message and "加我微信" in caught.value.message
    assert {f["word"] for f in caught.value.details()["check"]["blocking"]} == {"全网最低", "加我微信"}
    assert files(live) == before

    soft = {"situation": "keep_item", "text": "亲，面料是100%纯棉的，放心穿哦", "examples": ["是纯棉的吗", "什么面料"]}
    with pytest.raises(NeedsConfirmation) as caught:
        service.save_reply(soft, "alice")
    warnings = caught.value.check.warnings
    assert [w["word"] for w in warnings if w["kind"] == "compliance"] == ["100%"]
    assert files(live) == before
    saved = service.save_reply(soft, "alice", confirm=True)
    assert saved.reply.id == "keep_item-02"  # the next free number of its situation
    assert saved.reply.text in files(live)["keep_item.yaml"]


def test_near_duplicate_warning_uses_the_configured_threshold(service, live):
    draft = {"situation": "bargain", "text": "亲，咱们家都是明码标价的，品质对得起价格哦", "examples": ["便宜点行不行"]}
    with pytest.raises(NeedsConfirmation) as caught:
        service.save_reply(draft, "alice")
    duplicates = caught.value.check.duplicates
    assert duplicates[0]["id"] == "bargain-01" and duplicates[0]["similarity"] >= 0.92
    assert "bargain-01" in caught.value.check.warnings[0]["message"]
    # a stricter threshold: no warning; editing the reply itself never warns about itself
    strict = EditingService(live, service.history, duplicate_threshold=0.999)
    assert strict.check_reply(draft).duplicates == []
    own = live.corpus.replies["bargain-01"]
    assert service.check_reply({**own.to_dict()}, reply_id="bargain-01").duplicates == []


def test_placeholder_without_a_shop_value_needs_confirmation(service):
    draft = {"situation": "free_shipping", "text": "亲，满{满包邮金额}包邮，{赠品}送完即止", "examples": ["满多少包邮"]}
    check = service.check_reply(draft)
    warnings = [w for w in check.warnings if w["kind"] == "placeholder"]
    assert [w["name"] for w in warnings] == ["赠品"] and "手动填写" in warnings[0]["message"]
    with pytest.raises(NeedsConfirmation):
        service.save_reply(draft, "alice")


# ---- saving, history, suggestions ----------------------------------------------------------------------------

def test_a_new_situation_and_reply_are_written_recorded_and_suggested_at_once(service, live):
    assert live.suggest("能开个发票不").suggestions[0].situation != "invoice"
    result = service.save_reply(INVOICE, "alice", new_situation=INVOICE_SITUATION)
    reply = result.reply
    assert reply.id == "invoice-01" and reply.stage == "order"
    # on disk, atomically written, loadable, identical to what the engine serves
    assert (live.settings.corpus_dir / "situations" / "invoice.yaml").is_file()
    assert load_corpus(live.settings.corpus_dir) == live.corpus
    # in suggestions, without a restart, the placeholder filled from the shop profile
    top = live.suggest("能开个发票不").suggestions[0]
    assert top.id == "invoice-01" and "小测" in top.text
    # in the audit history with before and after
    change = service.history.get(result.change.id)
    assert change.editor == "alice" and change.action == "create_reply"
    assert change.before == {"replies": {"invoice-01": None}, "situations": {"invoice": None}}
    assert change.after["replies"]["invoice-01"]["text"] == INVOICE["text"]
    assert change.after["situations"]["invoice"]["name"] == "发票"


def test_retire_hides_from_suggestions_but_keeps_the_reply(service, live):
    reply = live.corpus.replies["bargain-01"]
    service.set_retired("bargain-01", "alice", reply_version(reply), retired=True)
    assert "bargain-01" not in [s.id for s in live.suggest("能便宜点吗").suggestions]
    assert "retired: true" in files(live)["bargain.yaml"]
    assert load_corpus(live.settings.corpus_dir).replies["bargain-01"].retired
    restored = service.set_retired("bargain-01", "bob", reply_version(live.corpus.replies["bargain-01"]), retired=False)
    assert restored.change.action == "restore_reply"
    assert "bargain-01" in [s.id for s in live.suggest("能便宜点吗").suggestions]


def test_conflicting_saves_get_both_versions_and_lose_nothing(service, live):
    start = reply_version(live.corpus.replies["bargain-01"])
    mine = {**live.corpus.replies["bargain-01"].to_dict(), "text": "亲，价格是实在价，品质对得起哦~"}
    theirs = {**live.corpus.replies["bargain-01"].to_dict(), "text": "亲，小店利润很薄，价格真的改不了啦~"}
    service.save_reply(theirs, "bob", reply_id="bargain-01", version=start)
    with pytest.raises(Conflict) as caught:
        service.save_reply(mine, "alice", reply_id="bargain-01", version=start)
    details = caught.value.details()
    assert caught.value.code == "conflict"  # answered with 409 by the web layer (webapp/errors.py)
    assert details["theirs"]["text"] == theirs["text"] and details["theirs"]["version"] != start
    assert details["yours"]["text"] == mine["text"]
    assert details["changed_by"]["editor"] == "bob"
    assert theirs["text"] in files(live)["bargain.yaml"]
    # saving again from their version (the "overwrite" choice) works
    service.save_reply(mine, "alice", reply_id="bargain-01", version=details["theirs"]["version"])
    assert live.corpus.replies["bargain-01"].text == mine["text"]


def test_a_tags_only_change_still_conflicts(service, live):
    start = reply_version(live.corpus.replies["bargain-02"])
    data = live.corpus.replies["bargain-02"].to_dict()
    service.save_reply({**data, "tags": ["议价", "新标签"]}, "bob", reply_id="bargain-02", version=start)
    with pytest.raises(Conflict):
        service.save_reply({**data, "shortcut": "yj9"}, "alice", reply_id="bargain-02", version=start)


def test_delete_and_revert_restore_the_before_state(service, live):
    reply = live.corpus.replies["greeting-01"]
    deleted = service.delete_reply("greeting-01", "alice", reply_version(reply))
    assert "greeting-01" not in live.corpus.replies and "greeting-01" not in files(live)["greeting.yaml"]
    revert = service.revert(deleted.change.id, "bob")
    assert revert.action == "revert" and revert.reverts == deleted.change.id
    assert live.corpus.replies["greeting-01"] == reply
    assert load_corpus(live.settings.corpus_dir).replies["greeting-01"] == reply
    # reverting the revert deletes it again; reverting something already undone says so
    service.revert(revert.id, "bob")
    assert "greeting-01" not in live.corpus.replies
    with pytest.raises(Invalid, match="无需撤销"):
        service.revert(revert.id, "bob")


def test_revert_of_a_new_situation_removes_its_file_and_a_later_edit_is_protected(service, live):
    created = service.save_reply(INVOICE, "alice", new_situation=INVOICE_SITUATION)
    edited = service.save_reply({**created.reply.to_dict(), "text": "亲，发票可以开的哦~"}, "bob",
                                reply_id="invoice-01", version=reply_version(created.reply))
    with pytest.raises(Conflict) as caught:
        service.revert(created.change.id, "carol")
    assert [d["id"] for d in caught.value.details()["drifted"]] == ["invoice-01"]
    assert live.corpus.replies["invoice-01"].text == "亲，发票可以开的哦~"
    service.revert(created.change.id, "carol", force=True)
    assert "invoice" not in live.corpus.situations and "invoice-01" not in live.corpus.replies
    assert not (live.settings.corpus_dir / "situations" / "invoice.yaml").exists()
    assert edited.change.id < service.history.list(limit=1)[0].id


def test_situations_are_managed_and_stage_changes_carry_their_replies(service, live):
    situation, change = service.save_situation({"id": "store", "name": "实体店", "stage": "presale"}, "alice")
    assert change.action == "create_situation" and (live.settings.corpus_dir / "situations" / "store.yaml").is_file()
    with pytest.raises(Invalid, match="已有名为"):
        service.save_situation({"id": "store2", "name": "实体店", "stage": "presale"}, "alice")
    old = live.corpus.situations["keep_item"]
    service.save_situation({"name": "留单挽回", "stage": "order", "description": old.description}, "alice",
                           situation_id="keep_item", version=situation_version(old))
    assert live.corpus.situations["keep_item"].name == "留单挽回"
    assert {r.stage for r in live.corpus.replies_of("keep_item")} == {"order"}
    with pytest.raises(Conflict):
        service.save_situation({"name": "又改了", "stage": "order"}, "bob", situation_id="keep_item",
                               version=situation_version(old))
    with pytest.raises(Invalid, match="还有"):
        service.delete_situation("keep_item", "alice", situation_version(live.corpus.situations["keep_item"]))
    service.delete_situation("store", "alice", situation_version(situation))
    assert "store" not in live.corpus.situations
    assert not (live.settings.corpus_dir / "situations" / "store.yaml").exists()
    assert load_corpus(live.settings.corpus_dir) == live.corpus


def test_another_process_sees_the_change_on_its_next_request(service, live, embedder):
    other = Suggester.load(load_settings(live.settings.home, env={}), embedder=embedder)  # a second worker
    other_service = EditingService(other, History(live.settings.data_dir / "history.sqlite3"))
    service.save_reply(INVOICE, "alice", new_situation=INVOICE_SITUATION)
    assert "invoice-01" not in other.corpus.replies
    with service._exclusive():  # a change being written: an agent's request does not wait for it
        assert other_service.refresh_if_changed(wait=False) is False
    assert other_service.refresh_if_changed() is True
    assert other.suggest("能开个发票不").suggestions[0].id == "invoice-01"
    assert other_service.refresh_if_changed() is False


def test_try_it_places_the_draft_among_the_real_suggestions(service):
    draft = {"situation": "", "situation_name": "发票", "text": "亲，可以开发票的~", "examples": ["可以开发票吗", "发票怎么开"]}
    result = service.try_draft("能开个发票不", draft)
    assert result["draft"]["position"] == 1 and result["draft"]["verdict"] == "likely"
    assert result["merged"][0]["is_draft"] and result["merged"][0]["text"] == "亲，可以开发票的~"
    # the rest is what agents get now, in the engine's order, cut to the same length
    assert [m["id"] for m in result["merged"][1:]] == [s["id"] for s in result["suggestions"]][:len(result["merged"]) - 1]
    far = service.try_draft("能开个发票不", {"text": "亲，今天就发货哦", "examples": ["什么时候发货"]})
    assert far["draft"]["position"] > 1 or far["draft"]["verdict"] != "likely"
    assert "相似度" in result["method"]


# ---- import, export, 千牛 ------------------------------------------------------------------------------------

def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_import_preview_adds_changes_and_rejects_with_reasons_then_commits_all_or_nothing(service, live, tmp_path):
    current = live.corpus.replies["bargain-01"].to_dict()
    rows = [
        {"id": "invoice-01", "situation": "invoice", "situation_name": "发票", "stage": "order",
         "text": "亲，可以开发票的~", "examples": ["可以开发票吗", "发票怎么开"]},
        {**current, "text": "亲，价格实在，品质有保障哦~"},
        live.corpus.replies["bargain-02"].to_dict(),
        {"id": "bad-1", "situation": "bargain", "text": "亲，全网最低价了", "examples": ["便宜点"]},
        {"id": "bad-2", "situation": "bargain", "text": "好的", "examples": [""]},
        {"id": "bad-3", "situation": "bargain", "text": "好的呢", "examples": ["好"], "shortcut": "yj2"},
    ]
    path = write_jsonl(tmp_path / "new.jsonl", rows)
    preview = service.import_preview(path, "new.jsonl")
    status = {r.id: r.status for r in preview.rows}
    assert status == {"invoice-01": "add", "bargain-01": "change", "bargain-02": "unchanged", "bad-1": "reject",
                      "bad-2": "reject", "bad-3": "reject"}
    reasons = {r.id: " ".join(describe(p) for p in r.reasons) for r in preview.rows}
    assert "全网最低" in reasons["bad-1"]
    assert "examples" in reasons["bad-2"]
    assert "'yj2' is already used by bargain-02" in reasons["bad-3"]
    shortcut = next(p for p in preview.rows[5].reasons if p.field == "shortcut")
    assert (shortcut.code, shortcut.values) == ("shortcut_taken", {"shortcut": "yj2", "owner": "bargain-02"})
    assert zh_problem(shortcut) == "快捷编码：yj2 已被 bargain-02 使用"  # the editors' words, from the same data
    assert [r.changed for r in preview.rows if r.id == "bargain-01"] == [["text"]]
    assert [s.id for s in preview.new_situations] == ["invoice"]
    assert preview.rows[0].where == "new.jsonl:1"
    # one bad row: nothing is written
    before = files(live)
    with pytest.raises(Invalid):
        service.import_commit(path, "alice", "new.jsonl")
    assert files(live) == before and service.history.count() == 0
    # without the bad rows everything is written at once, as one change
    write_jsonl(path, rows[:3])
    preview, change = service.import_commit(path, "alice", "new.jsonl")
    assert preview.counts()["add"] == 1 and preview.counts()["change"] == 1
    assert change.action == "import" and set(change.after["replies"]) == {"invoice-01", "bargain-01"}
    assert live.corpus.replies["bargain-01"].text == "亲，价格实在，品质有保障哦~"
    assert live.suggest("能开个发票不").suggestions[0].id == "invoice-01"
    # and it can be reverted as a whole
    service.revert(change.id, "bob")
    assert "invoice-01" not in live.corpus.replies and live.corpus.replies["bargain-01"].text == current["text"]


def test_cli_import_preview_prints_the_plan_and_writes_nothing(live, tmp_path):
    path = write_jsonl(tmp_path / "rows.jsonl", [
        {"id": "x-01", "situation": "bargain", "text": "亲，好的", "examples": ["行吗"]},
        {"id": "x-02", "situation": "bargain", "text": "", "examples": ["行吗"]},
    ])
    before = files(live)
    result = CliRunner().invoke(cli_module.main, ["--home", str(live.settings.home), "corpus", "import", str(path),
                                                  "--preview"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert f"add     {path}:1 x-01" in result.output
    assert f"REJECT  {path}:2 x-02" in result.output and "field 'text'" in result.output
    assert "nothing was written" in result.output
    assert files(live) == before


def test_xlsx_round_trip_keeps_every_field_and_never_writes_formulas(live, tmp_path):
    corpus = live.corpus
    odd = corpus.replies["greeting-01"].__class__(
        id="greeting-09", situation="greeting", stage="general", text="=HYPERLINK(\"http://x\")亲，在的~",
        examples=("在吗", "有人吗"), tags=("问候", "测试"), shortcut="zz9", retired=True)
    corpus = corpus.__class__(corpus.situations, {**corpus.replies, odd.id: odd})
    path = tmp_path / "corpus.xlsx"
    assert export_corpus(corpus, path) == len(corpus.replies)
    back = parse_import(path, None)
    assert back.replies == corpus.replies
    assert {s.id: (s.name, s.stage) for s in back.situations.values()} == \
        {s.id: (s.name, s.stage) for s in corpus.situations.values()}
    import openpyxl

    sheet = openpyxl.load_workbook(path)["话术"]
    assert [c.value for c in sheet[1]] == ["编号", "场景", "场景名称", "阶段", "话术", "例句", "标签", "快捷编码", "停用"]
    formula_cell = next(row[4] for row in sheet.iter_rows(min_row=2) if row[0].value == "greeting-09")
    assert formula_cell.data_type == "s"
    # the CLI reads, lints and imports .xlsx too
    runner = CliRunner()
    result = runner.invoke(cli_module.main, ["--home", str(live.settings.home), "corpus", "lint", str(path)])
    assert result.exit_code == 0 and "ok:" in result.output


def test_a_bad_xlsx_row_is_named_and_nothing_is_imported(live, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["编号", "情境", "情境名称", "阶段", "话术", "例句"])
    sheet.append(["invoice-01", "invoice", "发票", "售中", "亲，可以开发票的", "可以开发票吗\n发票怎么开"])
    sheet.append(["invoice-02", "invoice", "发票", "售中", "", "开票"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with pytest.raises(CorpusError, match=r"bad.xlsx:3: field 'text'"):
        parse_import(path, live.corpus)
    preview = preview_import(path, live.corpus)
    assert [r.status for r in preview.rows] == ["add", "reject"] and not preview.ok
    assert preview.new_situations[0].stage == "order"


def test_qianniu_export_fills_placeholders_and_reports_unfilled(live, tmp_path):
    corpus = live.corpus
    retired = corpus.replies["urge_shipping-01"].__class__(**{**corpus.replies["urge_shipping-01"].to_dict(),
                                                              "examples": ("x",), "retired": True})
    corpus = corpus.__class__(corpus.situations, {**corpus.replies, retired.id: retired})
    for suffix in (".xlsx", ".csv"):
        path = tmp_path / f"qianniu{suffix}"
        values = {k: v for k, v in live.profile.values().items() if k != "满包邮金额"}
        export = write_qianniu(corpus, values, path)
        rows = read_qianniu(path)
        assert len(rows) == export.count == sum(1 for r in corpus.replies.values() if not r.retired)
        by_code = {code: (group, text) for group, code, text in rows}
        assert by_code["yj2"][0] == "议价"
        assert "{客服名}" not in by_code["yj2"][1] and "小测" in by_code["yj2"][1]
        assert all(retired.text != text for _, _, text in rows)
        assert export.unfilled["free_shipping-01"] == ["买家昵称", "满包邮金额"]
        assert export.skipped_retired == 1
    raw = (tmp_path / "qianniu.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese text correctly
    header = next(csv.reader([raw.decode("utf-8-sig").splitlines()[0]]))
    assert header == ["分组", "快捷编码", "快捷短语"]
    # and from the CLI, for a shop that has not said when it ships free
    shop = live.settings.corpus_dir / "shop.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace("满包邮金额: 99元", ""), encoding="utf-8")
    out = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(cli_module.main, ["--home", str(live.settings.home), "corpus", "export", str(out),
                                                  "--format", "qianniu"], catch_exceptions=False)
    assert result.exit_code == 0 and "unfilled: free_shipping-01" in result.output
    assert read_qianniu(out)


QIANNIU_SHEET = [
    ("分组", "快捷编码", "快捷短语"),
    ("讲价回复", "kj1", "亲，我们家价格很实在的，利润已经很薄了，实在不能再便宜啦~"),
    ("讲价回复", "kj2", "亲，价格真的改不了呢，您喜欢的话现在拍下我给您备注送个小礼物~"),
    ("物流相关", "wl1", "亲，您的包裹已经在路上了，物流信息一般隔天更新，请耐心等待哦"),
    ("店铺公告", "gg1", "亲，本店今天下午进行系统维护，维护期间暂停直播，感谢关注"),
]


def write_csv(path: Path, rows, encoding: str = "gbk") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_editor_import_of_a_qianniu_sheet_assigns_groups_takes_the_editors_choice_and_is_recorded(service, live,
                                                                                                   tmp_path):
    path = write_csv(tmp_path / "千牛.csv", QIANNIU_SHEET)
    preview = service.import_preview(path, "千牛.csv")
    assert preview.ok and preview.to_dict()["kind"] == "qianniu"
    groups = {g["group"]: g for g in preview.to_dict()["groups"]}
    assert groups["讲价回复"]["situation"] == "bargain" and groups["讲价回复"]["name"] == "议价"
    assert groups["讲价回复"]["phrases"] == 2 and 0 < groups["讲价回复"]["confidence"] <= 1
    assert groups["店铺公告"]["new"] is True and groups["店铺公告"]["name"] == "店铺公告"
    assert all(a["name"] for a in groups["物流相关"]["alternatives"])  # Chinese names for the choice
    assert {s["id"] for s in preview.to_dict()["situations"]} == set(live.corpus.situations)
    assert preview.counts()["add"] == 4 and preview.verdict()["kind"] == "ready"
    assert files(live) and service.history.count() == 0  # a preview writes nothing

    # the editor puts 物流相关 under 催发货; the commit applies that choice, all at once, as one recorded change
    before = set(live.corpus.replies)
    result, change = service.import_commit(path, "alice", "千牛.csv", expected_base=preview.base_hash,
                                           overrides={"物流相关": "urge_shipping"})
    added = {r.shortcut: r for r in result.added}
    assert added["wl1"].situation == "urge_shipping" and added["kj1"].situation == "bargain"
    assert set(live.corpus.replies) - before == {r.id for r in result.added}
    assert change.action == "import" and "千牛" in change.summary and change.editor == "alice"
    assert set(change.after["replies"]) == {r.id for r in result.added}
    new_situation = next(g.situation for g in result.groups if g.new)
    assert change.after["situations"][new_situation]["name"] == "店铺公告"
    assert live.suggest("老板能便宜点不").suggestions  # the engine has them at once
    # and it is reverted as a whole, like any import
    service.revert(change.id, "bob")
    assert set(live.corpus.replies) == before and new_situation not in live.corpus.situations


def test_a_qianniu_phrase_with_a_forbidden_word_stops_the_whole_import(service, live, tmp_path):
    path = write_csv(tmp_path / "bad.csv", QIANNIU_SHEET + [("售后", "hp1", "亲，给个好评返现5元哦")])
    preview = service.import_preview(path, "bad.csv")
    assert not preview.ok and preview.verdict()["kind"] == "reject"
    assert [r.line for r in preview.rejected] == [6] and "好评返现" in zh_problem(preview.rejected[0].reasons[0])
    before = files(live)
    with pytest.raises(Invalid):
        service.import_commit(path, "alice", "bad.csv")
    assert files(live) == before and service.history.count() == 0


def test_import_preview_shows_before_and_after_and_says_what_is_removed(service, live, tmp_path):
    old = live.corpus.replies["bargain-01"]
    assert len(old.examples) == 4
    path = write_csv(tmp_path / "edit.csv", [
        ["编号", "情境", "话术", "例句", "快捷编码"],
        ["bargain-01", "议价", "亲，价格已经很实在了~", "\n".join(old.examples[:2]), ""],
    ])
    preview = service.import_preview(path, "edit.csv")
    row = preview.rows[0]
    assert row.status == "change" and set(row.changed) == {"text", "examples", "shortcut"}
    diffs = {d["field"]: d for d in row.diffs}
    assert diffs["text"]["before"] == old.text and diffs["text"]["after"] == "亲，价格已经很实在了~"
    assert diffs["examples"]["removed"] == list(old.examples[2:])
    assert f"将删除 2 条例句：“{old.examples[2]}”、“{old.examples[3]}”" in row.removals
    assert f"将清除快捷编码 {old.shortcut}" in row.removals
    assert preview.kept == ["tags"]  # no 标签 column: the tags stay
    _, change = service.import_commit(path, "alice", "edit.csv")
    assert live.corpus.replies["bargain-01"].tags == old.tags


def test_the_preview_gives_exactly_one_verdict(service, live, tmp_path):
    broken = write_csv(tmp_path / "broken.csv", [["编号", "例句"], ["x-01", "好"]])
    preview = service.import_preview(broken, "broken.csv")
    assert preview.verdict()["kind"] == "error" and not preview.rows and preview.counts()["reject"] == 0
    same = write_jsonl(tmp_path / "same.jsonl", [live.corpus.replies["bargain-02"].to_dict()])
    assert service.import_preview(same, "same.jsonl").verdict()["kind"] == "nothing"
    ready = write_csv(tmp_path / "ready.csv", [["情境", "话术"], ["议价", "亲，已经是最实在的价格啦~"]])
    verdict = service.import_preview(ready, "ready.csv").verdict()
    assert verdict["kind"] == "ready" and "完全一致" not in verdict["message"] and "拒绝" not in verdict["message"]


def test_qianniu_export_report_leaves_per_buyer_placeholders_to_the_chat_tool():
    from suggest.corpus.spreadsheet import QianniuExport

    report = QianniuExport(rows=[], unfilled={"a-01": ["满包邮金额"], "b-01": ["买家昵称", "订单号"]}).report()
    assert report[0].startswith("a-01: ") and "shop.yaml 里补上" in report[0]
    assert report[1].startswith("b-01: ") and "聊天工具或客服" in report[1] and "不要写进 shop.yaml" in report[1]


# ---- analytics ------------------------------------------------------------------------------------------------

def test_report_groups_unserved_messages_by_similarity(live, tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    for _ in range(3):
        store.add("能便宜点吗", "bargain-01", "copied")
    store.add("包邮吗", "free_shipping-01", "sent")
    store.add("怎么还不发货", "urge_shipping-01", "dismissed")  # only dismissed: nothing was usable
    for message in ("可以开发票吗", "能开个发票不", "发票怎么开", "可以开发票吗"):
        store.log_abstention(message, dedupe_seconds=0)
    for message in ("你们有实体店吗", "实体店在哪里"):
        store.log_dismissed_all(message)
    store.log_abstention("我的手机号是13812345678能开发票吗")
    report = build_report(live.corpus, store, live.embedder, live, days=30)
    assert [u.id for u in report.most_used][:2] == ["bargain-01", "free_shipping-01"]
    assert report.most_used[0].uses == 3 and report.least_used == []  # never listed twice
    short = build_report(live.corpus, store, None, None, days=None, top=1)
    assert [u.id for u in short.most_used] == ["bargain-01"] and [u.id for u in short.least_used] == ["free_shipping-01"]
    assert "bargain-02" in [u.id for u in report.never_used] and "bargain-01" not in [u.id for u in report.never_used]
    groups = [sorted(m for m, _ in g.messages) for g in report.gaps]
    invoice = next(g for g in report.gaps if "可以开发票吗" in [m for m, _ in g.messages])
    assert {"能开个发票不", "发票怎么开"} <= {m for m, _ in invoice.messages}
    assert invoice.count >= 4 and invoice.representative == "可以开发票吗" and invoice.abstained >= 4
    store_group = next(g for g in report.gaps if "你们有实体店吗" in [m for m, _ in g.messages])
    assert "可以开发票吗" not in [m for m, _ in store_group.messages] and store_group.dismissed_all == 2
    assert any(["怎么还不发货"] == g for g in groups)
    assert all("13812345678" not in m for g in report.gaps for m, _ in g.messages)  # masked at rest
    assert report.gaps[0] is invoice
    assert invoice.nearest_situation in live.corpus.situations and 0 < invoice.nearest_score < 0.9
    text = format_report(report)
    assert "unserved buyer messages" in text and "可以开发票吗" in text


def test_report_cli_and_editor_accounts(live, tmp_path, monkeypatch):
    store = FeedbackStore(live.settings.data_dir / "feedback.sqlite3")
    store.add("能便宜点吗", "bargain-01", "copied")
    store.log_abstention("能开发票吗")
    monkeypatch.setattr(cli_module, "_engine", lambda ctx, progress=False: live)
    runner = CliRunner()
    result = runner.invoke(cli_module.main, ["--home", str(live.settings.home), "report", "--json"], catch_exceptions=False)
    data = json.loads(result.output)
    assert data["most_used"][0]["id"] == "bargain-01" and data["gaps"][0]["representative"] == "能开发票吗"
    result = runner.invoke(cli_module.main, ["--home", str(live.settings.home), "editor", "add", "小王"],
                           input="correct horse\ncorrect horse\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    path = live.settings.home / "editors.toml"
    assert "correct horse" not in path.read_text(encoding="utf-8")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    from werkzeug.security import check_password_hash

    assert check_password_hash(load_editors(path)["小王"], "correct horse")
    with pytest.raises(Exception, match="at least"):
        set_editor_password(path, "bob", "short")
    assert runner.invoke(cli_module.main, ["--home", str(live.settings.home), "editor", "list"]).output.strip() == "小王"
    assert runner.invoke(cli_module.main, ["--home", str(live.settings.home), "editor", "remove", "小王"]).exit_code == 0
    assert load_editors(path) == {}


def test_feedback_store_keeps_its_old_api(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    record = store.add("能便宜点吗 13812345678", "bargain-01", "copied", "bargain")
    assert record.message == "能便宜点吗 [手机号]" and store.recent()[0].reply_id == "bargain-01"
    assert store.log_abstention("  ") == 0
    # the same unserved message asked again soon (the page re-asks on a stage change) is logged once
    assert store.log_abstention("能开发票吗") > 0 and store.log_abstention("能开发票吗") == 0
    assert store.log_dismissed_all("能开发票吗") > 0
    with sqlite3.connect(tmp_path / "f.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2


# ---- hand edits: noticed, never overwritten ----------------------------------------------------------------------

def _hand_edit(path: Path, old: str, new: str, keep_mtime: bool = False) -> None:
    """Rewrite `path` in place, as an editor in vim does (the folder is not touched); `keep_mtime` as tools that
    preserve times do (rsync -t, cp -p)."""
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    with open(path, "r+", encoding="utf-8") as handle:
        handle.write(text.replace(old, new))
        handle.truncate()
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_file_edited_in_place_is_served_and_kept_by_the_next_save(service, live):
    path = live.settings.corpus_dir / "situations" / "bargain.yaml"
    old = live.corpus.replies["bargain-01"].text
    _hand_edit(path, old, "亲，手工改过的议价话术~")
    assert service.refresh_if_changed()
    assert live.corpus.replies["bargain-01"].text == "亲，手工改过的议价话术~"
    draft = {**live.corpus.replies["bargain-02"].to_dict(), "text": "亲，编辑台改的另一条~"}
    service.save_reply(draft, "alice", reply_id="bargain-02", version=reply_version(live.corpus.replies["bargain-02"]))
    assert "亲，手工改过的议价话术~" in files(live)["bargain.yaml"]  # the hand edit survives the save


def test_a_save_never_overwrites_a_file_changed_since_it_was_read(service, live):
    path = live.settings.corpus_dir / "situations" / "bargain.yaml"
    start = reply_version(live.corpus.replies["bargain-02"])
    old = live.corpus.replies["bargain-01"].text
    edited = ("您" if old[0] != "您" else "亲") + old[1:]  # one CJK character for another: the same size
    _hand_edit(path, old, edited, keep_mtime=True)  # and the same time: only the contents tell
    draft = {**live.corpus.replies["bargain-02"].to_dict(), "text": "亲，编辑台改的另一条~"}
    with pytest.raises(Conflict) as caught:
        service.save_reply(draft, "alice", reply_id="bargain-02", version=start)
    assert caught.value.details()["files"] == ["bargain"]
    assert edited in files(live)["bargain.yaml"]
    assert live.corpus.replies["bargain-01"].text == edited  # loaded, so the editor sees it
    service.save_reply(draft, "alice", reply_id="bargain-02", version=start)  # and saves on top of it
    assert edited in files(live)["bargain.yaml"] and "编辑台改的另一条" in files(live)["bargain.yaml"]


def test_a_broken_file_is_shown_and_never_rewritten_from_memory(service, live):
    path = live.settings.corpus_dir / "situations" / "bargain.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - 这一行: [缩进错了\n", encoding="utf-8")
    broken = path.read_text(encoding="utf-8")
    assert not service.refresh_if_changed()
    assert any("bargain.yaml" in p.where for p in service.disk_problems)
    reply = live.corpus.replies["bargain-01"]
    with pytest.raises(Conflict) as caught:
        service.save_reply({**reply.to_dict(), "text": "亲，改一下"}, "alice", reply_id=reply.id,
                           version=reply_version(reply))
    assert "有误" in caught.value.message and caught.value.details()["file_problems"]
    assert path.read_text(encoding="utf-8") == broken
    other = live.corpus.replies["greeting-01"]  # another situation's file is written as usual
    service.save_reply({**other.to_dict(), "text": "亲，您好，在的~"}, "alice", reply_id=other.id,
                       version=reply_version(other))
    assert live.corpus.replies["greeting-01"].text == "亲，您好，在的~"

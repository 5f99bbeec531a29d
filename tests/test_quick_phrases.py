"""A shop's 千牛 quick-phrase sheet (分组 / 快捷编码 / 快捷短语: no ids, no situations, no examples) imports into a
home: every phrase is assigned one of the home's situations, and the shop gets suggestions at once."""

import csv

import pytest
from click.testing import CliRunner

from suggest.authoring.quick_phrases import import_quick_phrases, with_placeholders
from suggest.authoring.wording import zh_problem
from suggest.cli import main
from suggest.corpus.files import load_corpus
from suggest.corpus.problems import describe
from suggest.corpus.spreadsheet import read_quick_phrases, write_qianniu
from suggest.engine.suggester import Suggester
from suggest.errors import CorpusError
from suggest.settings import load_settings

SHEET = [
    ("讲价回复", "kj1", "亲，我们家价格很实在的，利润已经很薄了，实在不能再便宜啦~"),
    ("讲价回复", "kj2", "亲，价格真的改不了呢，您喜欢的话现在拍下我给您备注送个小礼物~"),
    ("物流相关", "wl1", "亲，您的包裹已经在路上了，物流信息一般隔天更新，请耐心等待哦"),
    ("店铺公告", "gg1", "亲，本店今天下午进行系统维护，维护期间暂停直播，感谢关注"),
]


def write_sheet(path, rows, encoding="gbk", header=("分组", "快捷编码", "快捷短语")):
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_gbk_sheet_with_chinese_headers_gets_situations_ids_and_suggestions(fresh_engine, tmp_path):
    phrases = read_quick_phrases(write_sheet(tmp_path / "千牛.csv", SHEET))
    result = import_quick_phrases(fresh_engine, phrases, replace=True)
    by_group = {g.group: g for g in result.groups}
    assert by_group["讲价回复"].situation == "bargain" and not by_group["讲价回复"].new
    assert by_group["店铺公告"].new and by_group["店铺公告"].name == "店铺公告"  # fits no situation of the home
    assert all(0 <= g.confidence <= 1 for g in result.groups)
    added = {r.shortcut: r for r in result.added}
    assert added["kj1"].situation == "bargain" and added["kj1"].id.startswith("bargain-") and not added["kj1"].examples
    assert set(result.corpus.situations) >= set(fresh_engine.corpus.situations)  # situations stay
    fresh_engine.update_corpus(result.corpus)
    top = fresh_engine.suggest("老板能便宜点不").suggestions[0]
    assert top.shortcut in ("kj1", "kj2")


def test_the_projects_own_qianniu_export_imports_back_unchanged(fresh_engine, tmp_path):
    path = tmp_path / "export.xlsx"
    write_qianniu(fresh_engine.corpus, fresh_engine.profile.values(), path)
    result = import_quick_phrases(fresh_engine, read_quick_phrases(path), replace=True)
    assert not result.added and not result.removed
    assert result.corpus.replies == fresh_engine.corpus.replies


def test_a_taken_or_bad_shortcut_is_left_empty_with_a_note_in_both_languages(fresh_engine, tmp_path):
    taken = next(r.shortcut for r in fresh_engine.corpus.replies.values() if r.shortcut)
    path = write_sheet(tmp_path / "s.csv", [("讲价回复", taken, "亲，这是一句全新的话术，和现有的都不一样哦~"),
                                            ("讲价回复", "不合规!", "亲，这又是一句全新的话术呢~")])
    result = import_quick_phrases(fresh_engine, read_quick_phrases(path))
    assert [n.code for n in result.notes] == ["shortcut_dropped_taken", "shortcut_dropped_invalid"]
    assert all(r.shortcut is None for r in result.added)
    assert describe(result.notes[0]) == f"{path}:2: 快捷编码 {taken!r} is taken; left empty"
    assert f"note: {path}:3: 快捷编码 '不合规!' is not 1-16 letters or digits" in result.format()
    assert zh_problem(result.notes[0]) == f"{path}:2: 快捷编码 {taken} 已被别的话术占用，这条导入后不设快捷编码"


def test_shop_values_become_placeholders_again():
    profile = {"店铺名": "测试小铺", "运费": "8元"}
    assert with_placeholders("欢迎光临测试小铺，运费8元，满198元包邮", profile) == "欢迎光临{店铺名}，运费{运费}，满198元包邮"


def test_english_headers_utf8_bom_and_a_sheet_without_header(tmp_path):
    english = write_sheet(tmp_path / "en.csv", SHEET[:1], encoding="utf-8-sig", header=("group", "shortcut", "text"))
    bare = write_sheet(tmp_path / "bare.csv", SHEET[:2], encoding="utf-8", header=None)
    assert [p.shortcut for p in read_quick_phrases(english)] == ["kj1"]
    assert [p.group for p in read_quick_phrases(bare)] == ["讲价回复", "讲价回复"]


def test_a_sheet_without_a_phrase_column_is_refused_naming_the_line(tmp_path):
    path = write_sheet(tmp_path / "bad.csv", [("a", "b")], header=("分组", "备注"))
    with pytest.raises(CorpusError, match=r"bad.csv:1: no 快捷短语 column"):
        read_quick_phrases(path)


def test_cli_import_replaces_replies_and_keeps_situations(home, embedder, tmp_path):
    Suggester.load(load_settings(home, env={}), embedder=embedder)  # the index, as `make serve` leaves it
    sheet = write_sheet(tmp_path / "phrases.csv", SHEET)
    result = CliRunner().invoke(main, ["--home", str(home), "corpus", "import", str(sheet), "--replace"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "讲价回复: 2 phrase(s) -> bargain" in result.output
    corpus = load_corpus(home / "corpus")
    assert len(corpus.replies) == len(SHEET) and "keep_item" in corpus.situations
    assert corpus.situations["keep_item"].examples  # the bank stays with its situation

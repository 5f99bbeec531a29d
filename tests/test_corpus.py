"""Corpus files: validation names file, line and field; import checks everything before writing."""

import json
from pathlib import Path

import pytest

from suggest.corpus.files import load_corpus, write_corpus
from suggest.errors import CorpusError
from suggest.corpus.interchange import export_corpus, parse_import


def test_fixture_and_shipped_corpora_load():
    shipped = load_corpus(Path(__file__).parent.parent / "corpus")
    assert len(shipped.situations) >= 45 and len(shipped.replies) >= 180
    assert all(len(r.examples) >= 3 for r in shipped.replies.values())


def test_every_shipped_situation_has_a_bank_of_real_style_buyer_messages():
    shipped = load_corpus(Path(__file__).parent.parent / "corpus")
    thin = {s.id: len(s.examples) for s in shipped.situations.values() if len(s.examples) < 20}
    assert not thin, f"situations with fewer than 20 bank examples: {thin}"
    bank = [e for s in shipped.situations.values() for e in s.examples]
    assert len(bank) >= 1200
    assert sum(len(e) > 15 for e in bank) >= len(bank) / 3  # buyers write sentences, not keywords


def test_a_bad_bank_is_reported_with_file_line_and_field(home):
    path = home / "corpus" / "situations" / "keep_item.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('  - "退款申请我撤回了哈"\n', '  - ""\n'), encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus(home / "corpus")
    assert "keep_item.yaml:5: field 'examples'" in str(caught.value)


def test_broken_field_is_reported_with_file_line_and_field(home):
    path = home / "corpus" / "situations" / "bargain.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("stage: presale", "stage: someday"), encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corpus(home / "corpus")
    assert f"{path}:3: field 'stage'" in str(err.value)


def test_reply_errors_name_the_reply_line(home):
    path = home / "corpus" / "situations" / "free_shipping.yaml"
    text = path.read_text(encoding="utf-8").replace("examples: [包邮吗, 能包邮不, 给我包邮就下单, 运费能免吗]", "examples: [包邮吗, '']")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corpus(home / "corpus")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "examples: [包邮吗, ''" in l)
    assert f"{path}:{line}: field 'examples'" in str(err.value)


def test_invalid_yaml_and_duplicate_ids_are_all_reported(home):
    folder = home / "corpus" / "situations"
    (folder / "broken.yaml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    dup = (folder / "bargain.yaml").read_text(encoding="utf-8").replace("id: bargain\n", "id: bargain2\n", 1)
    (folder / "bargain2.yaml").write_text(dup, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corpus(home / "corpus")
    message = str(err.value)
    assert "broken.yaml" in message and "not valid YAML" in message
    assert "duplicate reply id 'bargain-01'" in message


def test_roundtrip_jsonl_and_csv(home, tmp_path):
    corpus = load_corpus(home / "corpus")
    for name in ("out.jsonl", "out.csv"):
        export_corpus(corpus, tmp_path / name)
        again = parse_import(tmp_path / name, None)
        assert again.replies == corpus.replies


def test_import_rejects_the_whole_file_and_writes_nothing(home, tmp_path):
    before = {p.name: p.read_text(encoding="utf-8") for p in (home / "corpus" / "situations").iterdir()}
    rows = [
        {"id": "new-01", "situation": "bargain", "stage": "presale", "text": "好的亲", "examples": ["行"], "tags": []},
        {"id": "new-02", "situation": "bargain", "stage": "presale", "text": "", "examples": ["a"], "tags": []},
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        parse_import(bad, load_corpus(home / "corpus"))
    assert f"{bad}:3: not valid JSON" in str(err.value)
    bad.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        parse_import(bad, load_corpus(home / "corpus"))
    assert f"{bad}:2: field 'text'" in str(err.value)
    after = {p.name: p.read_text(encoding="utf-8") for p in (home / "corpus" / "situations").iterdir()}
    assert before == after


def test_import_takes_situation_names_from_situations_tsv(tmp_path):
    (tmp_path / "situations.tsv").write_text("situation\tname\tstage\tcovers\ninvoice\t发票\tpresale\tasks\n",
                                             encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "invoice-01", "situation": "invoice", "stage": "presale",
                                                  "text": "可以开发票的亲", "examples": ["能开发票吗"], "tags": []},
                                                 ensure_ascii=False) + "\n", encoding="utf-8")
    corpus = parse_import(tmp_path / "c.jsonl", None)
    assert corpus.situations["invoice"].name == "发票"


def test_written_corpus_loads_back_identically(home):
    corpus = load_corpus(home / "corpus")
    assert corpus.situations["keep_item"].examples  # the bank is written back too
    write_corpus(corpus, home / "corpus")
    assert load_corpus(home / "corpus") == corpus


def test_a_situation_file_is_written_as_one_document_would_be_though_each_reply_is_dumped_apart(home):
    """Each reply's lines are kept between saves; the file must read, byte for byte, as the whole document's
    dump, whatever a reply holds (quotes, colons, line breaks, a leading space, 32 control characters)."""
    import yaml

    from suggest.corpus import files
    from suggest.records import Reply

    corpus = load_corpus(home / "corpus")
    situation = corpus.situations["keep_item"]
    odd = [Reply("odd-1", "keep_item", situation.stage, 'text: "quoted" # not a comment', ("第一行\n第二行", " 前面有空格")),
           Reply("odd-2", "keep_item", "售后", "两行\n\n中间空一行", (), tags=("a", "b: c"), shortcut="/x",
                 requires=("huabei",), campaign="双11", retired=True),
           Reply("odd-3", "keep_item", situation.stage, "\x85" * 32 + "亲", ("- 像列表", "[像数组]", "{像对象}"))]
    replies = corpus.replies_of("keep_item") + odd
    whole = {"id": situation.id, "name": situation.name, "stage": situation.stage,
             "description": situation.description, "examples": list(situation.examples), "replies": []}
    for reply in replies:
        item = {"id": reply.id, "text": reply.text, "examples": list(reply.examples),
                "tags": files._OneLine(reply.tags)}
        if reply.stage != situation.stage:
            item["stage"] = reply.stage
        for name in ("shortcut", "requires", "campaign", "retired"):
            if getattr(reply, name):
                item[name] = files._OneLine(reply.requires) if name == "requires" else getattr(reply, name)
        whole["replies"].append(item)
    written = files.situation_yaml(situation, replies)
    assert written == files._dump(whole)
    assert [r["text"] for r in yaml.safe_load(written)["replies"][-3:]] == [r.text for r in odd]


def test_shipped_replies_pass_the_compliance_lint():
    from suggest.corpus.compliance import check_text

    shipped = load_corpus(Path(__file__).parent.parent / "corpus")
    findings = {r.id: [f.word for f in check_text(r.text)] for r in shipped.replies.values() if check_text(r.text)}
    assert not findings, f"replies an agent must not send as they are: {findings}"


def test_a_non_text_situation_or_id_is_a_named_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": ["x1"], "situation": ["bargain"], "text": "好", "examples": ["a"]}\n', encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        parse_import(bad, None)
    assert f"{bad}:1: field 'situation'" in str(err.value) and f"{bad}:1: field 'id'" in str(err.value)


# ---- what editors have: Chinese headers, GBK, no ids, situations by name, partial columns -----------------------

def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    import csv

    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_gbk_csv_with_the_pages_chinese_headers_reads_like_the_english_one(home, tmp_path):
    from suggest.corpus.interchange import read_rows

    corpus = load_corpus(home / "corpus")
    english = tmp_path / "en.csv"
    export_corpus(corpus, english)
    chinese = write_csv(tmp_path / "中文.csv", [
        ["编号", "情境", "情境名称", "阶段", "话术", "例句", "标签", "快捷编码", "停用"],
        ["bargain-01", "bargain", "议价", "售前", corpus.replies["bargain-01"].text,
         "\n".join(corpus.replies["bargain-01"].examples), "、".join(corpus.replies["bargain-01"].tags), "yj1", ""],
    ])
    row = dict(read_rows(chinese)[0][1])
    assert row["id"] == "bargain-01" and row["stage"] == "presale" and row["retired"] is False
    assert row["examples"] == list(corpus.replies["bargain-01"].examples)
    assert parse_import(chinese, corpus).replies["bargain-01"] == corpus.replies["bargain-01"]
    # the whole English export, saved again as GBK by Excel, imports back unchanged
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(english.read_text(encoding="utf-8").encode("gbk"))
    assert parse_import(gbk, None).replies == corpus.replies


def test_ids_are_generated_and_a_situation_may_be_given_by_its_chinese_name(home, tmp_path):
    corpus = load_corpus(home / "corpus")
    path = write_csv(tmp_path / "new.csv", [
        ["情境", "话术", "标签"],
        ["议价", "亲，已经是活动价啦，拍下送您小礼物哦~", "议价"],
        ["议价", "亲，这个价格真的很实在了~", ""],
        ["发票", "亲，可以开发票的，下单备注抬头和税号就好~", "发票"],
    ])
    new = parse_import(path, corpus)
    added = {rid: r for rid, r in new.replies.items() if rid not in corpus.replies}
    assert set(added) == {"bargain-03", "bargain-04", "situation-01-01"}  # situation + "-NN", the next free number
    assert added["bargain-03"].situation == "bargain" and added["bargain-03"].stage == "presale"
    assert not added["bargain-03"].examples  # examples are optional: the situation's bank understands buyers
    assert new.situations["situation-01"].name == "发票"  # a name no situation has: a new situation
    # only the text and a situation are required
    with pytest.raises(CorpusError, match=r"no-text.csv:1: missing column\(s\) 话术/text"):
        parse_import(write_csv(tmp_path / "no-text.csv", [["情境", "例句"], ["议价", "能便宜吗"]]), corpus)
    with pytest.raises(CorpusError, match=r"missing column\(s\) 场景/situation"):
        parse_import(write_csv(tmp_path / "no-situation.csv", [["编号", "话术"], ["x-01", "好的"]]), corpus)
    only_name = write_csv(tmp_path / "name.csv", [["情境名称", "话术"], ["包邮", "亲，满99包邮哦~"]], encoding="utf-8-sig")
    assert parse_import(only_name, corpus).replies["free_shipping-02"].situation == "free_shipping"


def test_a_column_the_file_lacks_leaves_the_field_as_it_is_and_an_empty_cell_clears_it(home, tmp_path):
    corpus = load_corpus(home / "corpus")
    old = corpus.replies["bargain-01"]
    assert old.examples and old.tags and old.shortcut
    path = write_csv(tmp_path / "text-only.csv", [["编号", "情境", "话术"], ["bargain-01", "bargain", "亲，价格实在哦~"]])
    new = parse_import(path, corpus).replies["bargain-01"]
    assert new.text == "亲，价格实在哦~"
    assert (new.examples, new.tags, new.shortcut, new.stage, new.retired) == \
        (old.examples, old.tags, old.shortcut, old.stage, old.retired)
    # a JSONL row without a key is the same as a file without the column
    jsonl = tmp_path / "partial.jsonl"
    jsonl.write_text(json.dumps({"id": "bargain-01", "tags": ["砍价"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    new = parse_import(jsonl, corpus).replies["bargain-01"]
    assert new.tags == ("砍价",) and (new.text, new.examples, new.shortcut) == (old.text, old.examples, old.shortcut)
    # the column is there but the cell is empty: the editor cleared it
    cleared = write_csv(tmp_path / "cleared.csv", [["编号", "情境", "话术", "快捷编码"], ["bargain-01", "bargain", old.text, ""]])
    assert parse_import(cleared, corpus).replies["bargain-01"].shortcut is None


# ---- problems as data: one wording table per language, keyed by code ---------------------------------------------

ROOT = Path(__file__).parent.parent
# The modules whose checks make problems; each spells a problem's code out where it makes it.
CHECK_MODULES = ("suggest/corpus/files.py", "suggest/corpus/interchange.py", "suggest/corpus/spreadsheet.py",
                 "suggest/corpus/products.py", "suggest/corpus/product_cells.py", "suggest/authoring/quick_phrases.py",
                 "suggest/authoring/import_preview.py", "suggest/authoring/draft_checks.py")
MAKERS = {"Problem", "bad"}  # Problem(field, code, …) and the checks' bad(field, code, …)


def codes_in(source: str) -> tuple[set[str], list[int]]:
    """The codes `source` makes problems with, and the lines where a problem's code is not written out (a code
    in a variable would escape the test below)."""
    import ast

    tree = ast.parse(source)
    inside_makers = {id(node) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name in MAKERS
                     for node in ast.walk(f)}

    def literals(node) -> list[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            body, orelse = literals(node.body), literals(node.orelse)
            return body + orelse if body is not None and orelse is not None else None
        return None

    codes: set[str] = set()
    unreadable: list[int] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in inside_makers:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in MAKERS:
            continue
        code = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "code"), None)
        found = literals(code) if code is not None else None
        if found is None:
            unreadable.append(node.lineno)
        else:
            codes.update(found)
    return codes, unreadable


def unworded(codes: set[str]) -> set[str]:
    from suggest.authoring.wording import CHINESE
    from suggest.corpus.problems import ENGLISH

    return {code for code in codes if code not in ENGLISH or code not in CHINESE}


def test_every_code_a_check_raises_is_worded_in_english_and_in_chinese():
    from suggest.authoring.shop_facts import ZH_WORDING
    from suggest.authoring.wording import CHINESE, CORPUS_ZH
    from suggest.corpus.problems import CORPUS_WORDING, ENGLISH
    from suggest.corpus.profile import PROFILE_WORDING

    raised: set[str] = set()
    for module in CHECK_MODULES:
        codes, unreadable = codes_in((ROOT / module).read_text(encoding="utf-8"))
        assert not unreadable, f"{module}: problems made with a code not written out, at lines {unreadable}"
        raised |= codes
    assert {"too_long", "missing_columns", "bad_stock", "shortcut_dropped_taken", "few_examples"} <= raised
    assert not unworded(raised)
    assert set(ENGLISH) == set(CHINESE)  # nothing worded in one language only
    # the shop profile's codes are the same vocabulary: none of them reworded by the corpus tables
    assert not set(PROFILE_WORDING) & set(CORPUS_WORDING) and not set(ZH_WORDING) & set(CORPUS_ZH)


def test_the_code_scan_sees_a_new_code_and_a_code_it_cannot_read():
    source = ('problems.append(Problem("text", "brand_new", {}))\n'
              'bad("tags", "too_long" if long else "other_new", limit=3)\n'
              'Problem("x", code)\n'
              'def bad(field, code):\n    problems.append(Problem(field, code, {}))\n')
    codes, unreadable = codes_in(source)
    assert codes == {"brand_new", "too_long", "other_new"} and unreadable == [3]
    assert unworded(codes) == {"brand_new", "other_new"}


def test_rewording_the_english_leaves_the_chinese_as_it_is(monkeypatch):
    from suggest.authoring.wording import zh_problem
    from suggest.corpus import problems
    from suggest.corpus.files import MAX_REPLY_CHARS
    from suggest.records import Problem

    problem = Problem("text", "too_long", {"length": 600, "limit": MAX_REPLY_CHARS}, "bargain.yaml:12")
    assert problems.describe(problem) == "bargain.yaml:12: field 'text': is 600 characters; at most 500"
    assert zh_problem(problem) == "bargain.yaml:12: 话术：有 600 个字，最多 500 个字"
    monkeypatch.setitem(problems.ENGLISH, "too_long", "has {length} characters, {limit} at most")
    assert str(CorpusError([problem])) == "problem in the corpus:\n  bargain.yaml:12: field 'text': has 600 " \
                                          "characters, 500 at most"
    assert zh_problem(problem) == "bargain.yaml:12: 话术：有 600 个字，最多 500 个字"


def test_a_load_error_carries_problems_with_the_limit_in_their_values(home):
    from suggest.authoring.wording import zh_problem
    from suggest.corpus.files import MAX_REPLY_CHARS

    path = home / "corpus" / "situations" / "bargain.yaml"
    long_text = "亲" * (MAX_REPLY_CHARS + 1)
    text = path.read_text(encoding="utf-8")
    first = load_corpus(home / "corpus").replies["bargain-01"].text
    path.write_text(text.replace(first, long_text, 1), encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corpus(home / "corpus")
    problem = err.value.problems[0]
    assert (problem.field, problem.code) == ("text", "too_long")
    assert problem.values == {"length": MAX_REPLY_CHARS + 1, "limit": MAX_REPLY_CHARS}
    assert problem.where.startswith(f"{path}:")
    assert f"最多 {MAX_REPLY_CHARS} 个字" in zh_problem(problem)


def test_a_message_a_module_still_words_itself_is_kept_as_written():
    err = CorpusError(["shop.yaml:5: field 'x': must be a time"])
    assert err.problems[0].code == "said" and str(err).endswith("shop.yaml:5: field 'x': must be a time")

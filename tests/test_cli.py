"""The `suggest` command line, driven as a user (and the benchmark) would."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from suggest.cli import main
from suggest.settings import setting_fields


@pytest.fixture
def run(shared_home, engine):
    def invoke(*args, home=shared_home, input=None):
        return CliRunner().invoke(main, ["--home", str(home), *args], input=input, catch_exceptions=False)
    return invoke


def test_query_json_contract(run):
    result = run("query", "能便宜点吗 包邮不", "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"message", "segments", "suggestions", "abstained"}
    assert data["message"] == "能便宜点吗 包邮不" and data["abstained"] is False
    assert len(data["suggestions"]) == 3
    assert set(data["suggestions"][0]) >= {"id", "text", "situation", "stage", "score"}
    segment = data["segments"][0]
    assert set(segment) >= {"text", "situations"}
    assert set(segment["situations"][0]) >= {"id", "name", "score", "replies"}
    assert {s["situation"] for s in data["suggestions"][:2]} == {"bargain", "free_shipping"}


def test_query_file_gives_one_json_line_per_message(run, tmp_path):
    messages = tmp_path / "m.txt"
    messages.write_text("包邮吗\n\n讲个笑话吧\n几天能到\n", encoding="utf-8")
    result = run("query", "--file", str(messages), "--json")
    lines = [json.loads(l) for l in result.stdout.splitlines()]
    assert [l["message"] for l in lines] == ["包邮吗", "讲个笑话吧", "几天能到"]
    assert lines[1]["abstained"] is True and lines[1]["suggestions"] == []


def test_empty_message_is_a_clear_error(run):
    result = run("query", "   ")
    assert result.exit_code == 1
    assert "'message' is empty" in result.output


def test_lint_of_a_broken_import_file_names_the_line(run, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x-01", "situation": "bargain", "text": "好", "examples": [""]}\n', encoding="utf-8")
    result = run("corpus", "lint", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:1: field 'examples'" in result.output


def test_import_export_roundtrip_through_the_cli(run, home, tmp_path):
    out = tmp_path / "corpus.csv"
    assert run("corpus", "export", str(out), home=home).exit_code == 0
    fresh = tmp_path / "other"
    result = run("corpus", "import", str(out), "--replace", home=fresh)
    assert result.exit_code == 0, result.output
    assert "12 replies in 8 situations" in result.output
    assert (fresh / "corpus" / "situations" / "bargain.yaml").is_file()


def test_eval_prints_engine_and_both_baselines(run):
    queries = Path(__file__).parent / "fixtures" / "queries.jsonl"
    result = run("eval", "--queries", str(queries))
    assert result.exit_code == 0, result.output
    for name in ("engine", "bm25 only", "embeddings only", "hit@1", "hit@3", "MRR", "abstain"):
        assert name in result.output


def test_readme_documents_every_setting():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [f.name for f in setting_fields() if f"`{f.name}`" not in readme]
    assert not missing, f"README.md does not document: {missing}"


def test_lint_and_import_apply_the_compliance_rules(home, embedder, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "bargain-09", "situation": "bargain", "text": "亲，这是全网最低价哦，加微信给您便宜", '
                   '"examples": ["便宜点"]}\n', encoding="utf-8")
    runner = CliRunner()
    lint = runner.invoke(main, ["--home", str(home), "corpus", "lint", str(bad)])
    assert lint.exit_code == 1
    assert "block: reply bargain-09: '全网最低'" in lint.output and "加微信" in lint.output
    before = (home / "corpus" / "situations" / "bargain.yaml").read_text(encoding="utf-8")
    imported = runner.invoke(main, ["--home", str(home), "corpus", "import", str(bad)])
    assert imported.exit_code == 1 and "nothing imported" in imported.output and "全网最低" in imported.output
    assert (home / "corpus" / "situations" / "bargain.yaml").read_text(encoding="utf-8") == before


def test_eval_of_a_conversation_set_says_where_context_hurt(run, tmp_path):
    talk = tmp_path / "talk.jsonl"
    talk.write_text('{"id": "c1", "context": ["我想退货"], "message": "运费谁出", "gold": ["return_exchange"]}\n'
                    '{"id": "c2", "context": ["能便宜点吗"], "message": "在吗", "gold": ["greeting"]}\n', encoding="utf-8")
    result = run("eval", "--queries", str(talk))
    assert result.exit_code == 0, result.output
    assert "engine, no context" in result.output
    assert "conversations where the context put the right reply lower: " in result.output


def test_bench_scale_with_stand_in_vectors_prints_what_it_measured(run, engine, tmp_path):
    """A size too large to embed here is measured with stand-in vectors: build, one reply added and the cached
    path are printed, and nothing that needs the real model (latency of new messages, hit@1) is. The cached path
    of a larger size is also given as a ratio to the first size's, timed in turns with it."""
    from suggest.corpus.interchange import export_corpus

    export_corpus(engine.corpus, tmp_path / "corpus.jsonl")
    (tmp_path / "dev.jsonl").write_text(
        '{"id": "a", "message": "能便宜点吗", "gold": ["bargain"], "kind": "plain"}\n'
        '{"id": "b", "message": "发什么快递", "gold": ["express_choice"], "kind": "plain"}\n', encoding="utf-8")
    done = run("bench", "--scale", "300,1200", "--stand-in-vectors", "--bench-dir", str(tmp_path), "--repeat", "1")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()  # each size's row as it is measured, then the table
    top = next(i for i, line in enumerate(lines) if "model stand-in" in line)
    row, larger = lines[top + 2].split(), lines[top + 3].split()
    assert 290 <= int(row[0]) <= 330 and 1160 <= int(larger[0]) <= 1240  # grown to about the sizes asked for
    assert float(row[1]) > 0 and float(row[2]) > 0 and float(row[9]) > 0  # build, +1 reply, cached p50
    assert row[10] == "1.00x" and float(larger[10].rstrip("x")) > 0  # growth: against the first size
    assert row[3] == row[12] == larger[12] == "—"  # new-message p50 and hit@1 need the real model

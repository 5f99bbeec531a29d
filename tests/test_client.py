"""suggest/client.py and examples/transcript_suggest.py against a live local server on the real engine."""

from __future__ import annotations

import importlib.util
import io
import socket
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from suggest.client import ClientError, SuggestClient
from suggest.tools.serving import free_port
from suggest.settings import load_settings
from webapp import create_app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def base_url(engine, tmp_path_factory, live_server):
    home = tmp_path_factory.mktemp("clienthome")  # own feedback DB, no api_keys.txt
    app = create_app(load_settings(home, env={}), engine=engine)
    with live_server(app) as url:
        yield url


@pytest.fixture
def client(base_url):
    return SuggestClient(base_url, timeout=10)


def test_suggest(client):
    result = client.suggest("能便宜点吗", k=3)
    assert not result["abstained"]
    assert 1 <= len(result["suggestions"]) <= 3
    top = result["suggestions"][0]
    assert top["situation"] == "bargain"
    assert set(top) >= {"id", "text", "situation", "stage", "score", "shortcut", "unfilled"}
    assert result["segments"][0]["situations"][0]["name"] == "议价"


def test_suggest_with_options(client):
    result = client.suggest("包邮吗", k=2, stage="presale", context=["在吗", "这件外套还有货吗"],
                            variables={"客服名": "阿花"})
    assert result["stage"] == "presale"
    assert result["suggestions"][0]["situation"] == "free_shipping"
    assert len(result["suggestions"]) <= 2


def test_k_computed_as_a_float_is_taken_as_the_whole_number(client):
    """A caller that computes k (say n / 2) sends 2.0; the document says integer, and JSON Schema counts 2.0 as one."""
    result = client.suggest("能便宜点吗，发什么快递", k=4 / 2)  # type: ignore[arg-type]
    assert len(result["suggestions"]) == 2
    with pytest.raises(ClientError) as caught:
        client.suggest("能便宜点吗", k=2.5)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, "invalid_type", "k")


def test_batch(client):
    results = client.batch(["能便宜点吗", "什么时候发货啊 急用", "今天天气真好"], k=2)
    assert len(results) == 3
    assert results[0]["suggestions"][0]["situation"] == "bargain"
    assert results[1]["suggestions"][0]["situation"] == "urge_shipping"
    assert [r["message"] for r in results] == ["能便宜点吗", "什么时候发货啊 急用", "今天天气真好"]


def test_feedback(client):
    reply = client.suggest("能便宜点吗")["suggestions"][0]
    assert client.feedback("能便宜点吗", reply["id"], "copied") is None
    with pytest.raises(ClientError) as caught:
        client.feedback("能便宜点吗", "no-such-reply", "copied")
    assert caught.value.status == 404 and caught.value.field == "reply_id"


def test_health(client):
    assert client.health() is True
    assert SuggestClient(f"http://127.0.0.1:{free_port()}", timeout=2).health() is False


def test_error_names_the_field(client):
    with pytest.raises(ClientError) as caught:
        client.suggest("   ")
    err = caught.value
    assert err.status in (400, 422)
    assert err.code == "empty"
    assert err.field == "message"
    assert "message" in str(err) and err.message

    with pytest.raises(ClientError) as caught:
        client.suggest("能便宜点吗", stage="shipping")  # type: ignore[arg-type]
    assert caught.value.status == 422 and caught.value.field == "stage"


def test_unreachable_server():
    client = SuggestClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ClientError) as caught:
        client.suggest("能便宜点吗")
    err = caught.value
    assert err.status is None and err.code == "connection_error"
    assert "cannot reach" in err.message


def test_timeout():
    """A server that accepts the connection and never answers: a timeout, not a hang."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = SuggestClient(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ClientError) as caught:
            client.suggest("能便宜点吗")
        assert time.monotonic() - started < 5
    assert caught.value.status is None and caught.value.code == "timeout"
    assert "did not answer within 0.5 s" in caught.value.message


def test_bad_base_url():
    with pytest.raises(ValueError):
        SuggestClient("127.0.0.1:8000")


def test_api_key_required(fresh_engine, live_server):
    (fresh_engine.settings.home / "api_keys.txt").write_text("# keys\ns3cret-key\n", encoding="utf-8")
    app = create_app(engine=fresh_engine)
    with live_server(app) as url:
        with pytest.raises(ClientError) as caught:
            SuggestClient(url).suggest("能便宜点吗")
        assert caught.value.status == 401 and caught.value.code == "unauthorized"
        with pytest.raises(ClientError) as caught:
            SuggestClient(url, api_key="wrong").suggest("能便宜点吗")
        assert caught.value.status == 401
        result = SuggestClient(url, api_key="s3cret-key").suggest("能便宜点吗")
        assert result["suggestions"][0]["situation"] == "bargain"
        assert SuggestClient(url).health() is True  # /readyz is not an API call: no key needed


# ---- the example script --------------------------------------------------------------------------------------

def load_example():
    spec = importlib.util.spec_from_file_location("transcript_suggest", EXAMPLES / "transcript_suggest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_transcript_parsing():
    example = load_example()
    turns = example.parse_transcript("# c\n买家: 在吗\n客服：在的\nbuyer: 能便宜点吗\n还有 包邮吗\n\nAgent: 不行哦\n")
    assert [(t.speaker, t.text) for t in turns] == [
        ("buyer", "在吗"), ("agent", "在的"), ("buyer", "能便宜点吗\n还有 包邮吗"), ("agent", "不行哦")]
    with pytest.raises(ValueError, match="line 1"):
        example.parse_transcript("hello\n买家: 在吗")


def test_transcript_example(base_url):
    example = load_example()
    out = io.StringIO()
    with redirect_stdout(out):
        code = example.main([str(EXAMPLES / "transcript.txt"), "--server", base_url, "-k", "2"])
    text = out.getvalue()
    assert code == 0, text
    turns = example.parse_transcript((EXAMPLES / "transcript.txt").read_text(encoding="utf-8"))
    buyer_turns = [t for t in turns if t.speaker == "buyer"]
    assert text.count("买家（第") == len(buyer_turns)
    assert "议价" in text and "包邮" in text and "实际回复：" in text
    assert "上文：在吗 / 这款外套能便宜点吗" in text  # earlier buyer turns are passed as context

    seen = []
    real = SuggestClient.suggest

    def spy(self, message, **kwargs):
        seen.append((message, kwargs.get("context")))
        return real(self, message, **kwargs)

    SuggestClient.suggest = spy
    try:
        example.suggest_turns(SuggestClient(base_url), buyer_turns[:3], k=1, context_turns=2)
    finally:
        SuggestClient.suggest = real
    assert seen == [("在吗", None), ("这款外套能便宜点吗", ["在吗"]), ("包邮不", ["在吗", "这款外套能便宜点吗"])]


def test_transcript_example_unreachable(capsys):
    example = load_example()
    code = example.main([str(EXAMPLES / "transcript.txt"), "--server", f"http://127.0.0.1:{free_port()}"])
    assert code == 1
    assert "cannot reach" in capsys.readouterr().err

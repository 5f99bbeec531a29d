"""Learning from agents' choices: what they send becomes evidence, in every worker, without a restart."""

import os
import time

import pytest
from click.testing import CliRunner

from suggest.cli import main
from suggest.usage.learning import LearningStore
from webapp import create_app

# Nothing in the fixture corpus reads like this (the engine abstains); an agent answers it with a 退换货 reply.
ODD = "孩子他爸说颜色太艳了"
SIMILAR = "孩子他爹嫌颜色太艳"


def workers(fresh_engine, learning):
    """Two apps over one home, as two gunicorn workers would be (each its own engine object in real life; the
    learned overlay is per engine, so the second app gets a copy of the engine's state)."""
    settings = fresh_engine.settings.replace(learning=learning)
    return create_app(settings, engine=fresh_engine).test_client()


def top(client, message):
    data = client.post("/api/v1/suggest", json={"message": message}).get_json()
    return data["suggestions"][0]["situation"] if data["suggestions"] else None


def test_a_sent_reply_teaches_its_situation_at_once_in_auto_mode(fresh_engine):
    client = workers(fresh_engine, "auto")
    assert top(client, SIMILAR) != "return_exchange"
    sent = client.post("/api/v1/feedback", json={"message": ODD + " 手机13812345678", "reply_id": "return_exchange-01",
                                                  "action": "sent"})
    assert sent.status_code == 201
    assert top(client, SIMILAR) == "return_exchange"
    learned = LearningStore(fresh_engine.settings.data_dir / "learning.sqlite3").candidates("learned")
    assert [c.message for c in learned] == [ODD + " 手机[手机号]"]  # masked as the feedback log masks it


def test_in_review_mode_a_choice_waits_for_an_editor(fresh_engine):
    client = workers(fresh_engine, "review")
    client.post("/api/v1/feedback", json={"message": ODD, "reply_id": "return_exchange-01", "action": "copied"})
    store = LearningStore(fresh_engine.settings.data_dir / "learning.sqlite3")
    [waiting] = store.candidates("pending")
    assert waiting.situation == "return_exchange" and top(client, SIMILAR) != "return_exchange"
    store.decide([waiting.id], "learned", "alice")  # an editor accepts it, in another process
    client.application.extensions["learning"]._checked_at = 0.0  # as if half a second had passed
    assert top(client, SIMILAR) == "return_exchange"
    store.decide([waiting.id], "rejected", "alice")  # and takes it back
    client.application.extensions["learning"]._checked_at = 0.0
    assert top(client, SIMILAR) != "return_exchange"


def test_a_decision_reaches_a_worker_whose_store_had_long_been_quiet(fresh_engine):
    """A quiet store is checked by its files' times and sizes, not a query: a decision written after such a
    check must still be seen at the next."""
    client = workers(fresh_engine, "review")
    client.post("/api/v1/feedback", json={"message": ODD, "reply_id": "return_exchange-01", "action": "copied"})
    path = fresh_engine.settings.data_dir / "learning.sqlite3"
    store = LearningStore(path)
    [waiting] = store.candidates("pending")

    def written(seconds_ago: float) -> None:  # the store's files as last written that long ago
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                os.utime(file, (time.time() - seconds_ago,) * 2)

    learning = client.application.extensions["learning"]
    written(60)
    learning._checked_at = 0.0
    assert top(client, SIMILAR) != "return_exchange"  # checked while quiet: its stamp taken
    store.decide([waiting.id], "learned", "alice")  # another process writes ...
    written(30)  # ... and the next check comes well after
    learning._checked_at = 0.0
    assert top(client, SIMILAR) == "return_exchange"


def test_learning_off_learns_nothing(fresh_engine):
    client = workers(fresh_engine, "off")
    client.post("/api/v1/feedback", json={"message": ODD, "reply_id": "return_exchange-01", "action": "sent"})
    store = LearningStore(fresh_engine.settings.data_dir / "learning.sqlite3")
    assert store.count("pending") == store.count("learned") == 0 and top(client, SIMILAR) != "return_exchange"


def test_a_dismissed_reply_counts_against_its_situation_for_the_same_message(fresh_engine):
    client = workers(fresh_engine, "auto")
    message = "包邮吗"
    before = client.post("/api/v1/suggest", json={"message": message}).get_json()["segments"][0]["situations"]
    assert before[0]["id"] == "free_shipping"
    for reply in ("free_shipping-01", "free_shipping-02"):
        client.post("/api/v1/feedback", json={"message": message, "reply_id": reply, "action": "dismissed"})
    client.application.extensions["learning"]._checked_at = 0.0
    after = client.post("/api/v1/suggest", json={"message": message}).get_json()["segments"][0]["situations"]
    score = {s["id"]: s["score"] for s in after}
    assert score.get("free_shipping", 0) < before[0]["score"]


def test_a_conflicting_choice_waits_for_review(fresh_engine):
    client = workers(fresh_engine, "auto")
    client.post("/api/v1/feedback", json={"message": ODD, "reply_id": "return_exchange-01", "action": "sent"})
    client.post("/api/v1/feedback", json={"message": ODD, "reply_id": "bargain-01", "action": "sent"})
    store = LearningStore(fresh_engine.settings.data_dir / "learning.sqlite3")
    [waiting] = store.candidates("pending")
    assert waiting.situation == "bargain" and waiting.reason == "conflict"


def test_replay_prints_the_stream_with_learning_off_and_auto(shared_home, engine, tmp_path):
    stream = tmp_path / "stream.jsonl"
    stream.write_text('{"id": "1", "message": "能便宜点吗", "gold": ["bargain"]}\n'
                      '{"id": "2", "message": "包邮不", "gold": ["free_shipping"]}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--home", str(shared_home), "eval", "--queries", str(stream), "--replay"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[0] == "off" and lines[2].split()[0] == "auto" and "2 labelled messages" in lines[-1]


@pytest.mark.parametrize("mode", ["sometimes"])
def test_an_unknown_learning_mode_is_a_clear_error(fresh_engine, mode):
    with pytest.raises(Exception, match="setting 'learning' must be one of off, review, auto"):
        create_app(fresh_engine.settings.replace(learning=mode), engine=fresh_engine)

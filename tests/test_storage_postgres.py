"""The storage layer on a real PostgreSQL: every store's rows kept, and kept apart per home (schema); and two
servers sharing one PostgreSQL and one home, where what an editor or an agent does through one is served by the
other."""

from __future__ import annotations

import shutil
import threading
import time

import numpy as np
import pytest

from suggest.authoring.accounts import set_editor_password
from suggest.authoring.history import History
from suggest.authoring.logins import LoginStore
from suggest.engine.suggester import Suggester
from suggest.errors import ConfigError
from suggest.settings import load_settings
from suggest.storage.database import Database, database_for
from suggest.usage.feedback import FeedbackStore
from suggest.usage.learning import LearningStore
from tests.fixtures.postgres import postgres_url  # noqa: F401 - a fixture
from tests.test_editor_api import PASSWORD, Editor, page_token
from webapp import create_app


def test_feedback_and_learning_are_kept_apart_per_schema(postgres_url):
    alpha, beta = (Database(postgres_url, schema=name) for name in ("t_alpha", "t_beta"))
    store = FeedbackStore(alpha)
    other = FeedbackStore(beta)
    store.add("能便宜点吗 手机13812345678", "bargain-01", "copied", "bargain")
    store.add("能便宜点吗", "bargain-01", "sent", "bargain")
    store.add("包邮吗", "shipping-01", "dismissed", "shipping")
    assert store.recent()[-1].message == "能便宜点吗 手机[手机号]"
    assert store.usage() == {"bargain-01": {"copied": 1, "sent": 1, "dismissed": 0},
                             "shipping-01": {"copied": 0, "sent": 0, "dismissed": 1}}
    assert [m for _, m in store.dismissed_only()] == ["包邮吗"]
    assert store.log_abstention("你们有实体店吗") > 0 and store.log_abstention("你们有实体店吗") == 0  # deduped
    store.save_vectors("m/2", [("包邮吗", np.array([0.6, 0.8]))])
    store.save_vectors("m/2", [("包邮吗", np.array([1.0, 0.0]))])  # a second vector replaces the first
    assert store.vectors(["包邮吗", "别的"], "m/2")["包邮吗"].tolist() == [1.0, 0.0]
    assert other.recent() == [] and other.events() == [] and other.usage() == {}

    learning = LearningStore(alpha)
    assert learning.propose("颜色太艳了", "return_exchange", "return_exchange-01", "sent", "learned", None)
    assert learning.propose("颜色太艳了", "return_exchange", "return_exchange-01", "sent", "learned", None) is None
    pending = learning.propose("太贵了", "bargain", "bargain-01", "copied", "pending", "review")
    version = learning.version()
    assert learning.decide([pending.id], "learned", "alice") == 1 and learning.version() == version + 1
    assert sorted(learning.learned(10)) == [("bargain", "太贵了"), ("return_exchange", "颜色太艳了")]
    assert LearningStore(beta).learned(10) == []


def test_history_and_logins_on_postgresql(postgres_url):
    where = Database(postgres_url, schema="t_history")
    history = History(where)
    after = {"replies": {"bargain_01": {"text": "亲，已经是最低价了哦"}}, "situations": {}}
    change = history.record("alice", "update_reply", "bargain_01", "改了一句", {"replies": {}, "situations": {}}, after)
    with pytest.raises(OSError):
        with history.recording("alice", "update_reply", "x", "", {}, {}):
            raise OSError("disk full")  # the files could not be written: no change is kept
    assert [c.id for c in history.list(target="bargain_01")] == [change.id]
    assert history.list(target="bargain%") == [] and history.count() == 1 and history.pending() == []

    logins = LoginStore(where)
    sid = logins.start("alice", "fp")
    assert logins.get(sid, 3600).editor == "alice"
    logins.end(sid)
    assert logins.get(sid, 3600) is None
    # Ten guesses at once from two "servers": never more than the limit get through.
    stores = [LoginStore(Database(postgres_url, schema="t_history")) for _ in range(2)]
    waits: list[int] = []
    threads = [threading.Thread(target=lambda i=i: waits.append(stores[i % 2].attempt({"ip:1": 3}, 900)))
               for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waits.count(0) == 3 and len(waits) == 10


def test_a_storage_setting_that_is_not_postgresql_is_refused_naming_it(tmp_path):
    settings = load_settings(tmp_path, env={"SUGGEST_STORAGE": "mysql://root@db/huashu"})
    with pytest.raises(ConfigError) as refused:
        database_for(settings, "feedback")
    assert refused.value.field == "storage" and "PostgreSQL" in refused.value.message
    with pytest.raises(ConfigError) as refused:  # SQLite is the default, not a URL: never taken for a server
        database_for(settings.replace(storage=f"sqlite:///{tmp_path}/x.db"), "feedback")
    assert refused.value.field == "storage"
    long_schema = settings.replace(storage="postgresql://db/huashu", storage_schema="team_" + "x" * 60)
    with pytest.raises(ConfigError) as refused:
        database_for(long_schema, "feedback")
    assert refused.value.field == "storage_schema"


@pytest.fixture
def two_servers(postgres_url, home, engine, embedder):
    """Two apps over one home and one PostgreSQL, each with its own engine, as two `suggest serve` processes
    on different ports (or machines sharing the shops directory) would be."""
    shutil.copytree(engine.settings.index_dir, home / "index")
    set_editor_password(home / "editors.toml", "alice", PASSWORD)
    settings = load_settings(home, env={}).replace(storage=postgres_url, storage_schema=f"t_{time.time_ns()}",
                                                   learning="auto")
    return [create_app(settings, engine=Suggester.load(settings, embedder=embedder)) for _ in range(2)]


def served_within(client, message: str, wanted, seconds: float = 2.0) -> float:
    start = time.monotonic()
    while True:
        data = client.post("/api/v1/suggest", json={"message": message}).get_json()
        if wanted(data["suggestions"]):
            return time.monotonic() - start
        assert time.monotonic() - start < seconds, data["suggestions"][:1]
        time.sleep(0.1)


def test_an_edit_and_a_learned_example_made_through_one_server_are_served_by_the_other(two_servers):
    one, other = two_servers
    agent = other.test_client()
    editor = Editor(one, "alice")
    created = editor.call("POST", "/editor/api/replies", json={
        "reply": {"situation": "invoice", "text": "亲，可以开发票的，下单后把抬头和税号发给我们就好~",
                  "examples": ["可以开发票吗", "发票怎么开", "能开增值税发票吗"]},
        "new_situation": {"id": "invoice", "name": "发票", "stage": "order"}})
    assert created.status_code == 201, created.get_json()
    served_within(agent, "能开发票吗", lambda found: found and found[0]["situation"] == "invoice")

    # an agent of the first server sends a reply for a message nothing covers: the other server learns it
    assert one.test_client().post("/api/v1/feedback", json={
        "message": "孩子他爸说颜色太艳了", "reply_id": "return_exchange-01", "action": "sent"}).status_code == 201
    served_within(agent, "孩子他爹嫌颜色太艳", lambda found: found and found[0]["situation"] == "return_exchange")
    # and the feedback itself is one log for both servers, kept in PostgreSQL, not in the home
    assert other.extensions["feedback"].recent()[0].reply_id == "return_exchange-01"
    assert not list(other.extensions["settings"].data_dir.glob("*.sqlite3"))


def test_an_editor_session_and_its_logout_hold_on_every_server(two_servers):
    one, other = two_servers
    editor = Editor(one, "alice")
    cookie = editor.client.get_cookie("huashu_editor")
    elsewhere = other.test_client()
    elsewhere.set_cookie("huashu_editor", cookie.value)
    assert elsewhere.get("/editor/").status_code == 200  # logged in through the first server, known by the other
    token = page_token(elsewhere.get("/editor/").get_data(as_text=True))
    assert elsewhere.post("/editor/logout", data={"csrf_token": token}).status_code in (302, 303)
    assert editor.get("/editor/").status_code == 302  # logged out on the other: ended here too


def test_a_shop_keeps_its_rows_in_its_own_schema_and_a_removed_shop_leaves_none(postgres_url, tmp_path, engine):
    from suggest.shops.homes import add_shop, remove_shop

    server = load_settings(tmp_path, env={}).replace(storage=postgres_url, storage_schema="t_team")
    alpha = add_shop(server, "alpha", engine.corpus)
    assert alpha.storage_schema == "t_team_shop_alpha"
    FeedbackStore(database_for(alpha, "feedback")).add("能便宜点吗", "bargain-01", "copied")
    assert FeedbackStore(database_for(server, "feedback")).recent() == []  # the team's own log saw nothing
    remove_shop(server, "alpha")
    again = add_shop(server, "alpha", engine.corpus)  # another shop under the same name starts empty
    assert FeedbackStore(database_for(again, "feedback")).recent() == []


def test_a_homes_sqlite_state_moves_into_postgresql_with_nothing_lost(postgres_url, tmp_path):
    from click.testing import CliRunner

    from suggest.cli import main

    (tmp_path / "suggest.toml").write_text('storage_schema = "t_moved"\n', encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    feedback = FeedbackStore(database_for(settings, "feedback"))
    feedback.add("能便宜点吗", "bargain-01", "copied", "bargain")
    feedback.add("包邮吗", "shipping-01", "dismissed", "shipping")
    learning = LearningStore(database_for(settings, "learning"))
    learning.propose("颜色太艳了", "return_exchange", "return_exchange-01", "sent", "learned", None)
    history = History(database_for(settings, "history"))
    first = history.record("alice", "update_reply", "bargain-01", "改了", {"replies": {}, "situations": {}},
                           {"replies": {"bargain-01": {"text": "新"}}, "situations": {}})
    history.record("alice", "revert", "bargain-01", "撤销", {}, {}, reverts=first.id)

    moved = CliRunner().invoke(main, ["--home", str(tmp_path), "storage", "migrate", postgres_url])
    assert moved.exit_code == 0, moved.output
    assert "feedback -> schema t_moved: events 0, feedback 2, vectors 0" in moved.output
    shared = settings.replace(storage=postgres_url)
    assert FeedbackStore(database_for(shared, "feedback")).recent() == feedback.recent()
    assert LearningStore(database_for(shared, "learning")).learned(10) == [("return_exchange", "颜色太艳了")]
    kept = History(database_for(shared, "history"))
    assert [(c.id, c.reverts) for c in kept.list()] == [(c.id, c.reverts) for c in history.list()]
    assert FeedbackStore(database_for(shared, "feedback")).add("还有吗", "x-01", "copied").id == 3  # ids go on

    again = CliRunner().invoke(main, ["--home", str(tmp_path), "storage", "migrate", postgres_url])
    assert again.exit_code != 0 and "already hold rows" in again.output

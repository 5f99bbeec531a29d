"""The editors' analytics at scale (issue 11): every logged message is embedded once, never again per report;
the grouping is computed once per set of messages; what any caller can log is bounded; feedback databases of
older versions keep working."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import numpy as np
import pytest

from suggest.usage import analytics
from suggest.usage.analytics import build_report, group_vectors
from suggest.usage.feedback import HOURLY_LIMIT, MAX_STORED_CHARS, FeedbackStore, model_key

INVOICE = ["可以开发票吗", "能开个发票不", "发票怎么开"]
OTHERS = ["你们有实体店吗", "实体店在哪里", "可以寄到国外吗", "支持定制logo吗"]


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dimension = inner.name, inner.dimension
        self.texts: list[str] = []

    def encode(self, texts, *args, **kwargs):
        self.texts.extend(texts)
        return self.inner.encode(texts, *args, **kwargs)

    def encode_cached(self, texts):
        self.texts.extend(texts)
        return self.inner.encode_cached(texts)

    def encode_in_context(self, texts, spans):
        self.texts.append(texts[0])
        return self.inner.encode_in_context(texts, spans)


def _forget() -> None:
    """What a new worker process knows: nothing in memory."""
    for cache in (analytics.GROUPINGS, analytics.VECTORS, analytics.NEAREST):
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_caches():
    _forget()
    yield
    _forget()


@pytest.fixture
def counting(embedder) -> Counting:
    return Counting(embedder)


def _log(store: FeedbackStore, messages: list[str]) -> None:
    for message in messages:
        store.log_abstention(message, dedupe_seconds=0)


def test_a_report_embeds_only_messages_never_embedded_before(engine, counting, tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _log(store, INVOICE + INVOICE[:1] + OTHERS)
    store.add("怎么还不发货", "urge_shipping-01", "dismissed")
    first = build_report(engine.corpus, store, counting, days=30)
    # each distinct message once (normalised as the engine embeds it: these are unchanged by it)
    assert sorted(counting.texts) == sorted({*INVOICE, *OTHERS, "怎么还不发货"})
    invoice = next(g for g in first.gaps if "可以开发票吗" in [m for m, _ in g.messages])
    assert {m for m, _ in invoice.messages} == set(INVOICE) and invoice.count == 4

    counting.texts.clear()
    _forget()  # a new worker: nothing in memory, the vectors are in the database
    again = build_report(engine.corpus, store, counting, days=30)
    assert counting.texts == []
    assert [g.to_dict() for g in again.gaps] == [g.to_dict() for g in first.gaps]

    store.log_abstention("能不能寄到香港")
    build_report(engine.corpus, store, counting, days=30)
    assert counting.texts == ["能不能寄到香港"]  # only the new one


def test_a_store_with_an_embedder_embeds_as_it_logs(engine, counting, tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3", embedder=counting)
    _log(store, INVOICE)
    store.add("怎么还不发货", "urge_shipping-01", "dismissed")
    store.add("能便宜点吗", "bargain-01", "copied")  # served: never grouped, nothing to embed
    assert sorted(counting.texts) == sorted([*INVOICE, "怎么还不发货"])
    _log(store, INVOICE[:1])  # the same message again: its vector is kept already
    assert len(counting.texts) == 4
    counting.texts.clear()
    report = build_report(engine.corpus, store, counting, engine, days=30)
    assert counting.texts == []  # neither the grouping nor the nearest situation embeds anything
    assert report.gaps[0].representative == "可以开发票吗" and report.gaps[0].nearest_situation in engine.corpus.situations
    with closing(sqlite3.connect(store.path)) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", (model_key(counting),)).fetchone()
    assert count == 4


def test_the_grouping_is_computed_once_for_the_same_messages(engine, counting, tmp_path, monkeypatch):
    store = FeedbackStore(tmp_path / "feedback.sqlite3", embedder=counting)
    _log(store, INVOICE + OTHERS)
    calls = []
    real = analytics.group_vectors
    monkeypatch.setattr(analytics, "group_vectors", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = build_report(engine.corpus, store, counting, engine, days=30)
    second = build_report(engine.corpus, store, counting, engine, days=30)
    assert len(calls) == 1 and [g.to_dict() for g in first.gaps] == [g.to_dict() for g in second.gaps]
    build_report(engine.corpus, store, counting, engine, days=30, similarity=0.9)  # another similarity
    assert len(calls) == 2
    store.log_abstention("可以用微信付款吗")  # another message: grouped again
    third = build_report(engine.corpus, store, counting, engine, days=30)
    assert len(calls) == 3 and "可以用微信付款吗" in [m for g in third.gaps for m, _ in g.messages]


def test_vectors_of_another_model_are_not_used(tmp_path, counting):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.save_vectors("other-model/512", [("能开发票吗", np.ones(512, dtype=np.float32) / np.sqrt(512))])
    analytics.message_vectors(store, ["能开发票吗"], counting)
    assert counting.texts == ["能开发票吗"]
    assert set(store.vectors(["能开发票吗"], model_key(counting))) == {"能开发票吗"}


# ---- the grouping ----------------------------------------------------------------------------------------------

def _plain_greedy(vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """The grouping as it was first written: one message at a time against every centroid."""
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        best, best_sim = -1, -1.0
        if sums:
            centroids = np.vstack([s / max(np.linalg.norm(s), 1e-9) for s in sums])
            sims = centroids @ vector
            best = int(np.argmax(sims))
            best_sim = float(sims[best])
        if best >= 0 and best_sim >= similarity:
            groups[best].append(i)
            sums[best] = sums[best] + vector
        else:
            groups.append([i])
            sums.append(vector.astype(np.float64))
    return groups


def _clustered(n: int, dimension: int = 256, clusters: int = 150, seed: int = 3) -> np.ndarray:
    """Unit vectors around `clusters` centres that share a few directions (as sentence embeddings do)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(24, dimension))
    centres = rng.normal(size=(clusters, 24)) @ shared + 0.4 * rng.normal(size=(clusters, dimension)) * np.sqrt(24)
    vectors = centres[rng.integers(0, clusters, n)] + rng.normal(scale=1.6, size=(n, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("similarity", [0.8, 0.9])
def test_the_block_grouping_is_the_plain_greedy_pass(similarity, monkeypatch):
    vectors = _clustered(500)
    expected = _plain_greedy(vectors, similarity)
    assert 100 < len(expected) < 400
    monkeypatch.setattr(analytics, "LOW_RANK", 32)
    monkeypatch.setattr(analytics, "BOUND_FROM", 16)
    for passing in (1.0, 0.0):  # the low-rank bound always, never
        monkeypatch.setattr(analytics, "MAX_PASSING", passing)
        for block in (1, 7, 256):
            assert group_vectors(vectors, similarity, block=block) == expected


# ---- bounds on what is logged ----------------------------------------------------------------------------------

def test_an_oversized_anonymous_post_is_cut_before_it_is_stored(engine, tmp_path):
    from suggest.settings import load_settings
    from webapp import create_app

    app = create_app(load_settings(tmp_path, env={}), engine=engine)
    client = app.test_client()  # no api_keys.txt: the API is open to anyone
    long = ("我想问一下这个东西到底怎么样" * 200)[:2000]
    for action in ("dismissed_all", "dismissed"):
        body = {"message": long, "action": action} | ({"reply_id": "bargain-01"} if action == "dismissed" else {})
        assert client.post("/api/v1/feedback", json=body).status_code == 201
    store = FeedbackStore(tmp_path / "var" / "feedback.sqlite3")
    (_, kind, message), = store.events()
    assert kind == "dismissed_all" and len(message) == MAX_STORED_CHARS and message.endswith("…")
    assert message[:-1] == long[:MAX_STORED_CHARS - 1]
    assert len(store.recent(1)[0].message) == MAX_STORED_CHARS


def test_unserved_rows_are_capped_per_hour(tmp_path):
    assert HOURLY_LIMIT >= 1000  # a busy shop's real abstentions fit
    store = FeedbackStore(tmp_path / "feedback.sqlite3", hourly_limit=5)
    ids = [store.log_abstention(f"第{i}个问题 你们有实体店吗") for i in range(4)]
    assert all(ids)
    assert store.add("怎么还不发货", "urge_shipping-01", "dismissed").id > 0  # the fifth unserved row
    assert store.log_abstention("还有一个问题") == 0 and store.log_dismissed_all("再来一个") == 0
    assert store.add("又一个", "urge_shipping-01", "dismissed").id == 0
    assert store.add("能便宜点吗", "bargain-01", "copied").id > 0  # uses are counted whatever the limit
    with closing(sqlite3.connect(store.path)) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 4
        assert db.execute("SELECT COUNT(*) FROM feedback WHERE action = 'dismissed'").fetchone()[0] == 1
    with closing(sqlite3.connect(store.path)) as db, db:  # an hour later the log takes messages again
        db.execute("UPDATE events SET created_at = '2000-01-01T00:00:00Z'")
        db.execute("UPDATE feedback SET created_at = '2000-01-01T00:00:00Z'")
    assert store.log_abstention("还有一个问题") > 0


# ---- databases of older versions -------------------------------------------------------------------------------

OLD_SCHEMA = """
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    message    TEXT NOT NULL,
    reply_id   TEXT NOT NULL,
    situation  TEXT,
    action     TEXT NOT NULL CHECK (action IN ('copied', 'sent', 'dismissed'))
);
CREATE INDEX feedback_reply ON feedback (reply_id);
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('abstained', 'dismissed_all')),
    message    TEXT NOT NULL
);
CREATE INDEX events_created ON events (created_at);
"""


def test_a_feedback_database_of_the_previous_version_keeps_working(engine, counting, tmp_path):
    path = tmp_path / "var" / "feedback.sqlite3"
    path.parent.mkdir()
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(OLD_SCHEMA)
        db.executemany("INSERT INTO events (created_at, kind, message) VALUES (?, 'abstained', ?)",
                       [(now, m) for m in INVOICE])
        db.execute("INSERT INTO feedback (created_at, message, reply_id, situation, action) "
                   "VALUES (?, '能便宜点吗', 'bargain-01', 'bargain', 'copied')", (now,))
    store = FeedbackStore(path, embedder=counting)
    assert store.log_abstention("你们有实体店吗") > 0
    report = build_report(engine.corpus, store, counting, engine, days=30)
    assert report.most_used[0].id == "bargain-01"
    assert {m for m, _ in report.gaps[0].messages} == set(INVOICE)
    assert sorted(counting.texts) == sorted([*INVOICE, "你们有实体店吗"])  # the old rows embedded once, lazily
    with closing(sqlite3.connect(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert {"vectors", "feedback_action_created"} <= tables

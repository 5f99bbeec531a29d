"""The storage layer on its default, SQLite files in var/: a fresh home opened by several workers at once."""

from __future__ import annotations

import threading

from suggest.authoring.history import History
from suggest.authoring.logins import LoginStore
from suggest.settings import load_settings
from suggest.storage.database import database_for
from suggest.usage.feedback import FeedbackStore
from suggest.usage.learning import LearningStore


def test_workers_starting_together_on_a_fresh_home_all_open_their_stores(tmp_path):
    """gunicorn starts its workers at once; each creates the tables of every store that has none yet."""
    failures: list[BaseException] = []
    for round_ in range(4):
        settings = load_settings(tmp_path / f"home{round_}", env={})
        start = threading.Barrier(6)

        def open_everything() -> None:
            try:
                start.wait()
                FeedbackStore(database_for(settings, "feedback")).add("能便宜点吗", "bargain-01", "copied")
                LearningStore(database_for(settings, "learning")).dismiss("包邮吗", "shipping")
                History(database_for(settings, "history")).record("w", "import", "all", "", {}, {})
                LoginStore(database_for(settings, "logins")).start("w", None)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        workers = [threading.Thread(target=open_everything) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert failures == []
        assert len(FeedbackStore(database_for(settings, "feedback")).recent()) == 6
        assert History(database_for(settings, "history")).count() == 6

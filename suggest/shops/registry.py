"""Serving many shops from one process: each shop's engine loaded on its first request, sharing what is the
same for all (the encoder, the segmenter's dictionary, the bundled bank), the least recently used dropped past
a limit so a server's memory is bounded whatever the number of shops."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from ..engine.borrow import Lender
from ..engine.embed import Embedder
from ..engine.suggester import Suggester
from ..settings import Settings
from ..storage.database import database_for
from ..usage.feedback import FeedbackStore
from ..usage.learning import Learner, LearningStore
from .homes import shop_identity, shop_settings


@dataclass(frozen=True)
class Served:
    """What answers for one shop: its engine, and the stores its agents' choices go to (in its own folder, so
    one shop's feedback and learned examples never reach another's)."""

    engine: Suggester
    feedback: FeedbackStore
    learning: Learner


def served_from(engine: Suggester) -> Served:
    """The stores of the home `engine` was loaded from, beside its engine."""
    settings = engine.settings
    return Served(engine, FeedbackStore(database_for(settings, "feedback"), engine.embedder),
                  Learner(LearningStore(database_for(settings, "learning")), settings.learning,
                          settings.learned_per_situation))


class ShopRegistry:
    def __init__(self, settings: Settings, embedder: Embedder, lender: Lender | None, loaded: int) -> None:
        """`settings`: the server's (its home holds `shops/`); `loaded`: engines kept in memory at most."""
        self.settings = settings
        self._embedder = embedder
        self._lender = lender
        self._limit = max(1, loaded)
        self._served: OrderedDict[str, tuple[str, Served]] = OrderedDict()  # name -> (identity, what serves it)
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def engine(self, name: str) -> Suggester:
        return self.served(name).engine

    def served(self, name: str) -> Served:
        """What serves shop `name`, its learned examples current. NotFound when there is no such shop (now: one
        removed is never served again); a shop removed and added again under the same name is a new shop, loaded
        anew."""
        served = self._load(name)
        served.learning.refresh(served.engine)
        return served

    def _load(self, name: str) -> Served:
        settings = shop_settings(self.settings, name)
        identity = shop_identity(settings)
        with self._lock:
            cached = self._served.get(name)
            if cached is not None and cached[0] == identity:
                self._served.move_to_end(name)
                return cached[1]
            loading = self._loading.setdefault(name, threading.Lock())
        with loading:  # one load per shop at a time; other shops are not held up
            with self._lock:
                cached = self._served.get(name)
                if cached is not None and cached[0] == identity:
                    return cached[1]
            served = served_from(Suggester.load(settings, embedder=self._embedder, lender=self._lender))
            with self._lock:
                self._served[name] = (identity, served)
                self._served.move_to_end(name)
                while len(self._served) > self._limit:
                    self._served.popitem(last=False)
            return served

    def keep(self, name: str, engine: Suggester) -> None:
        """Shop `name`'s files were just written through `engine` (an editor's save, which updates the engine it
        writes through): take the shop's identity anew, so this worker goes on serving that engine instead of
        loading the shop again. Other workers see the files change and load it anew."""
        identity = shop_identity(shop_settings(self.settings, name))
        with self._lock:
            cached = self._served.get(name)
            if cached is not None and cached[1].engine is engine:
                self._served[name] = (identity, cached[1])

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._served)

"""Serving many shops from one process: each shop's engine loaded on its first request, sharing what is the
same for all (the encoder, the segmenter's dictionary, the bundled bank), the least recently used dropped past
a limit so a server's memory is bounded whatever the number of shops."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from ..engine.borrow import Lender
from ..engine.embed import Embedder
from ..engine.suggester import Suggester
from ..settings import Settings
from ..storage.database import database_for
from ..usage.feedback import FeedbackStore
from ..usage.learning import Learner, LearningStore
from .homes import folder_stamps, shop_identity, shop_settings


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


@dataclass(frozen=True)
class _Loaded:
    """A shop's engine and stores in a worker, with what they were loaded from: its settings, its identity, and
    the stamps of its folders when that identity was last read."""

    settings: Settings
    stamps: tuple[str, ...]
    identity: str
    served: Served


class ShopRegistry:
    def __init__(self, settings: Settings, embedder: Embedder, lender: Lender | None, loaded: int) -> None:
        """`settings`: the server's (its home holds `shops/`); `loaded`: engines kept in memory at most."""
        self.settings = settings
        self._embedder = embedder
        self._lender = lender
        self._limit = max(1, loaded)
        self._served: OrderedDict[str, _Loaded] = OrderedDict()
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
        """A loaded shop whose folders' stamps are unchanged is served after three stat() calls; otherwise its
        identity is read, and the shop loaded anew only if that changed."""
        with self._lock:
            cached = self._served.get(name)
        if cached is not None and folder_stamps(cached.settings) == cached.stamps:
            with self._lock:
                if name in self._served:
                    self._served.move_to_end(name)
            return cached.served
        settings, stamps, identity = self._state(name)
        with self._lock:
            cached = self._served.get(name)
            loading = self._loading.setdefault(name, threading.Lock())
        if cached is not None and cached.identity == identity:  # its folder changed, not its corpus
            return self._kept(name, replace(cached, stamps=stamps))
        with loading:  # one load per shop at a time; other shops are not held up
            with self._lock:
                cached = self._served.get(name)
                if cached is not None and cached.identity == identity:
                    return cached.served
            served = served_from(Suggester.load(settings, embedder=self._embedder, lender=self._lender))
            return self._kept(name, _Loaded(settings, stamps, identity, served))

    def _state(self, name: str) -> tuple[Settings, tuple[str, ...], str]:
        """Shop `name`'s settings (NotFound if there is none), its folders' stamps and its identity, the stamps
        read first: a change while the identity is read is seen at the next request."""
        settings = shop_settings(self.settings, name)
        stamps = folder_stamps(settings)
        return settings, stamps, shop_identity(settings, stamps)

    def _kept(self, name: str, loaded: _Loaded) -> Served:
        """`loaded` as shop `name`'s, the most recently asked; the least recently asked dropped past the limit."""
        with self._lock:
            self._served[name] = loaded
            self._served.move_to_end(name)
            while len(self._served) > self._limit:
                self._served.popitem(last=False)
        return loaded.served

    def keep(self, name: str, engine: Suggester) -> None:
        """Shop `name`'s files were just written through `engine` (an editor's save, which updates the engine it
        writes through): take the shop's identity anew, so this worker goes on serving that engine instead of
        loading the shop again. Other workers see the files change and load it anew."""
        _, stamps, identity = self._state(name)
        with self._lock:
            cached = self._served.get(name)
            if cached is not None and cached.served.engine is engine:
                self._served[name] = replace(cached, stamps=stamps, identity=identity)

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._served)

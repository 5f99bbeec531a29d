"""Serving many shops from one process: each shop's engine loaded on its first request, sharing what is the
same for all (the encoder, the segmenter's dictionary, the bundled bank), the least recently used dropped past
a limit so a server's memory is bounded whatever the number of shops."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..engine.borrow import Lender
from ..engine.embed import Embedder
from ..engine.suggester import Suggester
from ..settings import Settings
from .homes import shop_identity, shop_settings


class ShopRegistry:
    def __init__(self, settings: Settings, embedder: Embedder, lender: Lender | None, loaded: int) -> None:
        """`settings`: the server's (its home holds `shops/`); `loaded`: engines kept in memory at most."""
        self.settings = settings
        self._embedder = embedder
        self._lender = lender
        self._limit = max(1, loaded)
        self._engines: OrderedDict[str, tuple[str, Suggester]] = OrderedDict()  # name -> (identity, engine)
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def engine(self, name: str) -> Suggester:
        """Shop `name`'s engine. NotFound when there is no such shop (now: one removed is never served again);
        a shop removed and added again under the same name is a new shop, loaded anew."""
        settings = shop_settings(self.settings, name)
        identity = shop_identity(settings)
        with self._lock:
            cached = self._engines.get(name)
            if cached is not None and cached[0] == identity:
                self._engines.move_to_end(name)
                return cached[1]
            loading = self._loading.setdefault(name, threading.Lock())
        with loading:  # one load per shop at a time; other shops are not held up
            with self._lock:
                cached = self._engines.get(name)
                if cached is not None and cached[0] == identity:
                    return cached[1]
            engine = Suggester.load(settings, embedder=self._embedder, lender=self._lender)
            with self._lock:
                self._engines[name] = (identity, engine)
                self._engines.move_to_end(name)
                while len(self._engines) > self._limit:
                    self._engines.popitem(last=False)
            return engine

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._engines)

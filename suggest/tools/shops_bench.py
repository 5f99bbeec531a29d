"""Many shops on one server: `python -m suggest.tools.shops_bench [--shops 200] [--server]`.

Each shop is the home's own corpus (about 300 replies) with its reply texts marked as that shop's, so no two
shops hold the same texts. Embedding 200 shops' texts would take hours here, so they are not embedded: in one
process every engine (the default shop's too) has stand-ins drawn from each text's hash
(`scale_bench.StandInEncoder`); with --server each shop's texts take the vectors the default shop's index holds
for the same texts (`IndexVectors`, the mark taken off), so a shop scores a message exactly as the default shop
does and their p50 compare like for like (stand-in vectors, scored against a real query, pick other candidates
and ran 1.11-1.15x the default shop's in earlier runs).

Without --server, in one process as a worker serves them (`ShopRegistry`): what a worker holds per loaded shop, a
shop's first request (its engine loaded, then the answer), and the cached p50 of shops beside the default
shop's. With --server, a real `suggest serve` (gunicorn, `workers` x `threads`) over a home with the default shop
and the shops, asked over HTTP: the server's memory (PSS of all its processes), each shop's first request after
the start, and the p50 of a working set of shops beside the default shop's, interleaved. The shop indexes say
they were built with the served model, so the server loads them as they are; its queries are embedded by the
real model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import tempfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import repeat
from pathlib import Path

import numpy as np

from ..corpus.files import load_corpus
from ..engine.build import read_index, sync_index
from ..engine.embed import encoder_name
from ..engine.suggester import Suggester
from ..records import Corpus
from ..settings import Settings, load_settings
from ..shops.homes import add_shop
from ..shops.registry import ShopRegistry
from .scale_bench import StandInEncoder, _rss_mb
from .serving import running_server, total_pss_mb

MESSAGES = ["能便宜点吗", "包邮吗", "什么时候发货", "可以退货吗", "发什么快递", "有优惠券吗", "尺码怎么选",
            "能开发票吗", "还没收到货", "质量怎么样"]


def _p50(engine: Suggester, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        for message in MESSAGES:
            start = time.perf_counter()
            engine.suggest(message)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _shop_name(n: int) -> str:
    return f"shop-{n:03d}"


MARK = re.compile(r"（\d+号店）$")


class IndexVectors(StandInEncoder):
    """The vectors a built index holds, by text (a shop's mark taken off): shops built with it score a message
    exactly as the default shop does, so their p50 is comparable with its; texts it lacks get stand-ins."""

    def __init__(self, index_dir: Path, name: str) -> None:
        super().__init__(name=name)
        index = read_index(index_dir)
        self.dimension = index.dense.dimension
        vectors = index.dense.vectors(np.array([e.vid for e in index.entries], dtype=np.int64))
        self._vectors = {e.text: vector for e, vector in zip(index.entries, vectors)}

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        found = [self._vectors.get(MARK.sub("", text)) for text in texts]
        missing = [text for text, vector in zip(texts, found) if vector is None]
        stand_ins = iter(super().encode(missing)) if missing else iter(())
        rows = [vector if vector is not None else next(stand_ins) for vector in found]
        return np.array(rows, dtype=np.float32).reshape(len(texts), self.dimension)

    encode_cached = encode


def _add_marked_shop(server: Settings, corpus: Corpus, n: int, model: str, vectors_from: Path | None = None) -> None:
    """Shop n: `corpus` with its reply texts marked as n's, its index built with stand-in vectors named `model`
    (with `vectors_from`, those of that index)."""
    marked = {rid: replace(r, text=f"{r.text}（{n}号店）") for rid, r in corpus.replies.items()}
    shop = add_shop(server, _shop_name(n), replace(corpus, replies=marked))
    encoder = IndexVectors(vectors_from, model) if vectors_from else StandInEncoder(name=model)
    sync_index(shop.index_dir, load_corpus(shop.corpus_dir), encoder, server.classifier_c)


def _one_thread() -> None:
    """A build process's BLAS keeps to one thread: the processes already take every core."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _add_shops(server: Settings, corpus: Corpus, shops: int, model: str, vectors_from: Path | None = None) -> float:
    """Every shop, built on every core; the seconds it took."""
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_one_thread) as pool:
        list(pool.map(_add_marked_shop, repeat(server), repeat(corpus), range(shops), repeat(model),
                      repeat(vectors_from)))
    return time.perf_counter() - started


def run(settings: Settings, shops: int) -> str:
    embedder = StandInEncoder()
    corpus = load_corpus(settings.corpus_dir)
    with tempfile.TemporaryDirectory() as tmp:
        server = settings.replace(home=Path(tmp), bank="off")
        default_home = server.home
        build_s = _add_shops(server, corpus, shops, embedder.name)
        (default_home / "corpus").mkdir()
        os.symlink(settings.corpus_dir / "situations", default_home / "corpus" / "situations")
        default = Suggester.load(server, embedder=embedder, lender=None)
        _p50(default, rounds=1)  # first calls warm what every shop shares (the segmenter's caches)
        default_p50 = _p50(default)
        registry = ShopRegistry(server, embedder, None, loaded=shops)
        before = _rss_mb()
        first = []
        for n in range(shops):
            start = time.perf_counter()
            registry.engine(_shop_name(n)).suggest(MESSAGES[n % len(MESSAGES)])
            first.append(time.perf_counter() - start)
        after = _rss_mb()
        sampled = [registry.engine(_shop_name(n)) for n in range(0, shops, max(1, shops // 5))]
        shop_p50 = statistics.median(_p50(engine) for engine in sampled)
        texts = len(sampled[0].index.entries)
    per_shop = (after - before) / shops
    return "\n".join([
        f"{shops} shops of {len(corpus.replies)} replies ({texts} indexed texts each), stand-in vectors; "
        f"indexes built in {build_s:.0f} s",
        f"worker RSS: {before:.0f} MB with the default shop, {after:.0f} MB with every shop loaded: "
        f"{per_shop:.1f} MB per loaded shop",
        f"first request of a shop (engine loaded, then the answer): p50 {statistics.median(first):.2f} s, "
        f"max {max(first):.2f} s",
        f"cached p50: default shop {default_p50:.2f} ms, shops {shop_p50:.2f} ms "
        f"({shop_p50 / default_p50:.2f}x)",
    ])


def _ask(url: str, message: str) -> float:
    """One POST on a new connection (so the server's workers share the requests, as many agents' would)."""
    request = urllib.request.Request(url, data=json.dumps({"message": message}).encode(),
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return time.perf_counter() - started


def run_server(settings: Settings, shops: int, working: int, rounds: int = 20) -> str:
    corpus = load_corpus(settings.corpus_dir)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        shutil.copytree(settings.corpus_dir, home / "corpus")  # the default shop, with its index if built
        if settings.index_dir.is_dir():
            shutil.copytree(settings.index_dir, home / "index")
        server = settings.replace(home=home)
        vectors_from = home / "index" if (home / "index" / "dense.faiss").is_file() else None
        build_s = _add_shops(server, corpus, shops, encoder_name(settings.model, settings.backend), vectors_from)
        with running_server(server, timeout_s=600) as running:
            default = f"{running.url}/api/v1/suggest"
            route = [f"{running.url}/api/v1/shops/{_shop_name(n)}/suggest" for n in range(shops)]
            for message in MESSAGES * 2:
                _ask(default, message)
            at_start = total_pss_mb(running.group)
            first = [_ask(route[n], MESSAGES[n % len(MESSAGES)]) for n in range(shops)]
            after_first = total_pss_mb(running.group)
            for _ in range(6):  # each worker loads the working set (requests go to either)
                for n in range(working):
                    _ask(route[n], MESSAGES[n % len(MESSAGES)])
            own, shop = [], []
            for r in range(rounds):  # interleaved: both see the same machine at the same moment
                for n in range(working):
                    message = MESSAGES[(r + n) % len(MESSAGES)]
                    own.append(_ask(default, message))
                    shop.append(_ask(route[n], message))
            at_end = total_pss_mb(running.group)
    own_p50, shop_p50 = statistics.median(own) * 1000, statistics.median(shop) * 1000
    vectors = "the default shop's vectors, by text" if vectors_from else "stand-in vectors"
    return "\n".join([
        f"`suggest serve` ({settings.workers} workers x {settings.threads} threads, shops_loaded "
        f"{settings.shops_loaded}) with the default shop and {shops} shops of {len(corpus.replies)} replies "
        f"({vectors}; indexes built in {build_s:.0f} s)",
        f"server memory (PSS of all its processes): {at_start:.0f} MB at start, {after_first:.0f} MB after every "
        f"shop's first request, {at_end:.0f} MB after the working set's",
        f"first request of each shop after the start (its engine loaded, then the answer, over HTTP): p50 "
        f"{statistics.median(first):.2f} s, p90 {sorted(first)[int(0.9 * (len(first) - 1))]:.2f} s, "
        f"max {max(first):.2f} s",
        f"p50 over HTTP, {working} shops asked in turn beside the default shop ({len(shop)} requests each): "
        f"default {own_p50:.2f} ms, shops {shop_p50:.2f} ms ({shop_p50 / own_p50:.2f}x)",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=20, help="How many shops (default 20).")
    parser.add_argument("--home", default=None, help="The home whose corpus each shop copies.")
    parser.add_argument("--server", action="store_true", help="Measure a real `suggest serve` over HTTP.")
    parser.add_argument("--working", type=int, default=20,
                        help="With --server: the shops asked in turn for the p50 (default 20).")
    args = parser.parse_args()
    settings = load_settings(args.home)
    print(run_server(settings, args.shops, min(args.working, args.shops)) if args.server
          else run(settings, args.shops))


if __name__ == "__main__":
    main()

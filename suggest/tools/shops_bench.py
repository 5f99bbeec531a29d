"""Many shops in one worker: `python -m suggest.tools.shops_bench [--shops 200]`.

Each shop is the home's own corpus (about 300 replies) with its reply texts marked as that shop's, so no two
shops hold the same texts. Vectors are stand-ins drawn from each text's hash (`scale_bench.StandInEncoder`):
embedding 200 shops' texts would take hours here, and what is measured does not depend on them: what a worker
holds per loaded shop, a shop's first request (its engine loaded, then the answer), and the cached p50 of shops
beside the default shop's, all in one process as a worker serves them (`ShopRegistry`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..corpus.files import load_corpus
from ..engine.build import sync_index
from ..engine.suggester import Suggester
from ..settings import Settings, load_settings
from ..shops.homes import add_shop
from ..shops.registry import ShopRegistry
from .scale_bench import StandInEncoder, _rss_mb

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


def run(settings: Settings, shops: int) -> str:
    embedder = StandInEncoder()
    corpus = load_corpus(settings.corpus_dir)
    with tempfile.TemporaryDirectory() as tmp:
        server = settings.replace(home=Path(tmp), bank="off")
        default_home = server.home
        started = time.perf_counter()
        for n in range(shops):
            marked = {rid: replace(r, text=f"{r.text}（{n}号店）") for rid, r in corpus.replies.items()}
            shop = add_shop(server, f"shop-{n:03d}", replace(corpus, replies=marked))
            sync_index(shop.index_dir, load_corpus(shop.corpus_dir), embedder, settings.classifier_c)
        build_s = time.perf_counter() - started
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
            registry.engine(f"shop-{n:03d}").suggest(MESSAGES[n % len(MESSAGES)])
            first.append(time.perf_counter() - start)
        after = _rss_mb()
        sampled = [registry.engine(f"shop-{n:03d}") for n in range(0, shops, max(1, shops // 5))]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=20, help="How many shops (default 20).")
    parser.add_argument("--home", default=None, help="The home whose corpus each shop copies.")
    args = parser.parse_args()
    print(run(load_settings(args.home), args.shops))


if __name__ == "__main__":
    main()

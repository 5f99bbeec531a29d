"""`suggest bench`: in-process latency and index build time, beside plain semantic_search, in one run.

The baseline is what a first prototype would do: embed the message with the same model and call
sentence_transformers.util.semantic_search over every example and reply. Ratios compare the two measured
here and now, on this machine, so they mean something even where absolute figures vary.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ..engine.borrow import lender_for
from ..engine.build import sync_index
from ..corpus.files import load_corpus, write_situation
from ..engine.embed import Embedder, resolve_model
from ..engine.suggester import Suggester
from ..settings import Settings


def _messages(settings: Settings, path: Path | None) -> list[str]:
    if path is not None:
        lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
        return [json.loads(l)["message"] if l.lstrip().startswith("{") else l for l in lines]
    corpus = load_corpus(settings.corpus_dir)
    return [e for r in corpus.replies.values() for e in r.examples[:1]]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _time_each(fn, messages: list[str], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        for message in messages:
            start = time.perf_counter()
            fn(message)
            samples.append(time.perf_counter() - start)
    return samples


def run_benchmark(settings: Settings, queries: Path | None = None, repeat: int = 3) -> str:
    import torch
    from sentence_transformers import SentenceTransformer, util

    embedder = Embedder(settings.model, settings.backend, settings.cache_size)
    corpus = load_corpus(settings.corpus_dir)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        sync_index(Path(tmp) / "index", corpus, embedder, settings.classifier_c, full=True,
                   lender=lender_for(settings))
        build_s = time.perf_counter() - start
    engine = Suggester.load(settings, embedder=embedder)
    messages = list(dict.fromkeys(_messages(settings, queries)))
    texts = [e.text for e in engine.index.entries]
    corpus_vectors = torch.from_numpy(embedder.encode(texts))

    plain = SentenceTransformer(resolve_model(settings.model), device="cpu")

    def baseline(message: str) -> None:
        query = plain.encode([message], normalize_embeddings=True, convert_to_tensor=True)
        util.semantic_search(query, corpus_vectors, top_k=5)

    baseline_times = _time_each(baseline, messages, 1)
    engine_cold = _time_each(lambda m: engine.suggest(m), messages, 1)  # first sight: cache misses
    engine_warm = _time_each(lambda m: engine.suggest(m), messages, repeat)  # repeated messages: cache hits
    edit_s, learn_s = _change_costs(settings, engine)
    base50, base99 = _percentiles(baseline_times)
    cold50, cold99 = _percentiles(engine_cold)
    warm50, warm99 = _percentiles(engine_warm)
    lines = [
        f"corpus: {len(corpus.replies)} replies, {len(texts)} indexed texts; {len(messages)} distinct messages; "
        f"model {settings.model} ({settings.backend})",
        f"index build (full, from scratch): {build_s:.2f} s",
        f"{'per query':42}{'p50 ms':>9}{'p99 ms':>9}{'p50 vs baseline':>17}",
        f"{'baseline: plain ST encode + semantic_search':42}{base50:9.2f}{base99:9.2f}{1.0:16.2f}x",
        f"{'engine, new messages (embedding computed)':42}{cold50:9.2f}{cold99:9.2f}{cold50 / base50:16.2f}x",
        f"{'engine, repeated messages (cached)':42}{warm50:9.2f}{warm99:9.2f}{warm50 / base50:16.2f}x",
        f"(engine = normalise + split + FAISS + BM25 + two situation models + ranking; "
        f"mean new-message latency {statistics.mean(engine_cold) * 1000:.2f} ms)",
        f"one reply edited and live (files, index, models; median of 3): {edit_s * 1000:.0f} ms; "
        f"one learned example live: {learn_s * 1000:.1f} ms",
    ]
    return "\n".join(lines)


def _change_costs(settings: Settings, engine: Suggester) -> tuple[float, float]:
    """What an editor's save and a learned example cost until the next query sees them, in a copy of the home."""
    from dataclasses import replace

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        shutil.copytree(settings.corpus_dir, home / "corpus")
        shutil.copytree(settings.index_dir, home / "index")
        copy = Suggester.load(settings.replace(home=home), embedder=engine.embedder)
        reply = next(r for r in copy.corpus.replies.values() if not r.retired)
        edits = []
        for n in range(3):
            changed = replace(copy.corpus, replies={**copy.corpus.replies,
                                                    reply.id: replace(reply, text=reply.text + "~" * (n + 1))})
            start = time.perf_counter()
            write_situation(changed, copy.settings.corpus_dir, reply.situation)
            copy.update_corpus(changed)
            edits.append(time.perf_counter() - start)
        start = time.perf_counter()
        copy.set_learned([(reply.situation, "这是一条新学到的买家消息")])
        learn = time.perf_counter() - start
    return statistics.median(edits), learn


def in_process_latency(engine: Suggester, messages: list[str], repeat: int = 2) -> tuple[float, float]:
    """p50 and p99 in ms of engine.suggest over messages already seen once (warm cache)."""
    for message in messages:
        engine.suggest(message)
    return _percentiles(_time_each(engine.suggest, messages, repeat))

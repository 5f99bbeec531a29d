"""`suggest bench --scale`: what a query costs as the corpus grows, beside plain sentence-transformers.

The bench corpus (a separate shop's replies, ../shared/bench) is grown synthetically to each size: new replies
in its own situations, their texts and example messages recombined from that situation's own (a greeting or a
particle added, two clauses joined), so the grown corpus asks the same questions with more, nearer neighbours.
Per size it prints the full build, one reply added and live, new-message and cached latency beside plain
`semantic_search` measured in the same run, the process's memory, and hit@1 on dev with candidate scoring beside
exhaustive scoring (which must not be more than 0.005 better).

The cached path's growth is also printed as a ratio to the first size, timed alongside it: the first size's engine
is kept, and each larger one is timed in turns with it (one pass over the messages each, the order swapped every
round). Sizes timed minutes apart drift with this machine: the same two homes read 1.64x in one run and 2.3x in
the next.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..corpus.files import write_corpus, write_situation
from ..corpus.interchange import parse_import
from ..engine.borrow import lender_for
from ..engine.build import sync_index
from ..engine.embed import Embedder, resolve_model
from ..engine.suggester import Suggester
from ..records import Corpus, Reply
from ..settings import Settings
from .benchmark import _percentiles, _time_each
from .evaluate import evaluate, read_queries

_OPENINGS = ("", "", "亲，", "您好，", "嗯嗯，", "好的，", "在吗，", "麻烦问下，", "请问")
_ENDINGS = ("", "", "哈", "呢", "哦", "呀", "啊", "~", "？")
TEXTS_PER_REPLY = 4  # a synthetic reply's text and three example messages


def _vary(rng: random.Random, text: str, other: str) -> str:
    """A new wording of `text`: an opening, maybe a clause of `other` (same situation), an ending."""
    body = text.rstrip("。！？!?~ ")
    if rng.random() < 0.4 and other:
        clause = other.replace("？", "，").replace("。", "，").split("，")[0]
        body = f"{body}，{clause}" if rng.random() < 0.5 else f"{clause}，{body}"
    return f"{rng.choice(_OPENINGS)}{body}{rng.choice(_ENDINGS)}"


def grow(corpus: Corpus, texts: int, base_texts: int, seed: int = 7) -> Corpus:
    """`corpus` with synthetic replies in its situations until it indexes about `texts` texts (it indexes
    `base_texts` now)."""
    rng = random.Random(seed)
    by_situation: dict[str, list[Reply]] = {}
    for reply in corpus.replies.values():
        if not reply.retired:
            by_situation.setdefault(reply.situation, []).append(reply)
    situations = sorted(by_situation)
    replies = dict(corpus.replies)
    for n in range(max(0, texts - base_texts) // TEXTS_PER_REPLY):
        sid = situations[n % len(situations)]
        own = by_situation[sid]
        source = rng.choice(own)
        phrases = [e for r in own for e in r.examples] + list(corpus.situations[sid].examples)
        examples = tuple(_vary(rng, rng.choice(phrases), rng.choice(phrases)) for _ in range(3)) if phrases else ()
        text = _vary(rng, source.text, rng.choice(own).text)
        rid = f"{sid}-g{n}"
        replies[rid] = Reply(id=rid, situation=sid, stage=source.stage, text=text, examples=examples)
    return replace(corpus, replies=replies)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class StandInEncoder:
    """Unit vectors drawn from each text's hash: for sizes not worth embedding for the question asked (100,000
    texts take about 9 minutes with the model here; a million, hours). What it measures is the rest: build, an
    edit made live, the cached path and memory; latency of new messages, hit@1 and recall need the real model and
    are not printed."""

    def __init__(self, dimension: int = 512, name: str = "stand-in") -> None:
        """`name`: the model an index built here says it was built with (a served model's, for a server to load
        it as is: `shops_bench --server`)."""
        self.dimension = dimension
        self.name = name

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:16], 16)).standard_normal(
            self.dimension) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    encode_cached = encode

    def encode_in_context(self, texts: list[str], spans: list[tuple[int, int]]) -> np.ndarray:
        return self.encode(texts)

    def clear_cache(self) -> None:
        pass


def run_scale(settings: Settings, corpus_file: Path, dev_file: Path, sizes: list[int], repeat: int = 2,
              stand_in: bool = False) -> str:
    """`stand_in`: vectors from `StandInEncoder` and no lent bank (its vectors would be the real model's)."""
    if stand_in:
        settings = settings.replace(bank="off")
    embedder = StandInEncoder() if stand_in else Embedder(settings.model, settings.backend, settings.cache_size)
    plain = None if stand_in else _plain_model(settings)
    queries = read_queries(dev_file)
    messages = list(dict.fromkeys(q.message for q in queries))
    base = parse_import(corpus_file, None)
    header = (f"{'indexed':>8} {'build s':>8} {'+1 reply s':>10} {'new p50':>8} {'p99':>7} {'plain p50':>9} "
              f"{'p99':>7} {'ratio':>6} {'p99 ratio':>9} {'cached p50':>10} {'growth':>8} {'RSS MB':>7} "
              f"{'hit@1':>6} {'exhaustive':>10} {'recall@50':>9}")
    lines = [f"bench corpus {corpus_file} grown synthetically; {len(messages)} dev messages; model "
             f"{embedder.name if stand_in else f'{settings.model} ({settings.backend})'}; retrieval_candidates "
             f"{settings.retrieval_candidates}; ms per query", header]
    base_texts = None
    reference: Suggester | None = None  # the first size's engine, as built: each larger size is timed beside it
    with tempfile.TemporaryDirectory() as first:  # the reference's home, kept to the end
        for size in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                home = Path(first if reference is None else tmp)
                if base_texts is None:  # how many texts the bench corpus itself indexes
                    write_corpus(base, home / "corpus")
                    index, _ = sync_index(home / "index", base, embedder, settings.classifier_c, full=True)
                    base_texts = len(index.entries)
                    for path in (home / "index").iterdir():
                        path.unlink()
                corpus = grow(base, size, base_texts)
                write_corpus(corpus, home / "corpus")
                local = settings.replace(home=home)
                start = time.perf_counter()  # as `suggest index build` builds it: with the banks lent
                sync_index(local.index_dir, corpus, embedder, settings.classifier_c, full=True, progress=True,
                           lender=lender_for(local))
                build_s = time.perf_counter() - start
                engine = Suggester.load(local, embedder=embedder)
                engine.suggest("先预热一下")  # one-time costs (ONNX session, jieba) are not per query
                quality = None if plain is None else _new_messages_and_quality(engine, plain, messages, queries)
                warm = _time_each(engine.suggest, messages, repeat)
                if reference is None:  # loaded apart: the edits `_add_one` makes stay out of it
                    reference = Suggester.load(local, embedder=embedder)
                    reference.suggest("先预热一下")
                    growth = 1.0
                else:
                    growth = _beside(engine, reference, messages, repeat)
                add_s = _add_one(engine)
                rss = _rss_mb()
                rows = len(engine.index.entries)
                del engine
                lines.append(_line(rows, build_s, add_s, _percentiles(warm)[0], growth, rss, quality))
            print(lines[-1], flush=True)
    lines.append("ratio = engine new-message p50 / plain p50 (p99 likewise); growth = cached p50 / the first size's, "
                 "timed in turns with it (whose engine, kept for that, the RSS of later sizes includes); hit@1 with "
                 "candidates beside exhaustive; recall@50 of the approximate (IVF) index against exact search, where "
                 "the index is approximate."
                 + (" Stand-in vectors: only build, +1 reply, the cached path and memory mean anything."
                    if stand_in else ""))
    return "\n".join(lines)


def _line(rows: int, build_s: float, add_s: float, cached: float, growth: float, rss: float,
          quality: tuple | None) -> str:
    if quality is None:
        return (f"{rows:>8} {build_s:>8.1f} {add_s:>10.3f} {'—':>8} {'—':>7} {'—':>9} {'—':>7} {'—':>6} {'—':>9} "
                f"{cached:>10.2f} {growth:>7.2f}x {rss:>7.0f} {'—':>6} {'—':>10} {'—':>9}")
    (c50, c99), (b50, b99), hit, exhaustive, recall = quality
    return (f"{rows:>8} {build_s:>8.1f} {add_s:>10.3f} {c50:>8.2f} {c99:>7.1f} {b50:>9.2f} {b99:>7.1f} "
            f"{c50 / b50:>5.2f}x {c99 / b99:>8.2f}x {cached:>10.2f} {growth:>7.2f}x {rss:>7.0f} {hit:>6.3f} "
            f"{exhaustive:>10.3f} {'exact' if recall is None else f'{recall:.3f}':>9}")


def _plain_model(settings: Settings):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model(settings.model), device="cpu")


def _new_messages_and_quality(engine: Suggester, plain, messages: list[str], queries) -> tuple:
    """New-message latency beside plain `encode` + `semantic_search` over the same vectors, hit@1 with
    candidates and exhaustive, and the approximate index's recall (None where it is exact)."""
    from sentence_transformers import util
    import torch

    rows = engine.index.entries
    vectors = torch.from_numpy(engine.index.dense.vectors(np.array([e.vid for e in rows], dtype=np.int64)))

    def baseline(message: str) -> None:
        query = plain.encode([message], normalize_embeddings=True, convert_to_tensor=True)
        util.semantic_search(query, vectors, top_k=5)

    baseline("先预热一下")
    engine.embedder.clear_cache()
    cold = _time_each(engine.suggest, messages, 1)  # first sight: the embedding is computed
    plain_times = _time_each(baseline, messages, 1)
    hit = evaluate(engine, queries).hit1
    exhaustive = evaluate(engine.variant(retrieval_candidates=0), queries).hit1
    recall = _recall(engine, vectors.numpy(), messages) if engine.index.dense.approximate else None
    return _percentiles(cold), _percentiles(plain_times), hit, exhaustive, recall


def _recall(engine: Suggester, vectors: np.ndarray, messages: list[str], k: int = 50) -> float:
    """Share of the exact top `k` (inner product over every vector) that the approximate index finds. A text
    found as similar as the exact `k`-th counts: the grown corpus holds copies, and which of two equal texts is
    the 50th is a tie, not a miss (counting ids read 0.987 where this reads 0.997 at 100,000 texts)."""
    queries = engine.embedder.encode_cached(messages)
    kth = -np.partition(-(queries @ vectors.T), k - 1, axis=1)[:, k - 1]
    found, ids = engine.index.dense.search(queries, k)
    return float(np.mean(np.sum((ids >= 0) & (found >= kth[:, None] - 1e-5), axis=1) / k))


def _beside(engine: Suggester, reference: Suggester, messages: list[str], repeat: int) -> float:
    """Cached p50 of `engine` over `reference`'s, timed in turns: a pass over the messages each, the one timed first
    swapped every round, so both see the same moments of this machine. A pass, not a message, each turn: switching
    engines at every message would evict the smaller one's vectors from the CPU's cache, which a server answering
    one shop does not."""
    times: tuple[list[float], list[float]] = ([], [])
    for round_ in range(2 * repeat):
        for which in ((0, 1) if round_ % 2 == 0 else (1, 0)):
            times[which].extend(_time_each((engine, reference)[which].suggest, messages, 1))
    return _percentiles(times[0])[0] / _percentiles(times[1])[0]


def _add_one(engine: Suggester) -> float:
    """Seconds until one new reply is served (file written, index and models updated); median of three."""
    corpus = engine.corpus
    sid = next(iter(corpus.situations))
    times = []
    for n in range(3):
        reply = Reply(id=f"added-{n}", situation=sid, stage=corpus.situations[sid].stage,
                      text=f"新加的一条话术{n}，亲", examples=(f"新加的买家问题{n}",))
        changed = replace(corpus, replies={**corpus.replies, reply.id: reply})
        start = time.perf_counter()
        write_situation(changed, engine.settings.corpus_dir, sid)
        engine.update_corpus(changed)
        times.append(time.perf_counter() - start)
        corpus = changed
    return statistics.median(times)

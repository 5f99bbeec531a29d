"""The editors' analytics page at scale: `python -m suggest.tools.analytics_bench [--messages 10000]`.

Fills a temporary feedback log with that many distinct unserved buyer messages (abstentions and messages
every suggestion was dismissed for, made up here from phrase parts, spread over the last 30 days), each
embedded once as the store keeps them, and times `build_report` as the analytics page calls it: the first
report in a new process (vectors read from the log, grouping computed), the same report again (grouping
cached), and a report after a few more messages were logged. Also times logging one message with and
without the embedder attached (with it, the store embeds the message as it logs it).

The engine (for each group's nearest situation) is the home's, as `suggest report` loads it; `--no-engine`
leaves it out. `--keep DIR` keeps the filled log in DIR and starts from it next time (embedding 10,000
messages is the slow part of a run).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..engine.text import normalize
from ..usage import analytics
from ..usage.analytics import build_report
from ..usage.feedback import FeedbackStore

OPENERS = ["", "亲", "你好", "在吗", "请问", "老板", "客服", "亲亲", "麻烦问下", "打扰一下", "那个", "哈喽"]
TAILS = ["", "？", "?", "谢谢", "急", "在线等", "麻烦了", "回一下", "～", "！！", "哈"]
PRODUCTS = ["连衣裙", "卫衣", "羽绒服", "运动鞋", "双肩包", "保温杯", "台灯", "蓝牙耳机", "四件套", "面霜", "手机壳",
            "儿童外套", "沙发垫", "电饭煲", "猫粮", "充电宝", "行李箱", "瑜伽垫", "口红", "茶叶", "钢化膜", "拖鞋",
            "雨伞", "奶粉", "咖啡机", "登山杖", "鱼竿", "窗帘", "电动牙刷", "狗绳"]
THINGS = ["发票", "质检报告", "说明书", "保修卡", "合格证", "防伪码", "赠品", "包装盒", "配件", "安装视频",
          "充电线", "替换装", "试用装", "礼品袋", "收据"]
ASKS = ["{p}能开{t}吗", "{p}有没有{t}", "{p}的{t}在哪里", "{p}的{t}丢了能补吗", "{p}怎么没有{t}",
        "{p}的{t}可以单独买吗", "{p}的{t}能发电子版吗", "{p}的{t}什么时候寄"]
SERVICES = ["你们有实体店吗", "实体店在哪个城市", "能不能线下自提", "招不招代理", "可以一件代发吗", "批发价怎么算",
            "支持定制logo吗", "能刻字吗", "可以寄到国外吗", "能寄香港吗", "支持花呗分期吗", "能用微信付款吗",
            "能货到付款吗", "有学生优惠吗", "会员积分怎么用", "怎么注册会员", "直播间的价格还有吗", "抽奖什么时候开",
            "能不能加急今天发", "能和上一单合并发吗", "能寄顺丰到付吗", "可以送货上门吗", "能不能先试用几天",
            "有中老年款吗", "有没有更大的码", "能换个颜色再发吗", "过敏了怎么办", "是正品吗有授权吗",
            "能帮忙包成礼物吗", "你们几点下班", "周末有人吗", "可以开视频看看实物吗", "主播身上那件有吗",
            "以前买过的还能买到吗", "能不能帮我留一件", "明年还有这款吗", "为什么突然涨价了", "怎么投诉快递员",
            "你们老板是谁", "你是机器人吗"]


STRICTER = (0.93, 0.97)


def make_messages(count: int, seed: int = 7) -> list[str]:
    """`count` distinct buyer messages combined from the phrase parts above: questions about a product's
    documents and extras, and about services the shop may not offer, each with an opener and a tail (a
    quantity is added where the combinations run out)."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    attempts = 0
    while len(seen) < count:
        attempts += 1
        if rng.random() < 0.6:
            question = rng.choice(ASKS).format(p=rng.choice(["这个", "这款", "你家", "买的"]) + rng.choice(PRODUCTS),
                                               t=rng.choice(THINGS))
        else:
            question = rng.choice(SERVICES)
        message = " ".join(part for part in (rng.choice(OPENERS), question, rng.choice(TAILS)) if part)
        if attempts > count * 20:
            message += f" 买{rng.randint(2, 500)}件"
        seen.setdefault(message, None)
    return list(seen)


def fill(store: FeedbackStore, messages: list[str], embedder, days: int = 30, seed: int = 7) -> float:
    """Rows for `messages` (some logged several times), as the store would have logged them, with their
    vectors embedded once each; returns the seconds spent embedding."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    events, dismissed = [], []
    for i, message in enumerate(messages):
        for _ in range(1 + (rng.random() < 0.2) + (rng.random() < 0.05) * 3):
            created = (now - timedelta(seconds=rng.randint(60, days * 86400 - 3600))).isoformat(timespec="seconds")
            created = created.replace("+00:00", "Z")
            if i % 5 == 4:
                dismissed.append((created, message, "bargain-01", "bargain", "dismissed"))
            else:
                events.append((created, "abstained" if i % 2 else "dismissed_all", message))
    with closing(sqlite3.connect(store.path)) as db, db:
        db.executemany("INSERT INTO events (created_at, kind, message) VALUES (?, ?, ?)", sorted(events))
        db.executemany("INSERT INTO feedback (created_at, message, reply_id, situation, action) "
                       "VALUES (?, ?, ?, ?, ?)", sorted(dismissed))
    start = time.perf_counter()
    analytics.message_vectors(store, messages, embedder)  # what a report does for messages without a vector
    return time.perf_counter() - start


def _copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def run(count: int = 10000, home: str | None = None, use_engine: bool = True, repeat: int = 3,
        keep: str | None = None) -> str:
    from ..engine.embed import Embedder
    from ..settings import load_settings

    settings = load_settings(home)
    engine = None
    if use_engine:
        from ..engine.suggester import Suggester

        engine = Suggester.load(settings)
        embedder, corpus = engine.embedder, engine.corpus
    else:
        from ..corpus.files import load_corpus

        embedder = Embedder(settings.model, settings.backend, settings.cache_size)
        corpus = load_corpus(settings.corpus_dir)
    messages = make_messages(count)
    lines = [f"analytics: {len(messages)} distinct unserved messages, model {embedder.name}, "
             f"{os.cpu_count()} CPUs, engine {'on' if engine is not None else 'off'}"]
    with tempfile.TemporaryDirectory(prefix="huashu-analytics-") as tmp:
        path = Path(tmp) / "feedback.sqlite3"
        kept = Path(keep) / "feedback.sqlite3" if keep else None
        if kept is not None and kept.exists():  # filled by an earlier run
            _copy(kept, path)
            store = FeedbackStore(path, hourly_limit=None)
            embed_s = 0.0
        else:
            store = FeedbackStore(path, hourly_limit=None)
            embed_s = fill(store, messages, embedder)
            if kept is not None:
                kept.parent.mkdir(parents=True, exist_ok=True)
                _copy(path, kept)
        with closing(sqlite3.connect(store.path)) as db:
            rows = db.execute("SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM feedback)").fetchone()[0]
        lines.append(f"filled: {rows} logged rows; " + (
            f"embedding each distinct message once took {embed_s:.1f} s ({embed_s / len(messages) * 1000:.1f} ms a "
            "message)" if embed_s else "vectors taken from --keep"))

        def report() -> tuple[float, analytics.Report]:
            start = time.perf_counter()
            result = build_report(corpus, store, embedder, engine, days=30, top=10)
            return time.perf_counter() - start, result

        firsts, cached = [], []
        for _ in range(repeat):
            for cache in (analytics.GROUPINGS, analytics.VECTORS, analytics.NEAREST):  # a new worker
                cache.clear()
            seconds, result = report()
            firsts.append(seconds)
            cached.append(report()[0])
        lines.append(f"first report in a new process (vectors read from the log, grouping computed): median "
                     f"{statistics.median(firsts):.2f} s of {repeat} ({', '.join(f'{s:.2f}' for s in firsts)}); "
                     f"{result.totals['gap_groups']} groups")
        lines.append(f"cached report (same messages): median {statistics.median(cached) * 1000:.0f} ms")
        for similarity in STRICTER:  # more, smaller groups: the grouping's harder case
            for cache in (analytics.GROUPINGS, analytics.VECTORS, analytics.NEAREST):
                cache.clear()
            start = time.perf_counter()
            strict = build_report(corpus, store, embedder, engine, days=30, top=10, similarity=similarity)
            lines.append(f"first report at similarity {similarity}: {time.perf_counter() - start:.2f} s, "
                         f"{strict.totals['gap_groups']} groups")

        attached = FeedbackStore(store.path, embedder=embedder, hourly_limit=None)
        logs, answered = [], []
        for i in range(20):
            start = time.perf_counter()
            attached.log_abstention(f"请问这个能不能做成第{i + 1}种颜色 急", dedupe_seconds=0)
            logs.append(time.perf_counter() - start)
            if engine is not None:  # as served: the engine has just embedded the message to answer it
                message = f"能不能帮我看看第{i + 1}个包裹到哪了"
                engine.suggest(message)
                start = time.perf_counter()
                attached.log_abstention(message, dedupe_seconds=0)
                answered.append(time.perf_counter() - start)
        plain = FeedbackStore(store.path, hourly_limit=None)
        bare = []
        for i in range(20):
            start = time.perf_counter()
            plain.log_abstention(f"可以寄到第{i + 1}个地址吗 谢谢", dedupe_seconds=0)
            bare.append(time.perf_counter() - start)
        lines.append(f"logging a new message: {statistics.median(bare) * 1000:.1f} ms without an embedder; with one "
                     f"{statistics.median(logs) * 1000:.1f} ms" + (
                         f", {statistics.median(answered) * 1000:.1f} ms right after the engine answered it"
                         if answered else ""))
        seconds, _ = report()
        lines.append(f"report after those {len(logs) + len(answered) + len(bare)} new messages (grouping again, "
                     f"embedding the {len(bare)} logged without an embedder): {seconds:.2f} s")

        sample = [normalize(m) or m for m in messages[:512]]
        start = time.perf_counter()
        for begin in range(0, len(sample), analytics.EMBED_BATCH):
            embedder.encode(sample[begin:begin + analytics.EMBED_BATCH])
        per = (time.perf_counter() - start) / len(sample)
        lines.append(f"for comparison, re-embedding every message on each report (before): about "
                     f"{per * len(messages):.0f} s a page ({per * 1000:.1f} ms a message)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m suggest.tools.analytics_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10000, help="distinct unserved messages (default 10000)")
    parser.add_argument("--home", default=None, help="the home whose engine and corpus to use (default: SUGGEST_HOME "
                                                      "or the project)")
    parser.add_argument("--no-engine", action="store_true", help="leave out the nearest situation of each group")
    parser.add_argument("--repeat", type=int, default=3, help="first reports timed (default 3)")
    parser.add_argument("--keep", default=None, help="a folder to keep the filled log in and take it from next time "
                                                      "(the embedding is the slow part of a run)")
    args = parser.parse_args(argv)
    print(run(args.messages, args.home, not args.no_engine, args.repeat, args.keep))


if __name__ == "__main__":
    main()

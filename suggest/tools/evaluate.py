"""`suggest eval`: accuracy on labelled buyer messages, for the engine and two baselines in the same run.

A query file has one JSON object per line: {"id", "message", "gold": [situation ids], "kind"}; gold is empty
for out-of-scope messages and kind "multi" marks several intents. A suggestion counts as a hit when its
situation is in the gold list.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.suggester import PRODUCT_REPLY_PREFIX, Suggester, Weights
from ..errors import InputError


@dataclass(frozen=True)
class Query:
    id: str
    message: str
    gold: tuple[str, ...]
    kind: str
    context: tuple[str, ...] = ()  # the buyer's previous messages, for conversation sets


@dataclass
class Report:
    name: str
    hit1: float = 0.0
    hit3: float = 0.0
    mrr: float = 0.0
    multi_coverage: float = 0.0
    abstention: float = 0.0
    false_abstention: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    worst: list[tuple[str, float, int]] = field(default_factory=list)
    misses: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    ranks: dict[str, int | None] = field(default_factory=dict)  # query id -> rank of the first gold suggestion


def read_queries(path: Path) -> list[Query]:
    queries = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})", field="queries") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            queries.append(Query(str(row["id"]), row["message"], tuple(row.get("gold") or ()), row.get("kind", "plain"),
                                 tuple(row.get("context") or ())))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: expected {{id, message, gold, kind}} ({exc})", field="queries") from None
    return queries


def evaluate(engine: Suggester, queries: list[Query], name: str = "engine", weights: Weights | None = None,
             split: bool = True, abstains: bool = True, use_context: bool = True,
             gold_texts: dict[str, str] | None = None) -> Report:
    """`gold_texts` (reply text as suggested -> gold situation) judges a suggestion by its text instead of its
    situation: for a home whose situations are not the labels' (a 千牛 sheet imported into another home)."""
    single = [q for q in queries if q.gold and q.kind != "multi"]
    multi = [q for q in queries if q.gold and q.kind == "multi"]
    oos = [q for q in queries if not q.gold]
    report = Report(name=name, counts={"single": len(single), "multi": len(multi), "out_of_scope": len(oos)})
    per_situation: dict[str, list[int]] = defaultdict(list)
    hit1 = hit3 = rr = 0.0
    covered = abstained_oos = false_abstain = product_first = 0
    for q in queries:
        context = list(q.context) if use_context else None
        result = engine.suggest(q.message, k=5, weights=weights, split=split, context=context)
        # Answers built from the product sheet are measured by the product set (suggest.tools.product_eval);
        # here the scripted replies behind them are ranked.
        scripted = [s for s in result.suggestions if not s.id.startswith(PRODUCT_REPLY_PREFIX)]
        product_first += len(scripted) < len(result.suggestions)
        ranked = [s.situation for s in scripted]
        if gold_texts is not None:
            ranked = [gold_texts.get(s.text, "") for s in scripted]
        if not abstains:
            ranked = [h.id for seg in result.segments for h in seg.situations]
        is_abstained = result.abstained and abstains
        if not q.gold:
            abstained_oos += is_abstained
            continue
        false_abstain += is_abstained
        if q.kind == "multi":
            covered += all(g in ranked[:5] for g in q.gold)
            continue
        first = next((i for i, s in enumerate(ranked) if s in q.gold), None)
        report.ranks[q.id] = first
        hit1 += first == 0
        hit3 += first is not None and first < 3
        rr += 1.0 / (first + 1) if first is not None else 0.0
        per_situation[q.gold[0]].append(int(first == 0))
        if first != 0:
            report.misses.append((q.message, list(q.gold), ranked[:3]))
    n = max(len(single), 1)
    report.hit1, report.hit3, report.mrr = hit1 / n, hit3 / n, rr / n
    report.multi_coverage = covered / max(len(multi), 1)
    report.counts["product_answers"] = product_first
    report.abstention = abstained_oos / max(len(oos), 1)
    report.false_abstention = false_abstain / max(len(single) + len(multi), 1)
    report.worst = sorted(((s, sum(v) / len(v), len(v)) for s, v in per_situation.items()), key=lambda x: (x[1], -x[2]))[:5]
    return report


def compare(engine: Suggester, queries: list[Query]) -> list[Report]:
    """The engine and, in the same run, BM25 alone and embeddings alone (plain retrieval: no split, no
    situation model, never abstains)."""
    reports = [
        evaluate(engine, queries, "engine"),
        evaluate(engine, queries, "bm25 only", Weights(0, 0, 1), split=False, abstains=False, use_context=False),
        evaluate(engine, queries, "embeddings only", Weights(1, 0, 0), split=False, abstains=False,
                 use_context=False),
    ]
    if any(q.context for q in queries):  # conversation sets: what the context (inferred stage) adds
        alone = evaluate(engine, queries, "engine, no context", use_context=False)
        # context must help and never hurt: conversations whose gold reply falls lower with the context than without
        reports[0].counts["context_drops"] = sum(
            (rank if rank is not None else 99) > (alone.ranks.get(qid) if alone.ranks.get(qid) is not None else 99)
            for qid, rank in reports[0].ranks.items())
        reports.insert(1, alone)
    return reports


def format_reports(reports: list[Report], show_misses: bool = False) -> str:
    head = f"{'':18}{'hit@1':>7}{'hit@3':>7}{'MRR':>7}{'multi@5':>9}{'abstain':>9}{'false-abst':>11}"
    lines = [head]
    for r in reports:
        lines.append(f"{r.name:18}{r.hit1:7.3f}{r.hit3:7.3f}{r.mrr:7.3f}{r.multi_coverage:9.3f}"
                     f"{r.abstention:9.3f}{r.false_abstention:11.3f}")
    c = reports[0].counts
    lines.append(f"queries: {c['single']} single-intent, {c['multi']} multi-intent, {c['out_of_scope']} out of scope")
    if c.get("product_answers"):
        lines.append(f"messages answered first from the product sheet (scripted replies ranked behind them): "
                     f"{c['product_answers']}")
    if "context_drops" in c:
        lines.append(f"conversations where the context put the right reply lower: {c['context_drops']}")
    lines.append("worst situations (engine, hit@1): " +
                 ", ".join(f"{s} {v:.2f} (n={n})" for s, v, n in reports[0].worst))
    if show_misses:
        for message, gold, got in reports[0].misses:
            lines.append(f"  miss: {message}  gold={gold} got={got}")
    return "\n".join(lines)

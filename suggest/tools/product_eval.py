"""How well product answers do on a labelled set (tests/queries/products.jsonl): right values, wrong values, and
false fires on ordinary service questions.

A wrong value is worse than no answer — an agent may paste it — so it is counted apart and the target is zero.
Each line: {"message", "product" (the caller's ref or null), "context" (earlier buyer messages),
"expect": {"kind" (null = no product answer), "product_ids", "attribute", "value"}}.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.products import ProductSheet
from ..engine.product_answers import ProductAnswer, ProductTemplates, answer
from ..errors import CorpusError

VALUE_KINDS = ("value", "size", "sku")


@dataclass(frozen=True)
class Case:
    where: str
    message: str
    product: str | None
    context: tuple[str, ...]
    kind: str | None
    product_ids: tuple[str, ...]
    attribute: str | None
    value: str | None
    part: str = "tune"  # "heldout": written after the recogniser and never tuned on


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str  # right | vague | wrong_value | missed | wrong_kind | false_fire | quiet (a negative left alone)
    answers: tuple[ProductAnswer, ...]


@dataclass
class ProductReport:
    outcomes: list[Outcome] = field(default_factory=list)
    mean_ms: float = 0.0

    def _count(self, kinds: tuple, verdict: str | None = None) -> tuple[int, int]:
        cases = [o for o in self.outcomes if o.case.kind in kinds]
        return sum(o.verdict == (verdict or "right") for o in cases), len(cases)

    @property
    def value_questions(self) -> tuple[int, int]:
        """(answered with the expected value, questions expecting one)."""
        cases = [o for o in self.outcomes if o.case.kind in VALUE_KINDS and o.case.value is not None]
        return sum(o.verdict == "right" for o in cases), len(cases)

    @property
    def wrong_values(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == "wrong_value"]

    @property
    def false_fires(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == "false_fire"]

    @property
    def value_rate(self) -> float:
        right, total = self.value_questions
        return right / total if total else 1.0

    def lines(self) -> list[str]:
        right, total = self.value_questions
        out = [f"answered with the right value   {right}/{total} ({self.value_rate:.1%})"]
        for label, kinds in (("size recommendations", ("size",)), ("SKU stock / price", ("sku",)),
                             ("comparisons", ("compare",)), ("asked which product", ("ask_product",)),
                             ("unknown attribute handled", ("unknown_attribute",))):
            ok, n = self._count(kinds)
            out.append(f"{label:<32}{ok}/{n}")
        quiet, negatives = self._count((None,), "quiet")
        out.append(f"{'negatives left alone':<32}{quiet}/{negatives}")
        vague = sum(o.verdict == "vague" for o in self.outcomes)
        out.append(f"{'true, value not cited':<32}{vague}")
        out.append(f"{'wrong values (target 0)':<32}{len(self.wrong_values)}")
        out.append(f"{'false fires (target 0)':<32}{len(self.false_fires)}")
        out.append(f"{'mean time per message':<32}{self.mean_ms:.3f} ms")
        held = [o for o in self.outcomes if o.case.part == "heldout"]
        if held:
            values = [o for o in held if o.case.kind in VALUE_KINDS and o.case.value is not None]
            out.append(f"held-out part: {sum(o.verdict in ('right', 'quiet') for o in held)}/{len(held)} as labelled, "
                       f"right value {sum(o.verdict == 'right' for o in values)}/{len(values)}, "
                       f"wrong values {sum(o.verdict == 'wrong_value' for o in held)}, "
                       f"false fires {sum(o.verdict == 'false_fire' for o in held)}")
        for outcome in self.outcomes:
            if outcome.verdict not in ("right", "quiet", "vague"):
                got = "; ".join(f"{a.kind}/{a.attribute}={a.value}" for a in outcome.answers[:3]) or "(none)"
                out.append(f"  {outcome.verdict:<12} {outcome.case.where} {outcome.case.message!r} "
                           f"expected {outcome.case.kind}/{outcome.case.attribute}={outcome.case.value}; got {got}")
        return out


def read_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            expect = row["expect"]
            cases.append(Case(f"{path.name}:{number}", row["message"], row.get("product"),
                              tuple(row.get("context") or ()), expect.get("kind"),
                              tuple(expect.get("product_ids") or ()), expect.get("attribute"), expect.get("value"),
                              row.get("set") or "tune"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CorpusError([f"{path}:{number}: not a labelled product question ({exc})"]) from None
    return cases


_SOLD_OUT = ("缺货", "无货", "没货", "售罄", "没有了")


def _agrees(case: Case, a: ProductAnswer) -> bool | None:
    """Whether answer `a` states the labelled value: True when it cites it (the value exactly, or the labelled
    text inside its reply: 「102」 in 「裤长是102cm」), None when it is true without citing it (「有货」 for a stock
    of 52; an in-between size when the label expects none), False when it states something else."""
    if a.value == case.value or (case.value is not None and case.value in a.text):
        return True
    if case.attribute == "库存" and case.value is not None and case.value.isdigit() and a.value is not None:
        return None if (int(case.value) == 0) == any(w in a.value for w in _SOLD_OUT) else False
    if case.kind == "size" and case.value is None and a.value is not None and "和" in a.value:
        return True  # between two sizes, and the reply says so
    return False


def judge(case: Case, answers: list[ProductAnswer]) -> str:
    """right / vague / wrong_value / missed / wrong_kind for a question; false_fire / quiet for a negative."""
    if case.kind is None:
        return "false_fire" if answers else "quiet"
    if not answers:
        return "missed"
    ids = set(case.product_ids)
    # Any answer citing a value for the asked attribute of the asked product(s) must cite the expected one.
    for a in answers:
        same_topic = a.value is not None and (case.attribute is None or a.attribute == case.attribute)
        if case.kind in VALUE_KINDS and same_topic and (not ids or set(a.product_ids) == ids) \
                and _agrees(case, a) is False:
            return "wrong_value"
        if case.kind in ("ask_product", "unknown_attribute") and a.value is not None and a.kind in VALUE_KINDS:
            return "wrong_value"
    for a in answers:
        if a.kind != case.kind or (ids and set(a.product_ids) != ids):
            continue
        if case.attribute is not None and a.attribute != case.attribute and case.kind != "compare":
            continue
        if case.kind == "compare" and case.attribute is not None and a.attribute != case.attribute:
            continue
        if case.kind in VALUE_KINDS:
            agrees = _agrees(case, a)
            if agrees is None:
                return "vague"
            if not agrees or (a.value is not None and a.value not in a.text):
                continue
        return "right"
    return "wrong_kind"


def evaluate_products(path: Path, sheet: ProductSheet, templates: ProductTemplates | None = None,
                      echo: bool = True) -> ProductReport:
    """Runs every labelled question through `answer` and prints the figures (unless echo is False)."""
    templates = templates or ProductTemplates()
    report = ProductReport()
    spent = 0.0
    answer("预热", sheet, templates)  # the first call loads the character converter; time the steady state
    for case in read_cases(Path(path)):
        start = time.perf_counter()
        answers = answer(case.message, sheet, templates, product=case.product, context=case.context)
        spent += time.perf_counter() - start
        report.outcomes.append(Outcome(case, judge(case, answers), tuple(answers)))
    report.mean_ms = 1000 * spent / max(len(report.outcomes), 1)
    if echo:
        print("\n".join(report.lines()))
    return report


def main() -> None:  # pragma: no cover - a developer's shortcut: python -m suggest.tools.product_eval
    import sys

    from ..corpus.products import load_products
    from ..engine.product_answers import load_templates

    root = Path(__file__).resolve().parents[2]
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "corpus"
    queries = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "tests" / "queries" / "products.jsonl"
    report = evaluate_products(queries, load_products(corpus), load_templates(corpus))
    sys.exit(1 if report.wrong_values or report.false_fires or report.value_rate < 0.9 else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

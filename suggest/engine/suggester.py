"""The engine: normalise → split → retrieve (FAISS + BM25) → fuse → rank by situation → fill placeholders.

`Suggester.load(settings)` is the one entry point for every interface (CLI, web, client tests). It loads the
corpus, the model and the index, bringing the index up to date first: a stale index is never served.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from threading import Lock
from typing import Callable

import numpy as np

from .borrow import Lender, lender_for
from .build import OOS, BuiltIndex, sync_index
from ..corpus.files import load_corpus
from .diversity import distinct_first
from .embed import Embedder
from .reply_table import Candidates, ReplyTable
from .scoring import Learned, Scorer, Scores, Weights
from ..errors import InputError, NotFound
from ..corpus.products import ProductSheet, load_products
from ..corpus.profile import ShopProfile, fill, load_profile, shop_now
from .product_answers import ProductAnswer, ProductTemplates, answer as product_answers, load_templates
from ..records import MAX_CONTEXT, MAX_K, STAGES, Corpus, Reply, Result, ScoredReply, Segment, SituationHit, Situation
from .segment import Segmenter, default_segmenter
from ..settings import Settings
from .split import clause_spans, split_clauses
from .text import normalize

log = logging.getLogger(__name__)
MAX_SITUATIONS = 5
# Replies listed per situation: more than an agent reads, and choosing them (never two near-identical side by
# side) costs what this number squared costs, not what the situation's size does.
REPLIES_PER_SITUATION = 20
# Index rows (reply texts and examples) of one situation ranked exactly; a larger situation ranks only the replies
# with a row among the message's candidates, on those rows, so the cost stays the candidates', not the situation's.
EXACT_FIT_ROWS = 400
SHORTCUT_PREFIXES = ("/", "／")  # also the full-width slash a Chinese input method types
EMOTICON_PREFIX = ("/:", "／:", "／：")  # 旺旺 emoticon codes such as /:sorry are not shortcut lookups
PRODUCT_REPLY_PREFIX = "product:"  # ids of replies built from the product sheet (not in the corpus)
SHORTCUT_K = 9  # default for shortcut lookups: every hit gets a number key on the agents' page
CONTEXT_DECAY = 0.6  # weight of a message one turn older
CLEAR_MESSAGE = 0.5  # a message whose best situation scores this much says what it is about by itself
# How much less similar (cosine, message to nearest example) a situation of the agent's chosen stage may be than
# the best situation of another stage, and still go first: near-synonymous questions differ by less.
STAGE_COMPARABLE = 0.12


def _natural(code: str) -> tuple:
    """yj2 before yj10, as 千牛 lists its quick phrases."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code))


def is_shortcut(message: str) -> bool:
    """'/yj' looks replies up by 快捷编码, as agents do in 千牛."""
    stripped = message.lstrip()
    return stripped.startswith(SHORTCUT_PREFIXES) and not stripped.startswith(EMOTICON_PREFIX)


@dataclass(frozen=True)
class _Facts:
    """What the shop's facts make of the corpus while the same campaigns run."""

    key: tuple  # which campaigns run
    blocked: frozenset[str]  # ids of the replies whose facts are false for this shop now
    blocked_numbers: np.ndarray  # the same, per `ReplyTable` number
    values: dict  # placeholder values, per campaign (None: the shop's own)
    filled: dict  # (text, campaign) -> the text filled with them: the same replies are filled 80 times a query


class _Snapshot:
    """One corpus with its index and everything derived from them, never changed after construction.

    A query runs entirely on the snapshot it started with; an update builds a new snapshot and swaps it in,
    so queries never wait for an update nor see half of one."""

    def __init__(self, settings: Settings, profile: ShopProfile, embedder: Embedder, segmenter: Segmenter,
                 corpus: Corpus, index: BuiltIndex, previous: "_Snapshot | None" = None,
                 clock: Callable[[], datetime] = shop_now) -> None:
        """`previous`: the snapshot before a corpus change, whose work is reused where the change leaves it
        valid (segmented texts, the BM25 index)."""
        self.settings = settings
        self.profile = profile
        self.clock = clock
        self.products = previous.products if previous else ProductSheet({})
        self.product_templates = previous.product_templates if previous else None
        self._facts: _Facts | None = None
        self.embedder = embedder
        self.corpus = corpus
        self.index = index
        self.scorer = Scorer(settings, embedder, segmenter, index, previous.scorer if previous else None)
        self.labels = self.scorer.labels
        entries = index.entries
        self.table = ReplyTable.build(corpus, self.labels, entries, index.dense)
        self.reply_vectors = self.table.vectors_by_id()

    def with_learned(self, learned: Learned) -> "_Snapshot":
        """The same snapshot with other learned examples: nothing is refitted."""
        other = copy.copy(self)
        other.scorer = self.scorer.with_learned(learned)
        return other

    def with_products(self, sheet: ProductSheet, templates: ProductTemplates) -> "_Snapshot":
        other = copy.copy(self)
        other.products, other.product_templates = sheet, templates
        return other

    def with_profile(self, profile: ShopProfile, clock: Callable[[], datetime] | None = None) -> "_Snapshot":
        """The same snapshot with other shop facts (or another clock): nothing is refitted."""
        other = copy.copy(self)
        other.profile = profile
        other.clock = clock or self.clock
        other._facts = None
        return other

    def _facts_now(self) -> "_Facts":
        """What the shop's facts make of the corpus now; it changes only when a campaign starts or ends, so it is
        kept until then."""
        now = self.clock()
        key = tuple(c.running(now) for c in self.profile.campaigns)
        facts = self._facts
        if facts is None or facts.key != key:
            blocked = frozenset(r.id for r in self.corpus.replies.values() if self.profile.unmet(r, now))
            values = {None: self.profile.values(now)}
            values.update({c.name: self.profile.values(now, c.name) for c in self.profile.campaigns})
            self._facts = facts = _Facts(key, blocked, self.table.blocked(blocked), values, {})
        return facts

    def unavailable(self) -> frozenset[str]:
        """Ids of the replies that must not be suggested now (their facts are false for this shop)."""
        return self._facts_now().blocked

    # ---- lookups -------------------------------------------------------------------------------------------

    def reply(self, reply_id: str) -> Reply:
        try:
            return self.corpus.replies[reply_id]
        except KeyError:
            raise NotFound(f"no reply with id {reply_id!r}", field="id") from None

    def filled(self, reply: Reply, variables: dict[str, str] | None = None) -> tuple[str, tuple[str, ...]]:
        return self._fill(reply.text, reply.campaign, variables)

    def _fill(self, text: str, campaign: str | None, variables: dict[str, str] | None,
              facts: _Facts | None = None) -> tuple[str, tuple[str, ...]]:
        """`text` with the shop's facts now (and `campaign`'s, or the running one's) and the caller's values.
        Without the caller's values the same replies are filled again and again (80 a query): kept. `facts`:
        those of the moment, read once for all the replies of a situation (reading the clock and the campaigns
        for each cost more than filling)."""
        facts = facts or self._facts_now()
        values, filled = facts.values, facts.filled
        if variables:
            return fill(text, {**values.get(campaign, values[None]), **variables})
        done = filled.get((text, campaign))
        if done is None:
            filled[(text, campaign)] = done = fill(text, values.get(campaign, values[None]))
        return done

    def by_shortcut(self, prefix: str, k: int = 10, variables: dict[str, str] | None = None) -> list[ScoredReply]:
        """Replies whose 快捷编码 starts with `prefix`, then those whose text contains it (as in 千牛)."""
        prefix = prefix.strip().lower()
        blocked = self.unavailable()
        replies = sorted((r for r in self.corpus.replies.values() if not r.retired and r.id not in blocked),
                         key=lambda r: (_natural(r.shortcut or "~"), _natural(r.id)))
        hits = [r for r in replies if r.shortcut and r.shortcut.startswith(prefix)]
        hits += [r for r in replies if r not in hits and prefix and prefix in r.text.lower()]
        return [self._scored(r, 1.0, variables) for r in hits[:k]]

    def _shortcut_result(self, message: str, k: int | None, stage: str | None,
                         variables: dict[str, str] | None) -> Result:
        """A 千牛-style '/code' lookup in the shape of a suggestion result: one segment, hits by situation."""
        query = message.strip()
        hits = self.by_shortcut(query[1:], k or SHORTCUT_K, variables)
        grouped: dict[str, list[ScoredReply]] = {}
        for hit in hits:
            grouped.setdefault(hit.situation, []).append(hit)
        situations = tuple(
            SituationHit(id=sid, name=self.corpus.situations[sid].name, stage=self.corpus.situations[sid].stage,
                         score=max(r.score for r in replies), replies=tuple(replies))
            for sid, replies in grouped.items())
        segment = Segment(text=query, situations=situations, abstained=not hits)
        return Result(message=message, normalized=query, segments=(segment,), suggestions=tuple(hits),
                      abstained=not hits, stage=stage, stage_source="given" if stage else None)

    # ---- scoring -------------------------------------------------------------------------------------------

    def score(self, texts: list[str], weights: Weights | None = None) -> Scores:
        return self.scorer.score(texts, weights)

    def situation_score(self, message: str, situation: str) -> float:
        """How well `message` fits `situation` (0 when the situation is unknown or the message says nothing)."""
        text = normalize(message)
        if not text or situation not in self.labels:
            return 0.0
        return float(self.score([text]).situations[0][self.labels.index(situation)])

    # ---- answering -----------------------------------------------------------------------------------------

    def check_message(self, message: object, field: str = "message") -> str:
        if not isinstance(message, str):
            raise InputError(f"'{field}' must be a string", field=field, code="invalid_type")
        if not message.strip():
            raise InputError(f"'{field}' is empty: paste what the buyer wrote", field=field, code="empty")
        limit = self.settings.max_message_chars
        if len(message) > limit:
            raise InputError(f"'{field}' has {len(message)} characters; the limit is {limit}", field=field,
                             code="too_long")
        return message

    def suggest(self, message: str, k: int | None = None, stage: str | None = None,
                variables: dict[str, str] | None = None, weights: Weights | None = None,
                split: bool = True, context: list[str] | None = None, product: str | None = None) -> Result:
        """Replies for one buyer message. `stage`, or else the stage inferred from `context` (the buyer's
        previous messages, oldest first), shifts the ranking toward that stage's situations. `product`: the
        product the conversation is about (id, link or name), for questions about its attributes."""
        self.check_message(message)
        context = [c for c in (context or []) if isinstance(c, str) and c.strip()][-MAX_CONTEXT:]
        result = self._suggest_scripted(message, k, stage, variables, weights, split, context)
        if self.products.products and not is_shortcut(message):
            answers = product_answers(message, self.products, self.product_templates, product, context)
            if answers:
                result = self._with_product_answers(result, answers, k or self.settings.default_k, variables,
                                                    product, context)
        return result

    def _with_product_answers(self, result: Result, answers: list[ProductAnswer], k: int,
                              variables: dict[str, str] | None, product: str | None, context: list[str]) -> Result:
        """A question about the product is answered from the sheet first: a scripted reply of another situation
        would only talk around it. The answers form their own situation, placed first in the clause that asks
        (in a message of several clauses, the first whose text alone is a product question)."""
        situation = self.product_templates.situation
        top = max((s.score for s in result.suggestions), default=0.0)
        scored = []
        for i, found in enumerate(answers):
            text, unfilled = self._fill(found.text, None, variables)
            scored.append(ScoredReply(id=f"{PRODUCT_REPLY_PREFIX}{found.kind}-{i + 1}", text=text,
                                      situation=situation.id, stage=situation.stage,
                                      score=round(max(float(found.confidence), top + 0.01 * (len(answers) - i)), 4),
                                      unfilled=unfilled, note=found.note))
        hit = SituationHit(id=situation.id, name=situation.name, stage=situation.stage, score=scored[0].score,
                           replies=tuple(scored))
        clauses = split_clauses(result.normalized) if result.normalized else [result.message]
        clause = next((c for c in clauses if len(clauses) > 1 and
                       product_answers(c, self.products, self.product_templates, product, context)), None)
        segments = list(result.segments)
        at = next((i for i, seg in enumerate(segments) if clause is None or clause in seg.text), None)
        if at is None:  # the question no scripted reply answers gets its own segment, first
            segments.insert(0, Segment(text=clause or result.message, situations=(), abstained=True))
            at = 0
        segments[at] = replace(segments[at], situations=(hit, *segments[at].situations), abstained=False)
        return replace(result, segments=tuple(segments), abstained=False,
                       suggestions=tuple([*scored, *result.suggestions][:max(k, len(scored))]))

    def _suggest_scripted(self, message, k, stage, variables, weights, split, context) -> Result:
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K):
            raise InputError(f"'k' must be a whole number from 1 to {MAX_K}", field="k")
        if stage is not None and stage not in STAGES:
            raise InputError(f"'stage' must be one of {', '.join(STAGES)}", field="stage")
        if is_shortcut(message):
            return self._shortcut_result(message, k, stage, variables)
        k = self.settings.default_k if k is None else k
        source = "given" if stage else None
        prior = None
        context = [text for text in map(normalize, context) if text]  # emoji-only turns say nothing
        if context:
            context_scores = self.score(context).situations
            prior = self._context_prior(context_scores)
            if stage is None:
                stage = self._infer_stage(context_scores)
                source = "inferred" if stage else None
        result = self._suggest(message, k, stage, variables, weights, split, prior, given_stage=source == "given")
        return replace(result, stage_source=source)

    def _context_prior(self, context_scores: np.ndarray) -> np.ndarray:
        """What the conversation so far was about, recent messages counting more: a vague follow-up
        ("怎么办" after "少了一只袜子") inherits its topic; a clear new question outweighs it."""
        decay = CONTEXT_DECAY ** np.arange(len(context_scores))[::-1]
        prior = (context_scores * decay[:, None]).sum(axis=0) / decay.sum()
        if OOS in self.labels:  # earlier small talk says nothing about this message
            prior[self.labels.index(OOS)] = 0.0
        return prior

    def infer_stage(self, context: list[str]) -> str | None:
        """The conversation's stage from the buyer's previous messages (oldest first)."""
        texts = [text for text in map(normalize, context) if text]
        return self._infer_stage(self.score(texts).situations) if texts else None

    def _infer_stage(self, scores: np.ndarray) -> str | None:
        """Each confident message votes for its top situation's stage, recent ones counting more ("还没到"
        after "付款了" is logistics, not stock)."""
        votes: dict[str, float] = {}
        for age, row in enumerate(reversed(scores)):
            top = int(np.argmax(row))
            stage = self._stage_of(self.labels[top])
            if stage and stage != "general" and row[top] >= self.settings.suggest_threshold:
                votes[stage] = votes.get(stage, 0.0) + float(row[top]) * CONTEXT_DECAY ** age
        if not votes:
            return None
        best = max(votes, key=votes.get)
        return best if votes[best] >= self.settings.suggest_threshold else None

    def _suggest(self, message, k, stage, variables, weights, split, prior=None, given_stage=False) -> Result:
        text = normalize(message)
        if not text:  # only emoji, emoticon codes or punctuation: nothing a reply could answer
            return Result(message=message, normalized="", segments=(), suggestions=(), abstained=True, stage=stage)
        clauses = split_clauses(text) if split else [text]
        texts = [text] + (clauses if len(clauses) > 1 else [])
        scores = self.scorer.score(texts, weights, clause_spans(text, texts[1:]))
        # The conversation (its topic, its inferred stage) decides a vague message: 「怎么办」 takes its topic from
        # what came before. For a clear one it only raises what the message itself makes plausible, so
        # 「能便宜点吗」 after 「还有M码吗」 is about price, with no size or stock replies pulled in beside it.
        own = scores.situations
        clear = own.max(axis=1, keepdims=True) >= CLEAR_MESSAGE
        plausible = np.where(clear, own >= self.settings.suggest_threshold, True)
        if prior is not None:
            share = self.settings.context_weight
            scores.situations = (1 - share) * own + share * prior * plausible
        if stage:
            in_stage = np.array([self._stage_of(l) in (stage, "general") for l in self.labels])
            # a stage the agent chose applies to every situation; one inferred from the conversation, like its topic
            boosted = in_stage if given_stage else in_stage & plausible
            scores.situations = scores.situations + self.settings.stage_boost * boosted
            if given_stage:
                self._let_stage_decide(scores, in_stage)
        threshold = self.settings.suggest_threshold
        groups = self._intent_groups(clauses, scores, threshold) if len(clauses) > 1 else []
        if len(groups) < 2:
            groups = [(text, [0])]
        segments = [self._segment(seg_text, rows, scores, threshold, variables) for seg_text, rows in groups]
        suggestions = self._interleave(segments, k)
        abstained = not suggestions
        return Result(message=message, normalized=text, segments=tuple(segments), suggestions=tuple(suggestions),
                      abstained=abstained, stage=stage)

    def _let_stage_decide(self, scores: Scores, in_stage: np.ndarray) -> None:
        """An agent's chosen stage decides between comparable situations: when the best situation is of another
        stage and one of the chosen stage is nearly as close to the message (a buyer's 「运费谁出」 before buying
        is about the order's postage, after it about a return's), the chosen stage's goes first. A situation the
        message is not close to is never pulled in."""
        knn = scores.knn
        floor = 0.5 * self.settings.suggest_threshold
        for row in range(scores.situations.shape[0]):
            fused = scores.situations[row]
            top = int(np.argmax(fused))
            if in_stage[top]:
                continue
            comparable = in_stage & (knn[row] >= knn[row, top] - STAGE_COMPARABLE) & (fused >= floor)
            if comparable.any():
                best = int(np.argmax(np.where(comparable, fused, -np.inf)))
                fused[best] = fused[top] + 0.01

    def _stage_of(self, label: str) -> str | None:
        situation = self.corpus.situations.get(label)
        return situation.stage if situation else None

    def _intent_groups(self, clauses: list[str], scores: Scores, threshold: float) -> list[tuple[str, list[int]]]:
        """Clauses grouped by their confident top situation; two or more groups make a multi-intent message."""
        whole_top = self.labels[int(np.argmax(scores.situations[0]))]
        groups: dict[str, list[int]] = {}
        for i in range(len(clauses)):
            row = scores.situations[i + 1]
            top = int(np.argmax(row))
            label = self.labels[top]
            if label != OOS and row[top] >= threshold:
                groups.setdefault(label, []).append(i + 1)
        ordered = sorted(groups.items(), key=lambda item: (item[0] != whole_top, item[1][0]))
        return [(" ".join(clauses[r - 1] for r in rows), rows) for _, rows in ordered]

    def _segment(self, seg_text: str, rows: list[int], scores: Scores, threshold: float,
                 variables: dict[str, str] | None) -> Segment:
        situation_scores = scores.situations[rows].max(axis=0)
        ranked = np.argsort(-situation_scores)
        top_label = self.labels[int(ranked[0])]
        abstained = top_label == OOS or float(situation_scores[ranked[0]]) < self.settings.abstain_threshold
        hits: list[SituationHit] = []
        near = self.table.candidates(scores.near(rows))
        for label_index in ranked[:MAX_SITUATIONS + 1]:
            label = self.labels[int(label_index)]
            score = float(situation_scores[label_index])
            if label == OOS or score < threshold * 0.5 and hits:
                continue
            hits.append(self._situation_hit(int(label_index), score, scores, rows, near, variables))
        hits = hits[:MAX_SITUATIONS]
        return Segment(text=seg_text, situations=tuple(hits), abstained=abstained)

    def _situation_hit(self, label_index: int, score: float, scores: Scores, texts: list[int], near: Candidates,
                       variables: dict[str, str] | None) -> SituationHit:
        """One situation's replies, ordered by how close the message is to each (its text or examples). `near`:
        the message's candidate rows, by reply."""
        table = self.table
        situation = self.corpus.situations[self.labels[label_index]]
        facts = self._facts_now()
        blocked = facts.blocked_numbers
        numbers = table.of_label(label_index)
        numbers = numbers[~blocked[numbers]]
        rows = None
        if table.row_count(label_index) > EXACT_FIT_ROWS:  # a large situation: its candidate replies, on their rows
            mine, rows, lengths = table.candidates_of(label_index, near, blocked)
            numbers, rows = (mine, rows) if len(mine) else (numbers[:REPLIES_PER_SITUATION], None)
        if rows is None:
            rows, lengths = table.rows_of(numbers)
        fit = self.scorer.fit(scores, texts, rows, lengths)
        order = np.argsort(-fit, kind="stable")
        chosen = order[distinct_first(table.vectors[numbers[order]], REPLIES_PER_SITUATION,
                                      self.settings.duplicate_similarity)]
        best = float(fit[chosen[0]]) if len(chosen) else 1.0
        replies = tuple(self._scored(table.replies[numbers[i]], score * max(float(fit[i]), 0.0) / best
                                     if best > 0 else score, variables, facts) for i in chosen)
        return SituationHit(id=situation.id, name=situation.name, stage=situation.stage, score=round(score, 4),
                            replies=replies)

    def _distinct(self, a: Reply, b: Reply) -> bool:
        va, vb = self.reply_vectors.get(a.id), self.reply_vectors.get(b.id)
        return va is None or vb is None or float(va @ vb) < self.settings.duplicate_similarity

    def _scored(self, reply: Reply, score: float, variables: dict[str, str] | None,
                facts: _Facts | None = None) -> ScoredReply:
        text, unfilled = self._fill(reply.text, reply.campaign, variables, facts)
        return ScoredReply(id=reply.id, text=text, situation=reply.situation, stage=reply.stage,
                           score=round(float(score), 4), shortcut=reply.shortcut, unfilled=unfilled)

    def _interleave(self, segments: list[Segment], k: int) -> list[ScoredReply]:
        """Best first, round-robin over segments (every clause's best reply near the top), then over each
        segment's situations; only replies scoring at least the suggestion threshold, never two near-identical
        replies."""
        threshold = self.settings.suggest_threshold
        queues = []
        for segment in segments:
            if segment.abstained:
                continue
            # within a segment: each plausible situation's best reply first, then the rest by score
            firsts = [hit.replies[0] for hit in segment.situations if hit.replies]
            rest = sorted((r for hit in segment.situations for r in hit.replies[1:]), key=lambda r: -r.score)
            queues.append(firsts + rest)
        out: list[ScoredReply] = []
        seen: set[str] = set()
        while len(out) < k and any(queues):
            for queue in queues:
                while queue:
                    candidate = queue.pop(0)
                    if candidate.id in seen or candidate.score < threshold:
                        continue
                    if all(self._distinct(self.corpus.replies[candidate.id], self.corpus.replies[o.id]) for o in out):
                        out.append(candidate)
                        seen.add(candidate.id)
                        break
                if len(out) >= k:
                    break
        return out


class Suggester:
    """The engine's public face: loads everything, answers queries on the current snapshot, and applies
    corpus changes by building the next one (one change at a time)."""

    def __init__(self, settings: Settings, corpus: Corpus, profile: ShopProfile, embedder: Embedder,
                 index: BuiltIndex, segmenter: Segmenter, lender: Lender | None = None,
                 clock: Callable[[], datetime] = shop_now) -> None:
        """`clock`: the shop's time now, which decides the running campaigns (tests pass a fixed one)."""
        self.settings = settings
        self.embedder = embedder
        self.lender = lender
        self._segmenter = segmenter
        self._update_lock = Lock()
        self._snapshot = _Snapshot(settings, profile, embedder, segmenter, corpus, index, clock=clock)

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None, progress: bool = False,
             lender: Lender | None | str = "settings") -> "Suggester":
        """`embedder`, `lender`: loaded ones to share (shops in one process); by default as the settings say."""
        corpus = load_corpus(settings.corpus_dir)
        profile = load_profile(settings.corpus_dir / "shop.yaml")
        embedder = embedder or Embedder(settings.model, settings.backend, settings.cache_size)
        lender = lender_for(settings) if lender == "settings" else lender
        index, counts = sync_index(settings.index_dir, corpus, embedder, settings.classifier_c, progress=progress,
                                   lender=lender)
        if any(counts.values()):
            log.info("index updated: %s", counts)
        engine = cls(settings, corpus, profile, embedder, index, default_segmenter(), lender)
        engine.reload_products()
        return engine

    def variant(self, **changes) -> "Suggester":
        """This engine with other settings (`retrieval_candidates=0`: exhaustive scoring), sharing its index and
        models: for comparing rankings, nothing is re-read or refitted that the changes leave valid."""
        settings = self.settings.replace(**changes)
        current = self._snapshot
        other = copy.copy(self)
        other.settings = settings
        other._update_lock = Lock()
        other._snapshot = _Snapshot(settings, current.profile, self.embedder, self._segmenter, current.corpus,
                                    current.index, current, current.clock).with_learned(current.scorer.learned)
        return other

    def update_corpus(self, corpus: Corpus) -> dict[str, int]:
        """Serve a changed corpus, re-embedding only the replies that changed; visible to the next query. The
        files are the authoring room's to write (suggest.authoring.editing); the engine reads and indexes."""
        with self._update_lock:
            index, counts = sync_index(self.settings.index_dir, corpus, self.embedder, self.settings.classifier_c,
                                       lender=self.lender, known=self.index)
            previous = self._snapshot
            self._snapshot = _Snapshot(self.settings, previous.profile, self.embedder, self._segmenter, corpus,
                                       index, previous, previous.clock).with_learned(previous.scorer.learned)
            return counts

    def set_learned(self, examples: list[tuple[str, str]], dismissed: list[tuple[str, str]] = ()) -> None:
        """Lay learned (situation, buyer message) examples and dismissed (situation, message) pairs over the
        current snapshot: visible to the next query, nothing refitted (a few milliseconds per hundred)."""
        def embedded(pairs):
            pairs = [(sid, text) for sid, text in ((sid, normalize(m)) for sid, m in pairs) if text]
            vectors = self.embedder.encode_cached([t for _, t in pairs]) if pairs else None
            return tuple(sid for sid, _ in pairs), vectors

        situations, vectors = embedded(examples)
        dismissed_situations, dismissed_vectors = embedded(dismissed)
        learned = Learned(situations, vectors, dismissed_situations, dismissed_vectors)
        with self._update_lock:
            self._snapshot = self._snapshot.with_learned(learned)

    def set_profile(self, profile: ShopProfile) -> None:
        """Other shop facts, visible to the next query: a policy changed or a campaign ended."""
        with self._update_lock:
            self._snapshot = self._snapshot.with_profile(profile)

    def reload_products(self) -> None:
        """The home's product sheet and answer templates, read again (CorpusError names a bad file and row)."""
        corpus_dir = self.settings.corpus_dir
        self.set_products(load_products(corpus_dir), load_templates(corpus_dir))

    def set_products(self, sheet: ProductSheet, templates: ProductTemplates) -> None:
        """Another product sheet (and answer templates), visible to the next query."""
        with self._update_lock:
            self._snapshot = self._snapshot.with_products(sheet, templates)

    @property
    def products(self) -> ProductSheet:
        return self._snapshot.products

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        with self._update_lock:
            self._snapshot = self._snapshot.with_profile(self._snapshot.profile, clock)

    # Reads go to the snapshot current when they start.

    @property
    def profile(self) -> ShopProfile:
        return self._snapshot.profile

    def unavailable(self) -> frozenset[str]:
        return self._snapshot.unavailable()

    @property
    def corpus(self) -> Corpus:
        return self._snapshot.corpus

    @property
    def index(self) -> BuiltIndex:
        return self._snapshot.index

    @property
    def situations(self) -> dict[str, Situation]:
        return self._snapshot.corpus.situations

    @property
    def labels(self) -> list[str]:
        """The columns of `score(...).situations`: situation ids, and the background class."""
        return list(self._snapshot.labels)

    @property
    def reply_vectors(self) -> dict[str, np.ndarray]:
        return self._snapshot.reply_vectors

    def suggest(self, message: str, k: int | None = None, stage: str | None = None,
                variables: dict[str, str] | None = None, weights: Weights | None = None,
                split: bool = True, context: list[str] | None = None, product: str | None = None) -> Result:
        return self._snapshot.suggest(message, k, stage, variables, weights, split, context, product)

    def score(self, texts: list[str], weights: Weights | None = None) -> Scores:
        return self._snapshot.score(texts, weights)

    def situation_score(self, message: str, situation: str) -> float:
        return self._snapshot.situation_score(message, situation)

    def infer_stage(self, context: list[str]) -> str | None:
        return self._snapshot.infer_stage(context)

    def reply(self, reply_id: str) -> Reply:
        return self._snapshot.reply(reply_id)

    def filled(self, reply: Reply, variables: dict[str, str] | None = None) -> tuple[str, tuple[str, ...]]:
        return self._snapshot.filled(reply, variables)

    def by_shortcut(self, prefix: str, k: int = 10, variables: dict[str, str] | None = None) -> list[ScoredReply]:
        return self._snapshot.by_shortcut(prefix, k, variables)

    def check_message(self, message: object, field: str = "message") -> str:
        return self._snapshot.check_message(message, field)

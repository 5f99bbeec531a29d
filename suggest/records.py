"""Records shared by every layer: corpus entries, results, and the index manifest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cached_property

STAGES = ("presale", "order", "aftersale", "general")
STAGE_NAMES = {"presale": "售前", "order": "售中", "aftersale": "售后", "general": "通用"}
# Limits of one request, said here once for the engine, the API and its OpenAPI document.
MAX_K = 50  # most suggestions one request may ask for
MAX_CONTEXT = 20  # earlier buyer messages one request may give (each turn counts 0.6x the next: older ones fade)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, said as data: each interface words it (English in the CLI, Chinese on the pages)."""

    field: str  # where in the record: "text", "发货与快递.截单时间", "活动[1].结束"
    code: str  # what is wrong: "bad_time", "fact_missing" …
    values: dict = field(default_factory=dict)  # what the wording needs: {"fact": "花呗"}
    where: str = ""  # file:line, when the problem is in a file

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Situation:
    id: str
    name: str
    stage: str
    description: str = ""
    # The buyer-intent bank: what buyers write when this situation is the answer, whatever the replies say.
    # It belongs to the situation, so rewording or replacing a reply keeps the understanding.
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["examples"] = list(self.examples)
        return data


@dataclass(frozen=True)
class Reply:
    id: str
    situation: str
    stage: str
    text: str
    examples: tuple[str, ...]
    tags: tuple[str, ...] = ()
    shortcut: str | None = None
    retired: bool = False  # hidden from suggestions, kept in the corpus and its history
    # Facts the reply depends on beyond its placeholders: yes/no facts of shop.yaml that must be yes (花呗),
    # and the campaign it belongs to (suggested only while that campaign runs).
    requires: tuple[str, ...] = ()
    campaign: str | None = None

    @cached_property
    def index_digest(self) -> str:
        """What the index depends on for this reply: a change here means its vectors must be recomputed. Kept
        on the (immutable) reply: every save hashes the whole corpus, and most replies are the objects they were."""
        payload = json.dumps([self.situation, self.stage, self.text, list(self.examples), self.retired],
                             ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["examples"] = list(self.examples)
        data["tags"] = list(self.tags)
        data["requires"] = list(self.requires)
        return data


@dataclass(frozen=True)
class Corpus:
    situations: dict[str, Situation]
    replies: dict[str, Reply]

    def replies_of(self, situation_id: str) -> list[Reply]:
        return [r for r in self.replies.values() if r.situation == situation_id]

    def active_replies_of(self, situation_id: str) -> list[Reply]:
        return [r for r in self.replies.values() if r.situation == situation_id and not r.retired]


@dataclass(frozen=True)
class ScoredReply:
    id: str
    text: str
    situation: str
    stage: str
    score: float
    shortcut: str | None = None
    unfilled: tuple[str, ...] = ()
    note: str = ""  # for the agent, not the buyer: e.g. "the product sheet has no 热量 for this product"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["unfilled"] = list(self.unfilled)
        return data


@dataclass(frozen=True)
class SituationHit:
    id: str
    name: str
    stage: str
    score: float
    replies: tuple[ScoredReply, ...]

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "stage": self.stage, "score": self.score,
                "replies": [r.to_dict() for r in self.replies]}


@dataclass(frozen=True)
class Segment:
    text: str
    situations: tuple[SituationHit, ...]
    abstained: bool

    def to_dict(self) -> dict:
        return {"text": self.text, "abstained": self.abstained,
                "situations": [s.to_dict() for s in self.situations]}


@dataclass(frozen=True)
class Result:
    message: str
    normalized: str
    segments: tuple[Segment, ...]
    suggestions: tuple[ScoredReply, ...]
    abstained: bool
    stage: str | None = None
    stage_source: str | None = None  # "given", "inferred" (from the conversation) or None

    def to_dict(self) -> dict:
        return {
            "message": self.message,
            "normalized": self.normalized,
            "stage": self.stage,
            "stage_source": self.stage_source,
            "segments": [s.to_dict() for s in self.segments],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "abstained": self.abstained,
        }


@dataclass(frozen=True)
class Manifest:
    model: str
    dimension: int
    corpus_hash: str
    built_at: str
    format: int
    entries: int
    replies: dict[str, str] = field(default_factory=dict)  # unit (reply id, "@situation" bank) -> content hash
    lender: str = ""  # digest of the banks lent to situations without one ("" when none may be lent)
    drift: int = 0  # rows added or removed since the situation models were fitted (see engine.drift)
    next_vid: int = 0  # the id the next indexed text gets: an id is never given twice, so it names one text

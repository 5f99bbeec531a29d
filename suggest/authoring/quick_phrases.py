"""A shop's 千牛 quick phrases (分组 / 快捷编码 / 快捷短语) become replies of the home's situations.

A real shop starts from the quick phrases it already has: no ids, no situations, no buyer examples. Each 分组 is
assigned the home situation its phrases read like (the engine's situation scores of the phrase texts, averaged over
the group, and the similarity of the group's name to the situation's name), with a confidence; a group that fits no
situation becomes a new situation named after it. The situations keep their buyer-intent banks, so the imported
phrases are understood from day one.

A phrase whose text is already a reply of the home (after filling the shop's placeholders, as the 千牛 export does)
keeps that reply as it is: the project's own 千牛 export imports back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..corpus.files import SHORTCUT_PATTERN, RawReply, check_corpus
from ..corpus.problems import describe
from ..corpus.profile import PER_CONVERSATION, fill
from ..corpus.spreadsheet import QuickPhrase
from ..engine.build import OOS
from ..engine.suggester import Suggester
from ..engine.text import normalize
from ..records import Corpus, Problem, Reply, Situation

NEW_SITUATION_BELOW = 0.36  # a group whose best situation is less certain than this becomes a situation of its own
NAME_BASELINE = 0.7  # cosine of two unrelated short situation names under m3e-small
CONFIDENCE_SPAN = 0.5  # meaning + name evidence at which a group is certain
UNGROUPED = "未分组"


@dataclass(frozen=True)
class GroupAssignment:
    group: str  # the sheet's 分组 ("" for phrases without one)
    situation: str  # the situation its phrases go to
    name: str  # that situation's name
    confidence: float  # 0..1
    new: bool  # a situation created for this group
    phrases: int
    alternatives: tuple[tuple[str, float], ...] = ()  # the next best situations, for an editor to choose


@dataclass
class PhraseImport:
    corpus: Corpus  # the home's corpus after the import
    groups: list[GroupAssignment]
    added: list[Reply] = field(default_factory=list)
    unchanged: list[Reply] = field(default_factory=list)  # phrases that are already replies of the home
    removed: list[Reply] = field(default_factory=list)  # with `replace`: the home's replies no phrase kept
    notes: list[Problem] = field(default_factory=list)  # e.g. a 快捷编码 dropped because it was taken (at its row)
    rows: dict[str, str] = field(default_factory=dict)  # added reply id -> the sheet's "file:line"

    def format(self) -> str:
        lines = [f"{len(self.added)} new replies, {len(self.unchanged)} unchanged, {len(self.removed)} removed"]
        for g in self.groups:
            target = f"new situation {g.situation} ({g.name})" if g.new else f"{g.situation} ({g.name})"
            lines.append(f"  {g.group or UNGROUPED}: {g.phrases} phrase(s) -> {target}, confidence {g.confidence:.2f}")
        return "\n".join(lines + [f"  note: {describe(n)}" for n in self.notes])


def assign_groups(engine: Suggester, phrases: list[QuickPhrase],
                  overrides: dict[str, str] | None = None) -> list[GroupAssignment]:
    """Each 分组's situation with a confidence; `overrides` (分组 -> situation id) are an editor's choices."""
    overrides = overrides or {}
    situations = engine.corpus.situations
    labels = [label for label in engine.labels if label != OOS and label in situations]
    columns = [engine.labels.index(label) for label in labels]
    scores = engine.score([normalize(p.text) or p.text for p in phrases]).situations[:, columns]
    groups: dict[str, list[int]] = {}
    for i, phrase in enumerate(phrases):
        groups.setdefault(phrase.group, []).append(i)
    named = [g for g in groups if g]
    name_sims = np.zeros((len(named), len(labels)), dtype=np.float32)
    if named and labels:
        vectors = engine.embedder.encode([normalize(g) or g for g in named] + [situations[s].name for s in labels])
        name_sims = vectors[:len(named)] @ vectors[len(named):].T
    taken = set(situations)
    out = []
    for group, rows in groups.items():
        meaning = scores[rows].mean(axis=0)
        names = name_sims[named.index(group)] if group else np.full(len(labels), NAME_BASELINE, dtype=np.float32)
        # Two short Chinese names are ~0.7 alike whatever they mean: only what lies above that says anything.
        confidence = np.clip((meaning + names - NAME_BASELINE) / CONFIDENCE_SPAN, 0.0, 1.0)
        order = np.argsort(-confidence)
        best = int(order[0]) if len(order) else -1
        alternatives = tuple((labels[int(j)], round(float(confidence[j]), 3)) for j in order[1:4])
        if group in overrides and overrides[group] in situations:
            sid = overrides[group]
            out.append(GroupAssignment(group, sid, situations[sid].name, 1.0, False, len(rows), alternatives))
        elif best >= 0 and confidence[best] >= NEW_SITUATION_BELOW:
            sid = labels[best]
            out.append(GroupAssignment(group, sid, situations[sid].name, round(float(confidence[best]), 3), False,
                                       len(rows), ((sid, round(float(confidence[best]), 3)),) + alternatives))
        else:
            sid = _new_id(taken)
            taken.add(sid)
            out.append(GroupAssignment(group, sid, group or UNGROUPED, round(float(confidence[best]), 3)
                                       if best >= 0 else 0.0, True, len(rows), alternatives))
    return out


def import_quick_phrases(engine: Suggester, phrases: list[QuickPhrase], replace: bool = False,
                         overrides: dict[str, str] | None = None) -> PhraseImport:
    """The home's corpus with the phrases added (or, with `replace`, instead of its replies); situations and their
    banks stay. Raises CorpusError naming the row when a phrase cannot become a reply."""
    base = engine.corpus
    profile = engine.profile.values()
    groups = assign_groups(engine, phrases, overrides)
    target = {g.group: g for g in groups}
    situations = dict(base.situations)
    for g in groups:
        if g.new:
            situations[g.situation] = Situation(id=g.situation, name=g.name, stage="general",
                                                description=f"千牛快捷短语分组“{g.group or UNGROUPED}”导入")
    existing = {fill(r.text, profile)[0]: r for r in base.replies.values()}
    kept: dict[str, Reply] = {} if replace else dict(base.replies)
    result = PhraseImport(corpus=base, groups=groups)
    shortcuts = {r.shortcut for r in kept.values() if r.shortcut}
    raws: list[RawReply] = []
    numbers: dict[str, int] = {}
    for phrase in phrases:
        same = existing.get(phrase.text) or existing.get(fill(phrase.text, profile)[0])
        if same is not None:
            kept[same.id] = same
            result.unchanged.append(same)
            if same.shortcut:
                shortcuts.add(same.shortcut)
            continue
        sid = target[phrase.group].situation
        shortcut = phrase.shortcut.lower() or None
        if shortcut and (not SHORTCUT_PATTERN.match(shortcut) or shortcut in shortcuts):
            result.notes.append(Problem("", "shortcut_dropped_taken" if shortcut in shortcuts
                                        else "shortcut_dropped_invalid", {"shortcut": phrase.shortcut}, phrase.where))
            shortcut = None
        if shortcut:
            shortcuts.add(shortcut)
        rid = _next_reply_id(sid, set(base.replies) | set(kept) | {r.data["id"] for r in raws}, numbers)
        raws.append(RawReply({"id": rid, "situation": sid, "text": with_placeholders(phrase.text, profile),
                              "examples": [], "shortcut": shortcut}, phrase.where))
    corpus = check_corpus(situations, [RawReply(r.to_dict(), r.id) for r in kept.values()] + raws)
    result.corpus = corpus
    result.added = [corpus.replies[r.data["id"]] for r in raws]
    result.rows = {r.data["id"]: r.where for r in raws}
    result.removed = [r for r in base.replies.values() if r.id not in corpus.replies]
    return result


def with_placeholders(text: str, profile: dict[str, str]) -> str:
    """The shop's own values written back as placeholders ("暖暖小铺" -> "{店铺名}"), longest first, so that a
    changed shop name or fee reaches every imported reply. A value starting or ending with a digit is replaced only
    where no digit touches it ("8元" is the fee, "198元" is not)."""
    values = sorted(((v, k) for k, v in profile.items() if k not in PER_CONVERSATION and len(v) >= 2),
                    key=lambda item: -len(item[0]))
    for value, name in values:
        pattern = re.escape(value)
        if value[0].isdigit():
            pattern = r"(?<![0-9.])" + pattern
        if value[-1].isdigit():
            pattern += r"(?![0-9])"
        text = re.sub(pattern, "{" + name + "}", text)
    return text


def _new_id(taken: set[str]) -> str:
    n = 1
    while f"group-{n}" in taken:
        n += 1
    return f"group-{n}"


def _next_reply_id(situation: str, taken: set[str], numbers: dict[str, int]) -> str:
    n = numbers.get(situation, 0)
    while True:
        n += 1
        candidate = f"{situation}-{n:02d}"
        if candidate not in taken:
            numbers[situation] = n
            return candidate

"""Replies and situations as the editor pages and the JSON API show them.

What a page shows (names next to ids, stage names, compliance flags, versions, counts) changes with the pages,
not with the rules for saving; keeping it here keeps the service about changes.
"""

from __future__ import annotations

import re
from typing import Callable

from ..corpus import compliance
from ..records import STAGE_NAMES, STAGES, Corpus, Reply, Situation
from .snapshots import reply_version, situation_version

FindingsOf = Callable[[str, tuple[str, ...]], list[compliance.Finding]]  # a reply text's findings, given its requires
_STAGE_ORDER = {stage: i for i, stage in enumerate(STAGES)}


def _natural(text: str) -> tuple:
    """bargain-2 before bargain-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text))


def situation_order(situation: Situation) -> tuple:
    """How the pages list situations: by stage (售前, 售中, 售后, 通用), then Chinese name; the id only breaks ties."""
    return (_STAGE_ORDER.get(situation.stage, len(STAGES)), situation.name, _natural(situation.id))


def reply_order(reply: Reply, corpus: Corpus) -> tuple:
    """How the pages list replies: by their situation (situation_order), then id in natural order."""
    situation = corpus.situations.get(reply.situation)
    where = situation_order(situation) if situation else (len(STAGES) + 1, reply.situation, ())
    return (where, _natural(reply.id))


def reply_dict(reply: Reply, corpus: Corpus, compliance_of: FindingsOf) -> dict:
    situation = corpus.situations.get(reply.situation)
    findings = compliance_of(reply.text, reply.requires)
    flag = "block" if compliance.blocking(findings) else "warn" if findings else None
    return {**reply.to_dict(), "version": reply_version(reply),
            "situation_name": situation.name if situation else reply.situation,
            "stage_name": STAGE_NAMES.get(reply.stage, reply.stage),
            "follows_situation_stage": bool(situation and situation.stage == reply.stage),
            "compliance": flag, "findings": [f.to_dict() for f in findings]}


def situation_dict(situation: Situation, corpus: Corpus) -> dict:
    replies = corpus.replies_of(situation.id)
    return {**situation.to_dict(), "version": situation_version(situation),
            "stage_name": STAGE_NAMES.get(situation.stage, situation.stage),
            "replies": len(replies), "active": sum(1 for r in replies if not r.retired)}


def list_replies(corpus: Corpus, compliance_of: FindingsOf, situation: str | None = None, stage: str | None = None,
                 tag: str | None = None, text: str | None = None, status: str = "all",
                 flagged: bool = False) -> list[dict]:
    needle = (text or "").strip().lower()
    out = []
    for reply in sorted(corpus.replies.values(), key=lambda r: reply_order(r, corpus)):
        if situation and reply.situation != situation:
            continue
        if stage and reply.stage != stage:
            continue
        if tag and tag not in reply.tags:
            continue
        if status == "active" and reply.retired or status == "retired" and not reply.retired:
            continue
        if needle:
            haystack = " ".join([reply.id, reply.text, reply.shortcut or "", *reply.examples, *reply.tags]).lower()
            if needle not in haystack:
                continue
        item = reply_dict(reply, corpus, compliance_of)
        if flagged and not item["compliance"]:
            continue
        out.append(item)
    return out


def list_situations(corpus: Corpus) -> list[dict]:
    return [situation_dict(s, corpus) for s in sorted(corpus.situations.values(), key=situation_order)]


def tags(corpus: Corpus) -> list[str]:
    counts: dict[str, int] = {}
    for reply in corpus.replies.values():
        for tag in reply.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))

"""Replies and situations as plain dicts: the versions an edit starts from and the states history records.

Conflict detection compares versions and revert rebuilds records from recorded states; both must agree on one
plain form of a reply or situation, so that form lives here and nowhere else.
"""

from __future__ import annotations

import hashlib
import json

from .history import empty_state
from ..records import Corpus, Reply, Situation


def _digest(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def reply_version(reply: Reply) -> str:
    """The version an edit starts from. Unlike `Reply.index_digest` (what the index depends on), it covers every
    field, tags and 快捷编码 included: two editors changing only the tags still conflict."""
    return _digest(reply.to_dict())


def situation_version(situation: Situation) -> str:
    return _digest(situation.to_dict())


def reply_from_dict(data: dict) -> Reply:
    return Reply(id=data["id"], situation=data["situation"], stage=data["stage"], text=data["text"],
                 examples=tuple(data.get("examples") or ()), tags=tuple(data.get("tags") or ()),
                 shortcut=data.get("shortcut") or None, retired=bool(data.get("retired")),
                 requires=tuple(data.get("requires") or ()), campaign=data.get("campaign") or None)


def situation_from_dict(data: dict) -> Situation:
    return Situation(id=data["id"], name=data["name"], stage=data["stage"], description=data.get("description") or "",
                     examples=tuple(data.get("examples") or ()))


def corpus_state(corpus: Corpus, reply_ids: set[str], situation_ids: set[str]) -> dict:
    state = empty_state()
    for rid in sorted(reply_ids):
        reply = corpus.replies.get(rid)
        state["replies"][rid] = reply.to_dict() if reply else None
    for sid in sorted(situation_ids):
        situation = corpus.situations.get(sid)
        state["situations"][sid] = situation.to_dict() if situation else None
    return state


def overlay(corpus: Corpus, state: dict) -> tuple[dict[str, Situation], dict[str, Reply]]:
    """`corpus`'s situations and replies with a recorded state laid over them (None in the state: removed):
    a revert lays the before-state, finishing an interrupted change the after-state."""
    return (_laid(corpus.situations, state["situations"], situation_from_dict),
            _laid(corpus.replies, state["replies"], reply_from_dict))


def _laid(items: dict, recorded: dict, build) -> dict:
    """`items` with each recorded record built over its own (None: removed)."""
    out = dict(items)
    for key, data in recorded.items():
        if data is None:
            out.pop(key, None)
        else:
            out[key] = build(data)
    return out


def touched_situations(before: dict, after: dict) -> set[str]:
    """The situation files a change writes: its situations, and the situations its replies left or joined."""
    return set(before["situations"]) | set(after["situations"]) | {
        data["situation"] for state in (before, after) for data in state["replies"].values() if data}

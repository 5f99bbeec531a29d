"""The corpus on disk: one YAML file per situation under corpus/situations/, plus corpus/shop.yaml.

Loading validates everything and raises one CorpusError listing every problem with file, line and field;
nothing is half-loaded. Writing is atomic (temporary file, then rename), so an editor's crash never leaves a
truncated file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import CorpusError
from .profile import CAMPAIGN_PLACEHOLDERS, KNOWN_PLACEHOLDERS, TIMING, ShopProfile, describe, placeholders
from ..records import STAGES, Corpus, Reply, Situation

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
SHORTCUT_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")
MAX_REPLY_CHARS = 500
MAX_EXAMPLE_CHARS = 200
SITUATIONS_DIR = "situations"
SITUATION_FIELDS = {"id", "name", "stage", "description", "examples", "replies"}


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping and of each of its keys, so errors can point at them."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {key_node.value: key_node.start_mark.line + 1 for key_node, _ in node.value}
    return _Located(mapping, node.start_mark.line + 1, lines)


class _Located(dict):
    def __init__(self, data: dict, line: int, lines: dict[str, int]) -> None:
        super().__init__(data)
        self.line = line
        self.lines = lines

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class RawReply:
    """A reply as it arrives from any source (YAML, JSONL, CSV, the editor), before validation."""

    data: dict
    where: str  # "file:line" for messages


def _text_list(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    return None


def _problem(data: dict, where: str, field: str, message: str) -> str:
    """'file:line: field 'x': message', pointing at the field's own line when the YAML loader recorded it."""
    line = data.line_of(field) if isinstance(data, _Located) else None
    loc = re.sub(r":\d+$", f":{line}", where) if line else where
    return f"{loc}: field '{field}': {message}"


REPLY_FIELDS = frozenset({"id", "situation", "stage", "text", "examples", "tags", "shortcut", "retired", "requires",
                          "campaign"})


def validate_reply(raw: dict, where: str, situations: dict[str, Situation], problems: list[str]) -> Reply | None:
    """One reply's fields checked; problems appended as 'where: field: message'."""
    start = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(_problem(raw, where, field, message))

    rid = raw.get("id")
    if not isinstance(rid, str) or not ID_PATTERN.match(rid):
        bad("id", f"must be lowercase letters, digits, '-' or '_' (got {rid!r})")
    situation = raw.get("situation")
    if not isinstance(situation, str) or situation not in situations:
        bad("situation", f"unknown situation {situation!r}")
        situation = None
    stage = raw.get("stage") or (situations[situation].stage if situation else None)
    if stage not in STAGES:
        bad("stage", f"must be one of {', '.join(STAGES)} (got {stage!r})")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        bad("text", "is required and may not be empty")
    elif len(text) > MAX_REPLY_CHARS:
        bad("text", f"is {len(text)} characters; at most {MAX_REPLY_CHARS}")
    # A reply may come without examples (a 千牛 quick phrase): its situation's bank understands the buyer.
    examples = _text_list(raw.get("examples") or [])
    if examples is None or not all(e.strip() for e in examples):
        bad("examples", "must be a list of non-empty example buyer messages")
    elif any(len(e) > MAX_EXAMPLE_CHARS for e in examples):
        bad("examples", f"an example is longer than {MAX_EXAMPLE_CHARS} characters")
    tags = _text_list(raw.get("tags", []) or [])
    if tags is None:
        bad("tags", "must be a list of words")
    shortcut = raw.get("shortcut")
    if shortcut is not None:
        shortcut = str(shortcut).strip().lower() or None
        if shortcut and not SHORTCUT_PATTERN.match(shortcut):
            bad("shortcut", f"must be 1-16 lowercase letters or digits (got {shortcut!r})")
    retired = raw.get("retired", False)
    if retired in ("", None, "0", "false", "False"):
        retired = False
    elif retired in ("1", "true", "True"):
        retired = True
    if not isinstance(retired, bool):
        bad("retired", f"must be true or false (got {retired!r})")
    requires = _text_list(raw.get("requires", []) or [])
    if requires is None:
        bad("requires", "must be a list of yes/no facts of shop.yaml (e.g. [花呗])")
    campaign = raw.get("campaign")
    if campaign is not None and (not isinstance(campaign, str) or not campaign.strip()):
        bad("campaign", f"must be the name of a campaign in shop.yaml (got {campaign!r})")
    unknown = set(raw) - REPLY_FIELDS
    for key in sorted(unknown):
        bad(key, "unknown field")
    if len(problems) > start:
        return None
    return Reply(id=rid, situation=situation, stage=stage, text=text.strip(),
                 examples=tuple(e.strip() for e in examples), tags=tuple(t.strip() for t in tags if t.strip()),
                 shortcut=shortcut, retired=retired, requires=tuple(r.strip() for r in requires if r.strip()),
                 campaign=campaign.strip() if campaign else None)


def check_corpus(situations: dict[str, Situation], raws: list[RawReply]) -> Corpus:
    """Validate replies against situations and each other; raise CorpusError with every problem found."""
    problems: list[str] = []
    replies: dict[str, Reply] = {}
    seen_where: dict[str, str] = {}
    shortcuts: dict[str, str] = {}
    for raw in raws:
        reply = validate_reply(raw.data, raw.where, situations, problems)
        if reply is None:
            continue
        if reply.id in replies:
            problems.append(f"{raw.where}: field 'id': duplicate reply id {reply.id!r} (first at {seen_where[reply.id]})")
            continue
        if reply.shortcut and reply.shortcut in shortcuts:
            problems.append(f"{raw.where}: field 'shortcut': {reply.shortcut!r} is already used by {shortcuts[reply.shortcut]}")
            continue
        replies[reply.id] = reply
        seen_where[reply.id] = raw.where
        if reply.shortcut:
            shortcuts[reply.shortcut] = reply.id
    if problems:
        raise CorpusError(problems)
    return Corpus(situations=dict(situations), replies=replies)


def validate_situation(data: dict, where: str, problems: list[str], expected_id: str | None = None) -> Situation | None:
    start = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(_problem(data, where, field, message))

    sid = data.get("id")
    if not isinstance(sid, str) or not ID_PATTERN.match(sid):
        bad("id", f"must be lowercase letters, digits, '-' or '_' (got {sid!r})")
    elif expected_id and sid != expected_id:
        bad("id", f"is {sid!r} but the file is named {expected_id}.yaml")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("name", "is required")
    if data.get("stage") not in STAGES:
        bad("stage", f"must be one of {', '.join(STAGES)} (got {data.get('stage')!r})")
    description = data.get("description") or ""
    if not isinstance(description, str):
        bad("description", "must be text")
    examples = _text_list(data.get("examples") or [])
    if examples is None or not all(e.strip() for e in examples):
        bad("examples", "must be a list of non-empty example buyer messages")
    elif any(len(e) > MAX_EXAMPLE_CHARS for e in examples):
        bad("examples", f"an example is longer than {MAX_EXAMPLE_CHARS} characters")
    for key in sorted(set(data) - SITUATION_FIELDS):
        bad(key, "unknown field")
    if len(problems) > start:
        return None
    return Situation(id=sid, name=name.strip(), stage=data["stage"], description=description.strip(),
                     examples=tuple(dict.fromkeys(e.strip() for e in examples)))


def load_corpus(corpus_dir: Path) -> Corpus:
    folder = corpus_dir / SITUATIONS_DIR
    if not folder.is_dir():
        raise CorpusError([f"{folder}: no such directory (a corpus needs situations/<id>.yaml files)"])
    problems: list[str] = []
    situations: dict[str, Situation] = {}
    raws: list[RawReply] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except UnicodeDecodeError:
            problems.append(f"{path}:1: not UTF-8 text")
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML ({getattr(exc, 'problem', exc)})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}:1: expected a mapping with id, name, stage, description, replies")
            continue
        situation = validate_situation(data, f"{path}:{data.line}", problems, expected_id=path.stem)
        if situation is None:
            continue
        if situation.id in situations:
            problems.append(f"{path}:{data.line}: field 'id': duplicate situation {situation.id!r}")
            continue
        situations[situation.id] = situation
        replies = data.get("replies") or []
        if not isinstance(replies, list):
            problems.append(f"{path}:{data.line_of('replies')}: field 'replies': must be a list")
            continue
        for item in replies:
            if not isinstance(item, dict):
                problems.append(f"{path}:{data.line_of('replies')}: field 'replies': every item must be a mapping")
                continue
            item = _Located({**item, "situation": item.get("situation", situation.id)}, getattr(item, "line", data.line),
                            getattr(item, "lines", {}))
            raws.append(RawReply(item, f"{path}:{item.line}"))
    try:
        corpus = check_corpus(situations, raws)
    except CorpusError as exc:
        problems.extend(exc.problems)
    if problems:
        raise CorpusError(problems)
    return corpus


def lint(corpus: Corpus, profile: ShopProfile) -> list[str]:
    """Warnings that do not stop loading but that an editor should see."""
    warnings = []
    known = set(KNOWN_PLACEHOLDERS) | profile.names()
    for reply in corpus.replies.values():
        if len(reply.examples) < 3 and not corpus.situations[reply.situation].examples:
            warnings.append(f"reply {reply.id}: only {len(reply.examples)} example message(s); 3 or more match better")
        for name in dict.fromkeys(placeholders(reply.text)):
            if name not in known:
                warnings.append(f"reply {reply.id}: unknown placeholder {{{name}}}")
        if not reply.campaign and any(name in CAMPAIGN_PLACEHOLDERS for name in placeholders(reply.text)):
            warnings.append(f"reply {reply.id}: uses a campaign's placeholder but names no campaign (campaign:); "
                            "it is suggested whenever any campaign runs")
        for problem in profile.unmet(reply):
            if problem.code not in TIMING and not reply.retired:
                warnings.append(f"reply {reply.id}: never suggested: {describe(problem).removeprefix('field ')}")
        for name in profile.missing(reply):
            if name in known and name not in CAMPAIGN_PLACEHOLDERS:
                warnings.append(f"reply {reply.id}: placeholder {{{name}}} has no value in shop.yaml")
    # one buyer message under two situations teaches the engine both: the second place is named
    places = [(f"reply {r.id}", r.id, r.situation, r.examples) for r in corpus.replies.values()]
    places += [(f"situation {s.id}", s.id, s.id, s.examples) for s in corpus.situations.values()]
    first_owner: dict[str, tuple[str, str]] = {}  # example -> (where it first stands, that place's situation)
    for label, name, situation, examples in places:
        for example in examples:
            owner, owner_situation = first_owner.setdefault(example, (name, situation))
            if owner_situation != situation:
                warnings.append(f"{label}: example {example!r} also stands under {owner} ({owner_situation})")
    for sid in corpus.situations:
        if not corpus.replies_of(sid):
            warnings.append(f"situation {sid}: has no replies")
    return warnings


def reply_hash(reply: Reply) -> str:
    """What the index depends on for one reply; a change here means its vectors must be recomputed."""
    payload = json.dumps([reply.situation, reply.stage, reply.text, list(reply.examples), reply.retired],
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def bank_hash(situation: Situation) -> str:
    """What the index depends on for one situation's buyer-intent bank."""
    payload = json.dumps([situation.id, list(situation.examples)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def corpus_hash(corpus: Corpus) -> str:
    payload = json.dumps(
        [sorted((s.id, s.stage, bank_hash(s)) for s in corpus.situations.values()),
         sorted((r.id, reply_hash(r)) for r in corpus.replies.values())],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


# ---- writing -------------------------------------------------------------------------------------------------

def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Dumper(yaml.SafeDumper):
    """Writes corpus files the way editors write them by hand: nested lists indented, tags on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


class _OneLine(list):
    pass


_Dumper.add_representer(_OneLine, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=True))


def situation_yaml(situation: Situation, replies: list[Reply]) -> str:
    data = {"id": situation.id, "name": situation.name, "stage": situation.stage,
            "description": situation.description}
    if situation.examples:
        data["examples"] = list(situation.examples)
    data["replies"] = []
    for reply in replies:
        item = {"id": reply.id, "text": reply.text, "examples": list(reply.examples), "tags": _OneLine(reply.tags)}
        if reply.stage != situation.stage:
            item["stage"] = reply.stage
        if reply.shortcut:
            item["shortcut"] = reply.shortcut
        if reply.requires:
            item["requires"] = _OneLine(reply.requires)
        if reply.campaign:
            item["campaign"] = reply.campaign
        if reply.retired:
            item["retired"] = True
        data["replies"].append(item)
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)


def write_corpus(corpus: Corpus, corpus_dir: Path) -> None:
    """Replace corpus/situations/ as a whole: written beside it, then swapped in by renames."""
    folder = corpus_dir / SITUATIONS_DIR
    corpus_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".situations-new-", dir=corpus_dir))
    for situation in sorted(corpus.situations.values(), key=lambda s: s.id):
        atomic_write(staging / f"{situation.id}.yaml", situation_yaml(situation, corpus.replies_of(situation.id)))
    old = corpus_dir / f".situations-old-{os.getpid()}"
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    if old.exists():
        for path in old.iterdir():
            path.unlink()
        old.rmdir()


def write_situation(corpus: Corpus, corpus_dir: Path, situation_id: str) -> None:
    """Rewrite one situation's file (the editor's unit of change)."""
    path = corpus_dir / SITUATIONS_DIR / f"{situation_id}.yaml"
    if situation_id not in corpus.situations:
        path.unlink(missing_ok=True)
        return
    atomic_write(path, situation_yaml(corpus.situations[situation_id], corpus.replies_of(situation_id)))

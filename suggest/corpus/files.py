"""The corpus on disk: one YAML file per situation under corpus/situations/, plus corpus/shop.yaml.

Loading validates everything and raises one CorpusError listing every problem (suggest.records.Problem: field,
code, values and file:line; each interface words them, see corpus.problems); nothing is half-loaded. Writing is
atomic (temporary file, then rename), so an editor's crash never leaves a truncated file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import CorpusError
from .problems import describe
from .profile import CAMPAIGN_PLACEHOLDERS, KNOWN_PLACEHOLDERS, TIMING, ShopProfile, placeholders
from ..records import STAGES, Corpus, Problem, Reply, Situation

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
SHORTCUT_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")
MAX_REPLY_CHARS = 500
MAX_EXAMPLE_CHARS = 200
MIN_GOOD_EXAMPLES = 3  # fewer example messages than this (and no situation bank) match less well
SITUATIONS_DIR = "situations"
SITUATION_FIELDS = {"id", "name", "stage", "description", "examples", "replies"}


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Keeps the line of every mapping and of each of its keys, so errors can point at them. libyaml's parser where
    PyYAML was built with it: a corpus of 300 replies loads in 0.05 s instead of 0.6 s (a shop's first request)."""


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


def _where(data: dict, where: str, field: str) -> str:
    """`where` ("file:line") pointing at the field's own line when the YAML loader recorded it."""
    line = data.line_of(field) if isinstance(data, _Located) else None
    return re.sub(r":\d+$", f":{line}", where) if line else where


REPLY_FIELDS = frozenset({"id", "situation", "stage", "text", "examples", "tags", "shortcut", "retired", "requires",
                          "campaign"})


def validate_reply(raw: dict, where: str, situations: dict[str, Situation], problems: list[Problem]) -> Reply | None:
    """One reply's fields checked; a Problem appended for each bad field (placed at the field's line)."""
    start = len(problems)

    def bad(field: str, code: str, **values: object) -> None:
        problems.append(Problem(field, code, values, _where(raw, where, field)))

    rid = raw.get("id")
    if rid is None:
        bad("id", "missing")
    elif not isinstance(rid, str) or not ID_PATTERN.match(rid):
        bad("id", "bad_id", value=rid)
    situation = raw.get("situation")
    if not isinstance(situation, str) or situation not in situations:
        if situation is None:
            bad("situation", "missing")
        else:
            bad("situation", "unknown_situation", situation=situation)
        situation = None
    stage = raw.get("stage") or (situations[situation].stage if situation else None)
    if stage is None:
        bad("stage", "missing")
    elif stage not in STAGES:
        bad("stage", "bad_stage", value=stage, stages=STAGES)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        bad("text", "empty")
    elif len(text) > MAX_REPLY_CHARS:
        bad("text", "too_long", length=len(text), limit=MAX_REPLY_CHARS)
    # A reply may come without examples (a 千牛 quick phrase): its situation's bank understands the buyer.
    examples = _text_list(raw.get("examples") or [])
    if examples is None or not all(e.strip() for e in examples):
        bad("examples", "bad_examples")
    elif any(len(e) > MAX_EXAMPLE_CHARS for e in examples):
        bad("examples", "example_too_long", limit=MAX_EXAMPLE_CHARS)
    tags = _text_list(raw.get("tags", []) or [])
    if tags is None:
        bad("tags", "not_word_list")
    shortcut = raw.get("shortcut")
    if shortcut is not None:
        shortcut = str(shortcut).strip().lower() or None
        if shortcut and not SHORTCUT_PATTERN.match(shortcut):
            bad("shortcut", "bad_shortcut", value=shortcut)
    retired = raw.get("retired", False)
    if retired in ("", None, "0", "false", "False"):
        retired = False
    elif retired in ("1", "true", "True"):
        retired = True
    if not isinstance(retired, bool):
        bad("retired", "not_yes_no", value=retired)
    requires = _text_list(raw.get("requires", []) or [])
    if requires is None:
        bad("requires", "bad_requires")
    campaign = raw.get("campaign")
    if campaign is not None and (not isinstance(campaign, str) or not campaign.strip()):
        bad("campaign", "bad_campaign", value=campaign)
    unknown = set(raw) - REPLY_FIELDS
    for key in sorted(unknown):
        bad(key, "unknown_field")
    if len(problems) > start:
        return None
    return Reply(id=rid, situation=situation, stage=stage, text=text.strip(),
                 examples=tuple(e.strip() for e in examples), tags=tuple(t.strip() for t in tags if t.strip()),
                 shortcut=shortcut, retired=retired, requires=tuple(r.strip() for r in requires if r.strip()),
                 campaign=campaign.strip() if campaign else None)


def check_corpus(situations: dict[str, Situation], raws: list[RawReply]) -> Corpus:
    """Validate replies against situations and each other; raise CorpusError with every problem found."""
    problems: list[Problem] = []
    replies: dict[str, Reply] = {}
    seen_where: dict[str, str] = {}
    shortcuts: dict[str, str] = {}
    for raw in raws:
        reply = validate_reply(raw.data, raw.where, situations, problems)
        if reply is None:
            continue
        if reply.id in replies:
            problems.append(Problem("id", "duplicate_reply", {"id": reply.id, "first": seen_where[reply.id]},
                                    raw.where))
            continue
        if reply.shortcut and reply.shortcut in shortcuts:
            problems.append(Problem("shortcut", "shortcut_taken", {"shortcut": reply.shortcut,
                                                                    "owner": shortcuts[reply.shortcut]}, raw.where))
            continue
        replies[reply.id] = reply
        seen_where[reply.id] = raw.where
        if reply.shortcut:
            shortcuts[reply.shortcut] = reply.id
    if problems:
        raise CorpusError(problems)
    return Corpus(situations=dict(situations), replies=replies)


def validate_situation(data: dict, where: str, problems: list[Problem],
                       expected_id: str | None = None) -> Situation | None:
    """One situation's fields checked (`expected_id`: the name of its file); a Problem appended for each."""
    start = len(problems)

    def bad(field: str, code: str, **values: object) -> None:
        problems.append(Problem(field, code, values, _where(data, where, field)))

    sid = data.get("id")
    if sid is None:
        bad("id", "missing")
    elif not isinstance(sid, str) or not ID_PATTERN.match(sid):
        bad("id", "bad_id", value=sid)
    elif expected_id and sid != expected_id:
        bad("id", "id_mismatch", value=sid, expected=expected_id)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("name", "missing")
    if data.get("stage") is None:
        bad("stage", "missing")
    elif data.get("stage") not in STAGES:
        bad("stage", "bad_stage", value=data.get("stage"), stages=STAGES)
    description = data.get("description") or ""
    if not isinstance(description, str):
        bad("description", "not_string")
    examples = _text_list(data.get("examples") or [])
    if examples is None or not all(e.strip() for e in examples):
        bad("examples", "bad_examples")
    elif any(len(e) > MAX_EXAMPLE_CHARS for e in examples):
        bad("examples", "example_too_long", limit=MAX_EXAMPLE_CHARS)
    for key in sorted(set(data) - SITUATION_FIELDS):
        bad(key, "unknown_field")
    if len(problems) > start:
        return None
    return Situation(id=sid, name=name.strip(), stage=data["stage"], description=description.strip(),
                     examples=tuple(dict.fromkeys(e.strip() for e in examples)))


def load_corpus(corpus_dir: Path) -> Corpus:
    folder = corpus_dir / SITUATIONS_DIR
    if not folder.is_dir():
        raise CorpusError([Problem("", "no_situations_dir", {}, str(folder))])
    problems: list[Problem] = []
    situations: dict[str, Situation] = {}
    raws: list[RawReply] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except UnicodeDecodeError:
            problems.append(Problem("", "not_utf8", {}, f"{path}:1"))
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(Problem("", "bad_yaml", {"problem": str(getattr(exc, "problem", None) or exc)},
                                    f"{path}:{mark.line + 1 if mark else 1}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem("", "not_situation_file", {}, f"{path}:1"))
            continue
        situation = validate_situation(data, f"{path}:{data.line}", problems, expected_id=path.stem)
        if situation is None:
            continue
        if situation.id in situations:
            problems.append(Problem("id", "duplicate_situation", {"id": situation.id}, f"{path}:{data.line}"))
            continue
        situations[situation.id] = situation
        replies = data.get("replies") or []
        if not isinstance(replies, list):
            problems.append(Problem("replies", "replies_not_list", {}, f"{path}:{data.line_of('replies')}"))
            continue
        for item in replies:
            if not isinstance(item, dict):
                problems.append(Problem("replies", "reply_not_mapping", {}, f"{path}:{data.line_of('replies')}"))
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


def lint_problems(corpus: Corpus, profile: ShopProfile) -> list[Problem]:
    """What does not stop loading but an editor should see, each placed at its reply or situation."""
    found: list[Problem] = []
    known = set(KNOWN_PLACEHOLDERS) | profile.names()
    for reply in corpus.replies.values():
        at = f"reply {reply.id}"
        if len(reply.examples) < MIN_GOOD_EXAMPLES and not corpus.situations[reply.situation].examples:
            found.append(Problem("", "few_examples", {"count": len(reply.examples), "good": MIN_GOOD_EXAMPLES}, at))
        for name in dict.fromkeys(placeholders(reply.text)):
            if name not in known:
                found.append(Problem("", "unknown_placeholder", {"name": name}, at))
        if not reply.campaign and any(name in CAMPAIGN_PLACEHOLDERS for name in placeholders(reply.text)):
            found.append(Problem("", "campaign_placeholder", {}, at))
        for problem in profile.unmet(reply):
            if problem.code not in TIMING and not reply.retired:
                found.append(Problem("", "never_suggested", {"cause": problem}, at))
        for name in profile.missing(reply):
            if name in known and name not in CAMPAIGN_PLACEHOLDERS:
                found.append(Problem("", "no_value", {"name": name}, at))
    # one buyer message under two situations teaches the engine both: the second place is named
    places = [(f"reply {r.id}", r.id, r.situation, r.examples) for r in corpus.replies.values()]
    places += [(f"situation {s.id}", s.id, s.id, s.examples) for s in corpus.situations.values()]
    first_owner: dict[str, tuple[str, str]] = {}  # example -> (where it first stands, that place's situation)
    for at, name, situation, examples in places:
        for example in examples:
            owner, owner_situation = first_owner.setdefault(example, (name, situation))
            if owner_situation != situation:
                found.append(Problem("", "example_elsewhere", {"example": example, "owner": owner,
                                                               "situation": owner_situation}, at))
    for sid in corpus.situations:
        if not corpus.replies_of(sid):
            found.append(Problem("", "no_replies", {}, f"situation {sid}"))
    return found


def lint(corpus: Corpus, profile: ShopProfile) -> list[str]:
    """The lint's problems in English, for the CLI."""
    return [describe(problem) for problem in lint_problems(corpus, profile)]


def bank_hash(situation: Situation) -> str:
    """What the index depends on for one situation's buyer-intent bank."""
    payload = json.dumps([situation.id, list(situation.examples)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def corpus_hash(corpus: Corpus) -> str:
    """What the index was built from, as one digest (the manifest's; the editor's base of an edit)."""
    digest = hashlib.sha256()
    for situation in sorted(corpus.situations.values(), key=lambda s: s.id):
        digest.update(f"{situation.id}\t{situation.stage}\t{bank_hash(situation)}\n".encode("utf-8"))
    replies = corpus.replies
    digest.update("".join(f"{rid}\t{replies[rid].index_digest}\n" for rid in sorted(replies)).encode("utf-8"))
    return digest.hexdigest()[:16]


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
# YAML reads these as line breaks: written raw (PyYAML's choice for a plain or literal string), a reply's \x85
# came back as a newline; double-quoted, they are escaped
_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style='"' if any(c in value for c in "\x85\u2028\u2029") else None))


def situation_yaml(situation: Situation, replies: list[Reply]) -> str:
    data = {"id": situation.id, "name": situation.name, "stage": situation.stage,
            "description": situation.description}
    if situation.examples:
        data["examples"] = list(situation.examples)
    if not replies:
        return _dump({**data, "replies": []})
    # each reply's lines are kept (an edit rewrites a situation of thousands of replies; dumping them all again
    # cost most of a save): the same lines the whole document's dump gives, as a test checks
    return _dump(data) + "replies:\n" + "".join(_reply_lines(reply, situation.stage) for reply in replies)


def _dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)


@lru_cache(maxsize=1 << 16)
def _reply_lines(reply: Reply, stage: str) -> str:
    """One reply as an item of its situation's `replies:` list (`stage`: the situation's)."""
    item = {"id": reply.id, "text": reply.text, "examples": list(reply.examples), "tags": _OneLine(reply.tags)}
    if reply.stage != stage:
        item["stage"] = reply.stage
    if reply.shortcut:
        item["shortcut"] = reply.shortcut
    if reply.requires:
        item["requires"] = _OneLine(reply.requires)
    if reply.campaign:
        item["campaign"] = reply.campaign
    if reply.retired:
        item["retired"] = True
    return "".join(f"  {line}" if line.strip() else line for line in _dump([item]).splitlines(keepends=True))


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

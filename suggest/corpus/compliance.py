"""Compliance lint for reply texts: words China's Advertising Law forbids, steering buyers off the platform,
and review manipulation the platforms penalise.

The rules are data (suggest/data/compliance.yaml, or any file with the same shape); each has a severity:
`block` findings stop a save, `warn` findings need the editor's explicit confirmation. Every finding names the
offending words, as they appear in the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ..errors import ConfigError

SEVERITIES = ("block", "warn")
_RANK = {"warn": 1, "block": 2}


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    message: str
    pattern: re.Pattern  # every word and pattern of the rule, as one alternation
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str  # block | warn
    word: str  # the offending words, as written in the text
    message: str
    start: int = 0  # position in the text (after NFKC normalisation, which keeps Chinese text as is)
    end: int = 0

    def to_dict(self) -> dict:
        return {"rule": self.rule, "category": self.category, "severity": self.severity, "word": self.word,
                "message": self.message}


def _word_pattern(word: str) -> str:
    """A literal word that still matches when spaces are typed between its characters (加 微 信)."""
    chars = [re.escape(c) for c in unicodedata.normalize("NFKC", word).lower() if not c.isspace()]
    return r"\s*".join(chars)


def parse_rules(data: object, source: str = "compliance rules") -> tuple[Rule, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"{source}: expected a mapping with a 'rules' list")
    rules = []
    for number, item in enumerate(data["rules"], start=1):
        where = f"{source}: rule {number}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a mapping")
        rid = str(item.get("id") or f"rule-{number}")
        severity = item.get("severity")
        if severity not in SEVERITIES:
            raise ConfigError(f"{where} ({rid}): severity must be one of {', '.join(SEVERITIES)} (got {severity!r})")
        words = [str(w) for w in item.get("words") or [] if str(w).strip()]
        patterns = [str(p) for p in item.get("patterns") or []]
        if not words and not patterns:
            raise ConfigError(f"{where} ({rid}): needs 'words' or 'patterns'")
        # Longer words first: the alternation then reports 全网最低 rather than 最低.
        alternatives = [_word_pattern(w) for w in sorted(words, key=len, reverse=True)] + patterns
        try:
            pattern = re.compile("|".join(f"(?:{a})" for a in alternatives))
        except re.error as exc:
            raise ConfigError(f"{where} ({rid}): bad pattern ({exc})") from None
        allow = tuple(unicodedata.normalize("NFKC", str(a)).lower() for a in item.get("allow") or [])
        rules.append(Rule(id=rid, category=str(item.get("category") or rid), severity=severity,
                          message=str(item.get("message") or ""), pattern=pattern, allow=allow))
    return tuple(rules)


def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    """The rules from `path`, or the bundled suggest/data/compliance.yaml."""
    if path is None:
        return _bundled_rules()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read compliance rules ({exc})") from None
    return parse_rules(data, str(path))


@lru_cache(maxsize=1)
def _bundled_rules() -> tuple[Rule, ...]:
    text = resources.files("suggest.data").joinpath("compliance.yaml").read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text), "suggest/data/compliance.yaml")


def _normalized(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and lower case; Chinese text keeps its positions."""
    return unicodedata.normalize("NFKC", text).lower()


def check_text(text: str, rules: tuple[Rule, ...] | None = None) -> list[Finding]:
    """Findings for one reply text, most severe first; a warning inside a block finding is not repeated."""
    rules = _bundled_rules() if rules is None else rules
    norm = _normalized(text)
    found: list[Finding] = []
    for rule in rules:
        haystack = norm
        for phrase in rule.allow:  # blank out allowed phrases, keeping positions
            haystack = haystack.replace(phrase, "\0" * len(phrase))
        for match in rule.pattern.finditer(haystack):
            if match.end() == match.start():
                continue
            found.append(Finding(rule.id, rule.category, rule.severity, norm[match.start():match.end()].strip(),
                                 rule.message, match.start(), match.end()))
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (-_RANK[f.severity], f.start, -(f.end - f.start))):
        inside = any(k.start <= f.start and f.end <= k.end and _RANK[k.severity] >= _RANK[f.severity] for k in kept)
        if not inside:
            kept.append(f)
    unique: dict[tuple[str, str], Finding] = {}
    for f in kept:
        unique.setdefault((f.rule, f.word), f)
    return sorted(unique.values(), key=lambda f: (-_RANK[f.severity], f.start))


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "block"]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warn"]


def describe(findings: list[Finding]) -> str:
    """One line per rule, naming its words: for CLI output and error messages."""
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    lines = []
    for group in by_rule.values():
        first = group[0]
        words = "、".join(f"“{f.word}”" for f in group)
        label = "禁止" if first.severity == "block" else "提醒"
        lines.append(f"[{label}] {first.category}：{words}（{first.message}）")
    return "\n".join(lines)

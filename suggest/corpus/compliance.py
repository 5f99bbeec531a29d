"""Compliance lint for reply texts: words China's Advertising Law forbids, steering buyers off the platform,
review manipulation the platforms penalise, and shop facts written into the text instead of a {placeholder}.

The rules are data (suggest/data/compliance.yaml, or any file with the same shape); each has a severity:
`block` findings stop a save, `warn` findings need the editor's explicit confirmation. Every finding names the
offending words, as they appear in the text. A rule may name the shop facts to `use` instead (placeholders of
corpus/shop.yaml, see suggest.corpus.profile): its findings carry them and say so in their message.

Placeholders are never checked: `{发货时间}` is blanked out before the rules run. A rule with `unless_used` is
about whether the shop offers a fact at all (花呗, 价保): it is quiet when the reply already depends on that fact,
by its {placeholder} in the text or by `requires:` (passed as `requires`).
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
from .profile import FACT_BY_NAME, PLACEHOLDER

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
    use: tuple[str, ...] = ()  # the shop facts (placeholders) to write instead of the words
    unless_used: bool = False  # quiet when the reply depends on one of `use` ({placeholder} or requires:)


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str  # block | warn
    word: str  # the offending words, as written in the text
    message: str
    start: int = 0  # position in the text (after NFKC normalisation, which keeps Chinese text as is)
    end: int = 0
    use: tuple[str, ...] = ()  # the placeholders (shop facts) to write instead, if the rule names any

    def to_dict(self) -> dict:
        out = {"rule": self.rule, "category": self.category, "severity": self.severity, "word": self.word,
               "message": self.message}
        if self.use:
            out["use"] = list(self.use)
        return out


def _word_pattern(word: str) -> str:
    """A literal word that still matches when spaces are typed between its characters (加 微 信)."""
    chars = [re.escape(c) for c in unicodedata.normalize("NFKC", word).lower() if not c.isspace()]
    return r"\s*".join(chars)


def use_hint(use: tuple[str, ...]) -> str:
    """What to write instead, in the editor's language: {快递} for a placeholder, requires: for a yes/no fact."""
    values = [n for n in use if getattr(FACT_BY_NAME.get(n), "kind", "") != "yesno"]
    yesno = [n for n in use if n not in values]
    parts = []
    if values:
        parts.append("改用占位符 " + " 或 ".join(f"{{{n}}}" for n in values))
    if yesno:
        listed = ", ".join(yesno)
        shown = " ".join(f"{{{n}}}" for n in yesno)
        parts.append(f"在话术的 requires 里写明 [{listed}]，句中的“支持”写成 {shown}，店铺资料里不支持时就不推荐")
    return "；".join(parts)


def _use_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        raise ConfigError(f"{where}: 'use' must be a placeholder name or a list of them (e.g. use: 快递)")
    return tuple(v.strip().strip("{}") for v in items)


def _expand(pattern: str, defines: dict[str, str]) -> str:
    """A pattern with each {{name}} of the file's `define:` replaced by its regular expression (non-capturing)."""
    for name, regex in defines.items():
        others = {k: v for k, v in defines.items() if k != name}
        pattern = pattern.replace("{{" + str(name) + "}}", f"(?:{_expand(regex, others)})")
    return pattern


def parse_rules(data: object, source: str = "compliance rules") -> tuple[Rule, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"{source}: expected a mapping with a 'rules' list")
    defines = data.get("define") or {}
    if not isinstance(defines, dict) or not all(isinstance(v, str) for v in defines.values()):
        raise ConfigError(f"{source}: 'define' must map names to regular expressions")
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
        patterns = [_expand(str(p), defines) for p in item.get("patterns") or []]
        if not words and not patterns:
            raise ConfigError(f"{where} ({rid}): needs 'words' or 'patterns'")
        # Longer words first: the alternation then reports 全网最低 rather than 最低.
        alternatives = [_word_pattern(w) for w in sorted(words, key=len, reverse=True)] + patterns
        try:
            pattern = re.compile("|".join(f"(?:{a})" for a in alternatives))
        except re.error as exc:
            raise ConfigError(f"{where} ({rid}): bad pattern ({exc})") from None
        allow = tuple(unicodedata.normalize("NFKC", str(a)).lower() for a in item.get("allow") or [])
        use = _use_list(item.get("use"), f"{where} ({rid})")
        unless_used = item.get("unless_used", False)
        if not isinstance(unless_used, bool):
            raise ConfigError(f"{where} ({rid}): unless_used must be true or false (got {unless_used!r})")
        if unless_used and not use:
            raise ConfigError(f"{where} ({rid}): unless_used needs 'use' (the facts the reply may depend on)")
        message = str(item.get("message") or "")
        if use:
            message = f"{message}（{use_hint(use)}）" if message else use_hint(use)
        rules.append(Rule(id=rid, category=str(item.get("category") or rid), severity=severity,
                          message=message, pattern=pattern, allow=allow, use=use, unless_used=unless_used))
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


def _blank_placeholders(norm: str) -> tuple[str, set[str]]:
    """The text with every {placeholder} blanked out (positions kept), and the placeholders' names."""
    names: set[str] = set()

    def blank(match: re.Match) -> str:
        names.add(match.group(1))
        return "\0" * len(match.group(0))

    return PLACEHOLDER.sub(blank, norm), names


def check_text(text: str, rules: tuple[Rule, ...] | None = None, requires: tuple[str, ...] | list[str] = ()
               ) -> list[Finding]:
    """Findings for one reply text, most severe first; a warning inside a block finding is not repeated.
    `requires`: the reply's yes/no facts (its `requires:`), which make the facts it names legitimate."""
    rules = _bundled_rules() if rules is None else rules
    norm = _normalized(text)
    blanked, used = _blank_placeholders(norm)
    used |= {str(r).strip() for r in requires or ()}
    found: list[Finding] = []
    for rule in rules:
        if rule.unless_used and used.intersection(rule.use):
            continue
        haystack = blanked
        for phrase in rule.allow:  # blank out allowed phrases, keeping positions
            haystack = haystack.replace(phrase, "\0" * len(phrase))
        for match in rule.pattern.finditer(haystack):
            if match.end() == match.start():
                continue
            found.append(Finding(rule.id, rule.category, rule.severity, norm[match.start():match.end()].strip(),
                                 rule.message, match.start(), match.end(), rule.use))
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


def facts(findings: list[Finding]) -> list[Finding]:
    """The findings that are shop facts written into the text (rules that name placeholders to use)."""
    return [f for f in findings if f.use]


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

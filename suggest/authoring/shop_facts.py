"""Editing the shop's facts (corpus/shop.yaml) as editors edit replies: validated, recorded, revertible.

A save writes the whole file (each fact with its help as a comment), records the before and after text in the
history, and lays the new facts over the engine at once; other workers see the file's change on their next
request (`EditingService.refresh_if_changed`). Problems come back worded in Chinese, naming the field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from ..corpus.files import atomic_write
from ..corpus.profile import (CAMPAIGN_FIELDS, FACT_BY_NAME, FACTS, OTHER_SECTION, SECTIONS, TIMING, ShopProfile,
                              dump_profile, parse_profile, typed_value)
from ..records import Problem
from .history import Change
from .refusals import Conflict, Invalid

if TYPE_CHECKING:
    from .editing import EditingService

SHOP_TARGET = "shop.yaml"
KIND_NAMES = {"text": "文字", "money": "金额", "time": "时间", "list": "列表", "yesno": "是/否"}
ZH_WORDING = {
    "bad_yaml": "文件不是有效的 YAML（{problem}）",
    "not_mapping": "应当是“项目: 值”的分组",
    "unknown_key": "没有“{key}”这一项（可用：{expected}）",
    "misplaced": "“{key}”应当写在“{section}”分组里",
    "not_text": "应当是一行文字",
    "not_list": "应当是名称列表，用顿号分隔",
    "bad_money": "应当是金额，例如 8 或 8元（现在是“{value}”）",
    "bad_time": "应当是时间，例如 16:00（现在是“{value}”）",
    "bad_yesno": "应当是“是”或“否”（现在是“{value}”）",
    "bad_datetime": "应当是日期时间，例如 2026-11-11 20:00（现在是“{value}”）",
    "missing": "必须填写",
    "end_before_start": "结束时间（{end}）早于开始时间（{start}）",
    "duplicate_campaign": "活动“{name}”重复了",
    "not_campaign_list": "应当是活动列表（名称、开始、结束…）",
    "unknown_campaign": "属于活动“{campaign}”，但店铺信息里没有这个活动",
    "campaign_not_running": "属于活动“{campaign}”，只在 {start} 至 {end} 推荐",
    "fact_missing": "需要店铺信息“{fact}”，但还没有填写",
    "fact_not_offered": "需要店铺信息“{fact}”，但店铺不提供（写了“无”或“否”）",
    "no_running_campaign": "用到了 {{{fact}}}，但现在没有进行中的活动",
}


def zh(problem: Problem) -> str:
    """A profile or dependency problem in the editor's words."""
    return ZH_WORDING.get(problem.code, problem.code).format(**problem.values)


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def shop_state(text: str | None) -> dict:
    """A history state for the shop file (beside the replies and situations a corpus change records)."""
    return {"replies": {}, "situations": {}, "shop": text}


@dataclass
class ShopFacts:
    service: "EditingService"

    @property
    def path(self):
        return self.service.engine.settings.corpus_dir / "shop.yaml"

    def _text(self) -> str:
        return self.path.read_text(encoding="utf-8") if self.path.is_file() else ""

    def landed(self, change: Change) -> bool:
        """Whether the file holds `change`'s after-state (for a change whose writer was killed mid-way)."""
        return self._text() == (change.after["shop"] or "")

    def form(self) -> dict:
        """The facts as the page shows them: every known fact by section (given or not), the shop's own
        placeholders, the campaigns, and which replies are not suggested now and why."""
        text = self._text()
        profile, problems = parse_profile(text, SHOP_TARGET)
        raw = _raw_values(text)
        sections = []
        for section in SECTIONS:
            facts = [{"name": f.name, "kind": f.kind, "kind_name": KIND_NAMES[f.kind], "help": f.help,
                      "value": _shown(raw.get(section, {}).get(f.name, raw.get("", {}).get(f.name)))}
                     for f in FACTS if f.section == section]
            sections.append({"name": section, "facts": facts})
        others = [{"name": k, "value": _shown(v)} for k, v in (raw.get(OTHER_SECTION) or {}).items()]
        campaigns = [{name: _shown(row.get(name)) for name in CAMPAIGN_FIELDS}
                     for row in raw.get("活动") or [] if isinstance(row, dict)]
        return {"version": version_of(text), "sections": sections, "others": others, "campaigns": campaigns,
                "campaign_fields": list(CAMPAIGN_FIELDS), "problems": [_problem_dict(p) for p in problems],
                "running": [c.name for c in profile.running()], "unsuggested": unsuggested(self.service, profile)}

    def save(self, form: dict, editor: str, version: str | None) -> Change:
        """Write the facts in `form` (the shape `form()` returns); Invalid names each bad field in Chinese."""
        svc = self.service
        with svc._exclusive():
            svc.refresh_if_changed()
            old = self._text()
            if version != version_of(old):
                raise Conflict("店铺信息在你打开之后被别人改过了：请重新打开后再改", theirs=None, yours=None)
            new = render(form)
            profile, problems = parse_profile(new, SHOP_TARGET)
            if problems:
                raise Invalid([_problem_dict(p) for p in problems], "店铺信息有误，未保存")
            return self._commit(editor, "edit_shop", "修改店铺信息", old, new, profile)

    def revert(self, original: Change, editor: str, force: bool) -> Change:
        svc = self.service
        old = self._text()
        if old == original.before["shop"]:
            raise Invalid([{"field": "change", "message": "当前内容已经和这次更改之前一致，无需撤销"}], "无需撤销")
        if old != original.after["shop"] and not force:
            raise Conflict("店铺信息在这次更改之后又被修改过；撤销会覆盖那些修改", theirs=None, yours=None,
                           extra={"drifted": [{"kind": "shop", "id": SHOP_TARGET}], "change": original.id})
        new = original.before["shop"] or ""
        profile, problems = parse_profile(new, SHOP_TARGET)
        if problems:
            raise Invalid([_problem_dict(p) for p in problems], "无法撤销")
        summary = f"撤销 #{original.id}（{original.action_name}）：{original.summary}"
        return self._commit(editor, "revert", summary[:200], old, new, profile, reverts=original.id)

    def _commit(self, editor: str, action: str, summary: str, old: str, new: str, profile: ShopProfile,
                reverts: int | None = None) -> Change:
        svc = self.service
        with svc.history.recording(editor, action, SHOP_TARGET, summary, shop_state(old), shop_state(new),
                                   reverts) as change:
            atomic_write(self.path, new)
            svc.engine.set_profile(profile)
        svc._known_stamp = svc._stamp()
        return change


def unsuggested(service: "EditingService", profile: ShopProfile | None = None) -> list[dict]:
    """Active replies not suggested now, each with its reasons in Chinese (for the editor)."""
    profile = profile or service.engine.profile
    out = []
    for reply in service.corpus.replies.values():
        if reply.retired:
            continue
        problems = profile.unmet(reply)
        if problems:
            out.append({"id": reply.id, "situation": reply.situation, "timing": all(p.code in TIMING for p in problems),
                        "reasons": [zh(p) for p in problems]})
    return out


def render(form: dict) -> str:
    """shop.yaml text from the page's form; values are kept as typed (the parser checks them)."""
    sections: dict[str, dict[str, Any]] = {}
    for section in form.get("sections") or []:
        if not isinstance(section, dict):
            continue
        facts = {}
        for fact in section.get("facts") or []:
            if isinstance(fact, dict) and isinstance(fact.get("name"), str):
                facts[fact["name"]] = _canonical(fact["name"], _typed_input(fact.get("value")))
        sections[str(section.get("name"))] = facts
    others = {}
    for fact in form.get("others") or []:
        if isinstance(fact, dict) and str(fact.get("name") or "").strip():
            others[str(fact["name"]).strip()] = _typed_input(fact.get("value"))
    sections[OTHER_SECTION] = others
    campaigns = [{k: _typed_input(v) for k, v in row.items()} for row in form.get("campaigns") or []
                 if isinstance(row, dict) and any(str(v or "").strip() for v in row.values())]
    return dump_profile(sections, campaigns)


def _canonical(name: str, value: Any) -> Any:
    """A valid value in the file's usual form (129 -> 129元, a list as a list); an invalid one as typed, for
    the parser to name."""
    fact = FACT_BY_NAME.get(name)
    if fact is None or value is None:
        return value
    shown, offered = typed_value(fact.kind, value)
    if shown is None:
        return value
    if fact.kind == "list":
        return shown.split("、") if shown else None
    if fact.kind == "yesno":
        return "是" if offered else "否"
    return shown


def _typed_input(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _raw_values(text: str) -> dict:
    """The file's values as written, by section ("" for the flat format of earlier versions)."""
    try:
        data = yaml.load(text, Loader=_TextTimes) or {}
    except yaml.YAMLError:
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict = {"": {}}
    for key, value in data.items():
        if isinstance(value, dict) and (key in SECTIONS or key == OTHER_SECTION):
            out[key] = value
        elif key == "活动":
            out[key] = value
        else:
            out[""][key] = value
    return out


def _problem_dict(problem: Problem) -> dict:
    return {"field": problem.field, "code": problem.code, "values": {k: str(v) for k, v in problem.values.items()},
            "where": problem.where, "message": (f"{problem.field}：" if problem.field else "") + zh(problem)}


class _TextTimes(yaml.SafeLoader):
    """Reads numbers, times and dates as the text written (16:00 stays 16:00, not YAML 1.1's sexagesimal 960)."""


for _tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:float"):
    _TextTimes.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))

"""The shop profile (corpus/shop.yaml): the shop's facts, typed, and the placeholders they fill.

Every fact a reply states comes from here as a {placeholder}, so a shop corrects a policy in one place and every
suggestion follows. A reply may depend on facts: on a placeholder (the fact must be given and offered), on
`requires:` (a yes/no fact such as 花呗 must be yes), or on `campaign:` (the campaign must be running now).
Such a reply is simply not suggested while its facts are false for this shop; `unmet` says why, for the editor.

Placeholders the shop does not know (the buyer's nickname, the order number) are filled per conversation by
the caller; when missing they stay visible in braces so an agent never pastes a reply with a silent gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from ..errors import CorpusError
from ..records import Problem, Reply

PLACEHOLDER = re.compile(r"\{([^{}\s]{1,16})\}")
# Values that differ per buyer or order: passed by the caller per conversation, never set in shop.yaml.
PER_CONVERSATION = ("买家昵称", "订单号", "物流单号")
# Shop time: campaign times are written and compared in China's time (no daylight saving).
SHOP_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")
# A fact written as one of these is "not offered": replies that need it are not suggested.
NOT_OFFERED = frozenset({"无", "没有", "不提供", "不支持", "否", "不", "none", "no", "false"})


@dataclass(frozen=True)
class Fact:
    name: str  # the placeholder: {name}
    section: str
    kind: str  # text | money | time | list | yesno
    help: str


FACTS: tuple[Fact, ...] = (
    Fact("店铺名", "店铺", "text", "店铺名称"),
    Fact("客服名", "店铺", "text", "客服在话术中的自称"),
    Fact("客服电话", "店铺", "text", "平台内可公开的售后电话；不提供写 无"),
    Fact("客服时间", "店铺", "text", "在线时间，例如 每天 9:00-24:00"),
    Fact("回复时效", "店铺", "text", "离线留言多久内回复，例如 上线后第一时间"),
    Fact("正品保障", "店铺", "text", "正品承诺，例如 正品保障，假一赔三；没有写 无"),
    Fact("快递", "发货与快递", "text", "默认快递"),
    Fact("可选快递", "发货与快递", "list", "可以指定的快递"),
    Fact("发货时间", "发货与快递", "text", "发货承诺，例如 付款后48小时内"),
    Fact("截单时间", "发货与快递", "time", "当天几点前付款当天发，例如 16:00"),
    Fact("配送时效", "发货与快递", "text", "一般地区发货后几天到，例如 2-4天"),
    Fact("偏远地区配送时效", "发货与快递", "text", "偏远地区发货后几天到"),
    Fact("运费", "运费与包邮", "money", "不满包邮金额时的运费"),
    Fact("满包邮金额", "运费与包邮", "money", "满多少包邮"),
    Fact("偏远地区", "运费与包邮", "list", "不包邮或加收运费的地区"),
    Fact("偏远地区运费", "运费与包邮", "money", "偏远地区加收的运费"),
    Fact("七天无理由", "退换货", "yesno", "是否支持七天无理由退换"),
    Fact("不支持无理由的商品", "退换货", "text", "不支持七天无理由的商品，例如 定制商品、已拆封的食品"),
    Fact("质量问题退货运费", "退换货", "text", "质量问题或发错货时，退换运费谁出，例如 由我们承担"),
    Fact("无理由退货运费", "退换货", "text", "不喜欢、拍错等退换，运费谁出，例如 由您承担（有运费险可理赔）"),
    Fact("运费险", "退换货", "yesno", "是否赠送运费险"),
    Fact("退货地址", "退换货", "text", "退货收件地址"),
    Fact("退款时效", "退换货", "text", "收到退货后多久退款，例如 1-3个工作日"),
    Fact("售后处理时效", "退换货", "text", "售后问题多久内给处理结果，例如 24小时内"),
    Fact("质保", "保障与发票", "text", "质保期，例如 一年；没有写 无"),
    Fact("价格保护", "保障与发票", "text", "价保期，例如 7天；没有写 无"),
    Fact("发票", "保障与发票", "text", "能开的发票，例如 电子普通发票；不开写 无"),
    Fact("花呗", "支付", "yesno", "是否支持花呗"),
    Fact("信用卡", "支付", "yesno", "是否支持信用卡"),
    Fact("优惠券", "优惠", "text", "当前可领的优惠券"),
    Fact("赠品", "优惠", "text", "当前的赠品"),
)
FACT_BY_NAME = {f.name: f for f in FACTS}
SECTIONS = tuple(dict.fromkeys(f.section for f in FACTS))
OTHER_SECTION = "其他"  # the shop's own placeholders, as text
CAMPAIGNS = "活动"
# A campaign's fields, and the placeholder each fills while the campaign runs.
CAMPAIGN_FIELDS = {"名称": "活动名", "开始": None, "结束": None, "定金时间": "定金时间", "尾款时间": "尾款时间",
                   "退款开放时间": "退款开放时间", "规则": "活动规则"}
CAMPAIGN_PLACEHOLDERS = ("活动名", "活动时间", "定金时间", "尾款时间", "退款开放时间", "活动规则")
KNOWN_PLACEHOLDERS = (*FACT_BY_NAME, *CAMPAIGN_PLACEHOLDERS, *PER_CONVERSATION)
# Problems that come and go with the calendar, not with the corpus or the facts.
TIMING = frozenset({"campaign_not_running", "no_running_campaign"})


@dataclass(frozen=True)
class Campaign:
    name: str
    start: datetime
    end: datetime
    values: Mapping[str, str]  # the campaign's placeholders (活动名, 活动时间, 尾款时间 …)

    def running(self, now: datetime) -> bool:
        return self.start <= now <= self.end


@dataclass(frozen=True)
class ShopProfile:
    """The shop's facts as placeholder values (given facts only) and its campaigns."""

    facts: Mapping[str, str] = field(default_factory=dict)
    campaigns: tuple[Campaign, ...] = ()
    offered: Mapping[str, bool] = field(default_factory=dict)  # per given fact: False when written as 无/否

    def names(self) -> set[str]:
        """Every placeholder this profile can fill at some time (its facts and its campaigns')."""
        return set(self.facts) | ({n for c in self.campaigns for n in c.values})

    def running(self, now: datetime | None = None) -> tuple[Campaign, ...]:
        now = now or shop_now()
        return tuple(c for c in self.campaigns if c.running(now))

    def values(self, now: datetime | None = None, campaign: str | None = None) -> dict[str, str]:
        """The placeholder values at `now`: the facts, and the running campaign's (`campaign` if named)."""
        out = dict(self.facts)
        running = [c for c in self.running(now) if campaign is None or c.name == campaign]
        if running:
            out.update(running[0].values)
        return out

    def unmet(self, reply: Reply, now: datetime | None = None) -> tuple[Problem, ...]:
        """Why `reply` must not be suggested at `now` (empty: it may be): what it states is false for this shop
        now. A placeholder the profile simply has no value for is not such a reason: the reply is suggested with
        the placeholder left visible for the agent to fill (a shop that has not filled shop.yaml in yet loses
        nothing), and `missing` names it for the editor."""
        now = now or shop_now()
        problems: list[Problem] = []
        running = self.running(now)
        if reply.campaign:
            known = {c.name: c for c in self.campaigns}
            if reply.campaign not in known:
                problems.append(Problem("campaign", "unknown_campaign", {"campaign": reply.campaign}))
            elif reply.campaign not in {c.name for c in running}:
                c = known[reply.campaign]
                problems.append(Problem("campaign", "campaign_not_running",
                                        {"campaign": c.name, "start": _show(c.start), "end": _show(c.end)}))
        for name in reply.requires:  # declared dependencies: an unknown answer is not a yes
            if not self.offered.get(name, False):
                code = "fact_not_offered" if name in self.facts else "fact_missing"
                problems.append(Problem("requires", code, {"fact": name}))
        for name in dict.fromkeys(placeholders(reply.text)):
            if name in PER_CONVERSATION or any(p.values.get("fact") == name for p in problems):
                continue
            if name in CAMPAIGN_PLACEHOLDERS:
                if not reply.campaign and self.campaigns and not running:
                    problems.append(Problem("text", "no_running_campaign", {"fact": name}))
            elif name in self.facts and not self.offered.get(name, True):
                problems.append(Problem("text", "fact_not_offered", {"fact": name}))
        return tuple(problems)

    def missing(self, reply: Reply, now: datetime | None = None) -> tuple[str, ...]:
        """The shop placeholders of `reply` this profile has no value for (at `now`): left visible when filled."""
        values = self.values(now, reply.campaign)
        return tuple(name for name in dict.fromkeys(placeholders(reply.text))
                     if name not in PER_CONVERSATION and name not in values)


def shop_now() -> datetime:
    return datetime.now(SHOP_TIME)


def _show(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# ---- reading ---------------------------------------------------------------------------------------------------

PROFILE_WORDING = {
    "bad_yaml": "not valid YAML ({problem})",
    "not_mapping": "must be a mapping of section: facts",
    "unknown_key": "unknown key {key!r} (expected one of: {expected})",
    "misplaced": "{key!r} belongs in section {section!r}",
    "not_text": "must be a single line of text",
    "not_list": "must be a list of names",
    "bad_money": "must be an amount in yuan such as 8 or 8元 (got {value!r})",
    "bad_time": "must be a time of day such as 16:00 (got {value!r})",
    "bad_yesno": "must be yes or no (是/否, true/false; got {value!r})",
    "bad_datetime": "must be a date and time such as 2026-11-11 20:00 (got {value!r})",
    "missing": "is required",
    "end_before_start": "ends ({end}) before it starts ({start})",
    "duplicate_campaign": "campaign {name!r} is listed twice",
    "not_campaign_list": "must be a list of campaigns (名称, 开始, 结束 …)",
    # a reply's dependencies (worded for the CLI; the editor words them in Chinese)
    "unknown_campaign": "names campaign {campaign!r}, which shop.yaml does not list",
    "campaign_not_running": "belongs to campaign {campaign!r}, running {start} to {end}",
    "fact_missing": "needs {fact!r}, which shop.yaml does not give",
    "fact_not_offered": "needs {fact!r}, which the shop does not offer",
    "no_running_campaign": "uses {{{fact}}}, but no campaign is running",
}


def load_profile(path: Path) -> ShopProfile:
    """The profile in `path` (empty when the file is absent); CorpusError names every bad field and line."""
    if not path.is_file():
        return ShopProfile()
    profile, problems = parse_profile(path.read_text(encoding="utf-8"), str(path))
    if problems:
        raise CorpusError(problems)
    return profile


def parse_profile(text: str, where: str = "shop.yaml") -> tuple[ShopProfile, list[Problem]]:
    """The profile written in `text`, and every problem in it (each naming the field and `where`:line)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark else where
        return ShopProfile(), [Problem("", "bad_yaml", {"problem": str(getattr(exc, "problem", exc))}, at)]
    reader = _Reader(where)
    if node is None:
        return ShopProfile(), []
    if not isinstance(node, yaml.MappingNode):
        return ShopProfile(), [Problem("", "not_mapping", {}, f"{where}:{node.start_mark.line + 1}")]
    facts: dict[str, str] = {}
    offered: dict[str, bool] = {}
    campaigns: list[Campaign] = []
    for key_node, value_node in node.value:
        key = str(key_node.value).strip()
        if key in SECTIONS or key == OTHER_SECTION:
            if _empty(value_node):
                continue
            if not isinstance(value_node, yaml.MappingNode):
                reader.problem(key, "not_mapping", {}, value_node)
                continue
            for fact_key, fact_value in value_node.value:
                name = str(fact_key.value).strip()
                fact = FACT_BY_NAME.get(name)
                if key == OTHER_SECTION:
                    fact = fact or Fact(name, OTHER_SECTION, "text", "")
                elif fact is None:
                    reader.problem(f"{key}.{name}", "unknown_key",
                                   {"key": name, "expected": "、".join(f.name for f in FACTS if f.section == key)},
                                   fact_key)
                    continue
                elif fact.section != key:
                    reader.problem(f"{key}.{name}", "misplaced", {"key": name, "section": fact.section}, fact_key)
                    continue
                reader.fact(fact, fact_value, facts, offered)
        elif key == CAMPAIGNS:
            campaigns = reader.campaigns(value_node)
        elif key in FACT_BY_NAME:  # the flat format of earlier versions: placeholder: value
            reader.fact(FACT_BY_NAME[key], value_node, facts, offered)
        elif key in CAMPAIGN_PLACEHOLDERS:
            reader.problem(key, "unknown_key", {"key": key, "expected": f"{CAMPAIGNS}（名称、开始、结束…）"}, key_node)
        else:
            reader.problem(key, "unknown_key", {"key": key, "expected": "、".join((*SECTIONS, OTHER_SECTION,
                                                                                   CAMPAIGNS))}, key_node)
    return ShopProfile(facts=facts, campaigns=tuple(campaigns), offered=offered), reader.problems


def _empty(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


class _Reader:
    """Turns YAML nodes into typed values, collecting problems with the node's line."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def problem(self, field_: str, code: str, values: dict[str, Any], node: yaml.Node) -> None:
        self.problems.append(Problem(field_, code, values, f"{self.where}:{node.start_mark.line + 1}"))

    def scalar(self, node: yaml.Node) -> Any:
        return yaml.SafeLoader("").construct_object(node, deep=True) if node is not None else None

    def fact(self, fact: Fact, node: yaml.Node, facts: dict[str, str], offered: dict[str, bool]) -> None:
        if _empty(node):
            return
        value = self.scalar(node)
        path = f"{fact.section}.{fact.name}" if fact.section != OTHER_SECTION else f"{OTHER_SECTION}.{fact.name}"
        shown, is_offered = typed_value(fact.kind, value)
        if shown is None:
            if fact.kind == "time" and isinstance(value, int) and not isinstance(value, bool):
                value = _sexagesimal(value)  # say 25:00 as written, not YAML 1.1's 1500
            self.problem(path, _KIND_CODES[fact.kind], {"value": value}, node)
            return
        if shown == "":
            return
        facts[fact.name] = shown
        offered[fact.name] = is_offered

    def campaigns(self, node: yaml.Node) -> list[Campaign]:
        if _empty(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(CAMPAIGNS, "not_campaign_list", {}, node)
            return []
        out: list[Campaign] = []
        for i, item in enumerate(node.value):
            path = f"{CAMPAIGNS}[{i + 1}]"
            if not isinstance(item, yaml.MappingNode):
                self.problem(path, "not_campaign_list", {}, item)
                continue
            fields = {str(k.value).strip(): (k, v) for k, v in item.value}
            values: dict[str, str] = {}
            times: dict[str, datetime] = {}
            for name, (key_node, value_node) in fields.items():
                if name not in CAMPAIGN_FIELDS:
                    self.problem(f"{path}.{name}", "unknown_key",
                                 {"key": name, "expected": "、".join(CAMPAIGN_FIELDS)}, key_node)
                    continue
                value = self.scalar(value_node)
                if name in ("开始", "结束"):
                    moment = _moment(value, end=name == "结束")
                    if moment is None:
                        self.problem(f"{path}.{name}", "bad_datetime", {"value": value}, value_node)
                    else:
                        times[name] = moment
                elif value is not None and str(value).strip():
                    if isinstance(value, (dict, list)):
                        self.problem(f"{path}.{name}", "not_text", {"value": value}, value_node)
                    else:
                        values[CAMPAIGN_FIELDS[name]] = _plain(value)
            missing = [n for n in ("名称", "开始", "结束") if n not in fields]
            for name in missing:
                self.problem(f"{path}.{name}", "missing", {}, item)
            if missing or len(times) < 2 or "活动名" not in values:
                continue
            if times["结束"] < times["开始"]:
                self.problem(f"{path}.结束", "end_before_start",
                             {"start": _show(times["开始"]), "end": _show(times["结束"])}, fields["结束"][1])
                continue
            if any(c.name == values["活动名"] for c in out):
                self.problem(f"{path}.名称", "duplicate_campaign", {"name": values["活动名"]}, fields["名称"][1])
                continue
            values["活动时间"] = f"{_day(times['开始'])}至{_day(times['结束'])}"
            out.append(Campaign(values["活动名"], times["开始"], times["结束"], values))
        return out


_KIND_CODES = {"text": "not_text", "money": "bad_money", "time": "bad_time", "list": "not_list",
               "yesno": "bad_yesno"}
_YES = {"是", "支持", "有", "可以", "yes", "true"}
_NO = {"否", "不支持", "无", "没有", "不可以", "不", "no", "false"}
_MONEY = re.compile(r"^(\d+(?:\.\d{1,2})?)\s*元?$")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def typed_value(kind: str, value: Any) -> tuple[str | None, bool]:
    """The value as placeholder text (None: wrong type; "": blank) and whether it is offered."""
    if kind == "yesno":
        if isinstance(value, bool):
            return ("支持" if value else "不支持"), value
        word = str(value).strip().lower()
        if word in _YES:
            return "支持", True
        if word in _NO:
            return "不支持", False
        return None, False
    if isinstance(value, (dict,)) or (isinstance(value, list) and kind != "list"):
        return None, False
    if kind == "list":
        items = value if isinstance(value, list) else re.split(r"[、,，;；/]", str(value))
        if any(isinstance(v, (dict, list)) for v in items):
            return None, False
        names = [str(v).strip() for v in items if v is not None and str(v).strip()]
        return "、".join(names), bool(names)
    if isinstance(value, bool):
        return None, False
    if kind == "money":
        word = _plain(value)
        if word.lower() in NOT_OFFERED:
            return word, False
        match = _MONEY.match(word)
        return (f"{match.group(1)}元", True) if match else (None, False)
    if kind == "time":
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 16:00 as sexagesimal 960
            value = _sexagesimal(value)
        match = _TIME.match(str(value).strip())
        return (f"{int(match.group(1))}:{match.group(2)}", True) if match else (None, False)
    word = _plain(value)
    return word, word.lower() not in NOT_OFFERED


def _sexagesimal(value: int) -> str:
    return f"{value // 60}:{value % 60:02d}"


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _moment(value: Any, end: bool) -> datetime | None:
    """A campaign time in shop time; a date alone means the day's start (or its end, for `end`)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=SHOP_TIME) if value.tzinfo is None else value.astimezone(SHOP_TIME)
    if isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=SHOP_TIME)
        return moment + timedelta(days=1, seconds=-1) if end else moment
    text = str(value or "").strip().replace("/", "-").replace("T", " ")
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text, pattern).replace(tzinfo=SHOP_TIME)
        except ValueError:
            continue
        if pattern == "%Y-%m-%d" and end:
            moment += timedelta(days=1, seconds=-1)
        return moment
    return None


def _day(moment: datetime) -> str:
    clock = "" if (moment.hour, moment.minute) in ((0, 0), (23, 59)) else f"{moment.hour}:{moment.minute:02d}"
    return f"{moment.month}月{moment.day}日{clock}"


# ---- writing ---------------------------------------------------------------------------------------------------

def dump_profile(sections: Mapping[str, Mapping[str, Any]], campaigns: Iterable[Mapping[str, Any]]) -> str:
    """shop.yaml text from sectioned facts and campaign rows, each fact with its help as a comment, so the
    file stays readable when the editor's page writes it."""
    lines = ["# 店铺资料：话术里的 {占位符} 从这里取值。改一处，所有建议立即跟着变。",
             "# 写“无”表示不提供：需要这项的话术不会被推荐。买家昵称、订单号、物流单号 由聊天工具按会话传入。", ""]
    for section in (*SECTIONS, OTHER_SECTION):
        given = {k: v for k, v in (sections.get(section) or {}).items() if v not in (None, "", [])}
        if not given:
            continue
        lines.append(f"{section}:")
        for name, value in given.items():
            fact = FACT_BY_NAME.get(name)
            dumped = yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=True, width=1000)
            dumped = dumped.strip()[1:-1].strip()  # {name: value} -> name: value
            comment = f"  # {fact.help}" if fact else ""
            lines.append(f"  {dumped}{comment}")
        lines.append("")
    rows = [dict(c) for c in campaigns]
    if rows:
        lines.append(f"{CAMPAIGNS}:")
        for row in rows:
            first = True
            for name in CAMPAIGN_FIELDS:
                value = row.get(name)
                if value in (None, ""):
                    continue
                dumped = yaml.safe_dump({name: str(value)}, allow_unicode=True, default_flow_style=True,
                                        width=1000).strip()[1:-1].strip()
                lines.append(("  - " if first else "    ") + dumped)
                first = False
        lines.append("")
    return "\n".join(lines)


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def fill(text: str, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The text with every known placeholder replaced, and the names left unfilled (still shown in braces)."""
    missing: list[str] = []

    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in missing:
            missing.append(name)
        return match.group(0)

    return PLACEHOLDER.sub(sub, text), tuple(missing)

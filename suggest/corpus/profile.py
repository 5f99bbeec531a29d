"""The shop profile (corpus/shop.yaml) and placeholder filling.

A placeholder with no value stays visible in the text and is reported: an agent must never paste a reply
with a silently missing shop name or fee.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import CorpusError

PLACEHOLDER = re.compile(r"\{([^{}\s]{1,16})\}")
# Values that differ per buyer or order: passed by the caller per conversation, never set in shop.yaml.
PER_CONVERSATION = ("买家昵称", "订单号", "物流单号")
KNOWN_PLACEHOLDERS = (
    "店铺名", "客服名", "运费", "快递", "发货时间", "满包邮金额", "退货地址", "客服电话",
    "活动名", "优惠券", "赠品", "买家昵称", "订单号", "物流单号",
)


def load_profile(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise CorpusError([f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(data, dict):
        raise CorpusError([f"{path}:1: the shop profile must be a mapping of placeholder: value"])
    return {str(k): str(v) for k, v in data.items() if v is not None and str(v).strip()}


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def fill(text: str, values: dict[str, str]) -> tuple[str, tuple[str, ...]]:
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

"""A buyer's height and weight, as buyers give them: 「我165 52kg」, 「身高170体重120斤」, 「一米六五 一百斤」, 「1.72米」.

Heights in cm or 米 (1.65米, 一米六五); weights in kg/公斤, or 斤 (halved); a bare pair 「160 100」 reads the second
number as 斤 from 70 up, kg below. A bare number is a height only beside a weight or a person (「我165」), and never
below 140 unless a child is meant: prices and order numbers are not heights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...corpus.products import format_range
from .normalize import normalize

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "零〇一二两三四五六七八九十百"
_HEIGHT_METRE = re.compile(rf"(?<![\d.])([1一])\s*米\s*([0-9{_CN}]{{0,2}})(?![0-9{_CN}])")
_HEIGHT_DECIMAL = re.compile(r"(?<![\d.])(1\.\d{1,2})\s*(?:米|m(?![a-z]))")
_HEIGHT_CM = re.compile(r"(?:身高|个子|高)\s*(\d{2,3}(?:\.\d)?)\s*(?:cm|厘米|公分)?|(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(?:cm|厘米|公分)")
_WEIGHT_UNIT = re.compile(rf"(?:体重\s*)?(?<![\d.])(\d{{2,3}}(?:\.\d)?|[{_CN}]{{2,5}})\s*(kg|公斤|千克|斤)")
_WEIGHT_BARE = re.compile(r"体重\s*(\d{2,3}(?:\.\d)?)(?!\s*(?:kg|公斤|千克|斤|\d))")
_BARE_NUMBER = re.compile(r"(?<![\d.a-z])(\d{2,3}(?:\.\d)?)(?![\d.]|\s*(?:码|号|cm|厘米|公分|kg|公斤|千克|斤|元|块|g|克|米|%|w))")
_PERSON_NUMBER = re.compile(r"(?:我|他|她|孩子|宝宝|儿子|女儿|老公|老婆|男朋友|女朋友|男友|女友|妈妈|我妈|爸爸|我爸|娃|朋友)"
                            r"\s*(?:身高|个子)?\s*\d{2,3}(?:\.\d)?$")
_CHILD = re.compile(r"孩子|宝宝|儿子|女儿|小孩|娃|儿童|童装")


def _cn_number(text: str) -> float | None:
    """一百二十 → 120, 一百二 → 120, 九十 → 90, 六五 → 65 (digit by digit); Arabic digits pass through."""
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if any(ch not in _CN for ch in text):
        return None
    if "百" in text or "十" in text:
        total, rest = 0, text
        if "百" in rest:
            head, rest = rest.split("百", 1)
            total += _CN_DIGITS.get(head or "一", 1) * 100
            if rest and "十" not in rest and len(rest) == 1:  # 一百二 = 120
                return total + _CN_DIGITS[rest] * 10
        if "十" in rest:
            head, rest = rest.split("十", 1)
            total += (_CN_DIGITS.get(head, 1) if head not in ("", "零") else 1) * 10
        if rest:
            total += _CN_DIGITS.get(rest.strip("零"), 0) if rest.strip("零") else 0
        return float(total)
    return float("".join(str(_CN_DIGITS[ch]) for ch in text))


@dataclass(frozen=True)
class Body:
    """Height and weight, each None when the buyer did not give it."""

    height: float | None = None  # cm
    weight: float | None = None  # kg

    def describe(self) -> str:
        parts = ([f"身高{format_range(self.height, self.height)}cm"] if self.height else []) + \
                ([f"体重{format_range(self.weight, self.weight)}kg"] if self.weight else [])
        return "的" + "、".join(parts)


def parse_body(text: str) -> Body:
    """Height and weight a buyer gives (「我165 52kg」, 「身高170体重120斤」, 「一米六五 一百斤」, 「1.72米」)."""
    return parse_normalized(normalize(text))


def parse_normalized(text: str) -> Body:
    """`parse_body` of a text already normalised."""
    height = weight = None
    used: list[tuple[int, int]] = []
    match = _HEIGHT_DECIMAL.search(text)
    if match:
        height, used = float(match.group(1)) * 100, used + [match.span()]
    if height is None:
        match = _HEIGHT_METRE.search(text)
        if match:
            rest = match.group(2)
            if not rest:
                cm = 0.0
            elif len(rest) == 1:
                cm = (_cn_number(rest) or 0) * 10
            else:
                cm = _cn_number(rest) or 0
            height, used = 100 + cm, used + [match.span()]
    if height is None:
        match = _HEIGHT_CM.search(text)
        if match:
            height, used = float(match.group(1) or match.group(2)), used + [match.span()]
    match = _WEIGHT_UNIT.search(text)
    if match:
        number = _cn_number(match.group(1))
        if number:
            weight = number / 2 if match.group(2) == "斤" else number
            used.append(match.span())
    if weight is None:
        match = _WEIGHT_BARE.search(text)
        if match:
            number = float(match.group(1))
            weight, used = (number / 2 if number >= 80 else number), used + [match.span()]
    free = [m for m in _BARE_NUMBER.finditer(text) if not any(s <= m.start() < e for s, e in used)]
    lowest = 80 if _CHILD.search(text) else 140  # a bare 135 is a child's height, never an adult's
    if height is None and free and lowest <= float(free[0].group(1)) < 200 \
            and (weight is not None or _PERSON_NUMBER.search(text[:free[0].end()])):
        height = float(free[0].group(1))
        after = free[0].end()
        free = [m for m in free[1:] if m.start() - after <= 3]  # "165 100": the weight follows the height
    else:
        free = []
    if weight is None and height is not None and free:
        number = float(free[0].group(1))
        if 30 <= number <= 300:
            weight = number / 2 if number >= 70 else number
    if height is not None and not 50 <= height <= 230:
        height = None
    if weight is not None and not 5 <= weight <= 200:
        weight = None
    return Body(height, weight)

"""Masking of personal data in buyer messages before anything is stored.

Feedback rows keep the buyer's message so that the corpus can be improved, but never the buyer's phone
number, order number or address. Masking is deliberately greedy: a few words too many replaced by
[地址] is harmless, a leaked address is not.
"""

from __future__ import annotations

import re

PHONE_MASK = "[手机号]"
ORDER_MASK = "[订单号]"
ADDRESS_MASK = "[地址]"

_DIGIT = "0-9０-９"
# Long digit runs (order, waybill and account numbers), also when spaced or hyphenated in groups.
_ORDER = re.compile(rf"(?<![{_DIGIT}])[{_DIGIT}](?:[ \-]?[{_DIGIT}]){{11,}}(?![{_DIGIT}])")
# Mainland mobile numbers: 1[3-9] and nine more digits, optionally +86 / 0086 and 3-4-4 spacing.
_PHONE = re.compile(
    rf"(?:(?:\+|00)86[ \-]?)?(?<![{_DIGIT}])1[3-9３-９][{_DIGIT}](?:[ \-]?[{_DIGIT}]{{4}}){{2}}(?![{_DIGIT}])"
)

_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
              "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
              "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_NUM = rf"[{_DIGIT}A-Za-z一二三四五六七八九十百零〇两]+"
# Pieces that only occur in addresses; each one anchors a span that is then widened to the whole address.
_ANCHORS = re.compile(
    "|".join([
        rf"(?:路|街|大道|巷|弄|胡同|道)\s*[{_DIGIT}]+\s*(?:号|弄|巷)",  # 建国路88号
        rf"{_NUM}\s*(?:号楼|号院|栋|幢|单元|室)",  # 5号楼, 3栋, 2单元, 1203室
        rf"[{_DIGIT}]+\s*(?:层|楼)\s*[{_DIGIT}]*\s*(?:室|号)?(?=[\s,，。;；]|$)",  # 12楼, 3层301
        rf"(?:{'|'.join(_PROVINCES)})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?"
        r"[\u4e00-\u9fff]{1,8}?(?:市|区|县|州|盟)",  # 浙江省杭州市, 上海市浦东新区
        r"(?:省|市)[\u4e00-\u9fff]{2,6}?(?:区|县|旗)",  # 杭州市西湖区
        r"(?P<place>小区|社区|新村|家园|公寓|大厦|花园(?=[\s\d一二三四五六七八九十A-Za-z]))",  # 阳光小区
    ])
)
# Characters an address is made of (to widen an anchor to the left and right).
_ADDRESS_CHAR = re.compile(rf"[\u4e00-\u9fff{_DIGIT}A-Za-z#\-]")
_TAIL_CHAR = re.compile(rf"[{_DIGIT}A-Za-z#\-一二三四五六七八九十零〇号楼栋幢单元室层座户甲乙丙丁东西南北]")
# Words after which an address starts: "改成" 建国路88号, "寄到" …
_LEAD_INS = ("地址是", "地址为", "地址", "改成", "改为", "改到", "寄到", "送到", "发到", "寄往", "寄给", "住在",
             "位于", "收货", "住", "我", "您", "你", "在", "到", "是", "为", "往", "给", "的", "吧", "呢", "吗", "啊", "哦")
_MAX_LEFT = 12


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    left = start
    while left > 0 and start - left < _MAX_LEFT and _ADDRESS_CHAR.match(text[left - 1]):
        if any(text.endswith(word, 0, left) for word in _LEAD_INS):
            break
        left -= 1
    right = end
    while right < len(text) and _TAIL_CHAR.match(text[right]):
        right += 1
    return left, right


def mask_addresses(text: str) -> str:
    spans: list[list[int]] = []
    for match in _ANCHORS.finditer(text):
        start, end = _widen(text, match.start(), match.end())
        if match.group("place") and match.start() - start < 2 and end == match.end():
            continue  # a bare 小区 / 大厦 without a name or a building number is not an address
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(ADDRESS_MASK)
        last = end
    out.append(text[last:])
    return "".join(out)


def mask(text: str) -> str:
    """`text` with order numbers, mobile numbers and addresses replaced by [订单号], [手机号], [地址]."""
    text = _PHONE.sub(PHONE_MASK, text)
    text = _ORDER.sub(ORDER_MASK, text)
    return mask_addresses(text)

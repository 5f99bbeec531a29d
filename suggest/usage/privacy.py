"""Masking of personal data in buyer messages before anything is stored.

Feedback rows keep the buyer's message so that the corpus can be improved, but never the buyer's personal
data. Each kind is replaced by its own label, in this order (earlier kinds win where two could match):

    [邮箱]     e-mail addresses
    [微信号]   WeChat ids: wxid_…, and an id after 微信(号) / vx / wx / V信 / wechat / weixin
    [QQ号]     5-11 digits after QQ / qq / 扣扣 (also 11-digit ones that look like a mobile number)
    [身份证号] 18-character ID card numbers (birth date inside, last character a digit or X/x), whole
    [手机号]   mainland mobile numbers
    [订单号]   other long digit runs (order, waybill and account numbers)
    [地址]     addresses
    [姓名]     2-4 Chinese characters after 我叫 / 收件人 / 联系人 / 收货人 / 姓名 that end the clause

The words that introduce a value (手机, 微信号：, 收件人) are kept, so the message still reads naturally:
"收件人：李四 电话13812345678" is stored as "收件人：[姓名] 电话[手机号]". Masking is deliberately greedy: a few words
too many replaced by [地址] is harmless, a leaked address is not. Names are the exception, because the words
after 我叫 / 收件人 are often shop talk (我叫了快递, 收件人写错了): a name must be followed by the end of the text,
punctuation, a space, 电话 or 手机, and may not contain characters like 了 / 写 / 错 / 我.
"""

from __future__ import annotations

import re

PHONE_MASK = "[手机号]"
ORDER_MASK = "[订单号]"
ADDRESS_MASK = "[地址]"
WECHAT_MASK = "[微信号]"
QQ_MASK = "[QQ号]"
EMAIL_MASK = "[邮箱]"
ID_CARD_MASK = "[身份证号]"
NAME_MASK = "[姓名]"

_DIGIT = "0-9０-９"
# Separators between a lead-in word and its value: 微信号：abc, QQ是 12345, 收件人 张三.
_SEP = r"\s*(?:[:：]|是|为)?\s*"

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# WeChat: the internal wxid_… form anywhere; a custom id (6 or more letters, digits, _ or -, starting with a letter) after
# a WeChat lead-in. Latin lead-ins must stand alone (not the "wx" in "wxyz").
_WECHAT_ID = re.compile(r"(?<![A-Za-z0-9_\-])wxid_[A-Za-z0-9_\-]+", re.IGNORECASE)
_WECHAT = re.compile(
    rf"(?P<lead>(?:微信|威信|薇信|[vV]信|(?<![A-Za-z])(?i:vx|wx|wechat|weixin)(?![A-Za-z]))(?:号|id|ID)?{_SEP})"
    r"[A-Za-z][A-Za-z0-9_\-]{5,}(?![A-Za-z0-9_\-])"
)
_QQ = re.compile(
    rf"(?P<lead>(?:(?<![A-Za-z])(?i:qq)|扣扣)(?:号|号码)?{_SEP})[1-9１-９][{_DIGIT}]{{4,10}}(?![{_DIGIT}])"
)
# ID card: 6-digit region, birth date 18xx-20xx, 3-digit sequence, check digit or X; also any 17 digits + X.
_D = f"[{_DIGIT}]"
_ID_CARD = re.compile(
    rf"(?<![{_DIGIT}])(?:[1-9１-９]{_D}{{5}}[ \-]?(?:18|19|20|１８|１９|２０){_D}{{2}}"
    rf"(?:[0０][1-9１-９]|[1１][0-2０-２])(?:[0-2０-２]{_D}|[3３][01０１])[ \-]?{_D}{{3}}[{_DIGIT}XxＸｘ]"
    rf"|{_D}{{17}}[XxＸｘ])(?![{_DIGIT}A-Za-z])"
)
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


# Characters that are almost never part of a name but often follow 我叫 / 收件人 in shop talk: particles, pronouns,
# verbs of writing and changing, and the words of the order itself (我叫了快递, 收件人写错了, 联系人电话…).
_NOT_NAME = ("了的得着过吗呢吧啊呀哦嘛么呗是不没别错写填改换要想在有和跟与也都就还又再这那哪谁什怎啥个些"
             "我你您他她它们电话手机号码地址快递件货单名字")
# Names: the lead-in (收件人：, 收货人改成 …), then 2-4 Chinese characters (none of _NOT_NAME) that end the clause: end of text,
# punctuation, a space, a mask already put in ([手机号]), or 电话 / 手机 / 联系方式.
_NAME = re.compile(
    rf"(?P<lead>(?:我叫|收件人|联系人|收货人|姓名)(?:姓名|名字)?{_SEP}(?:改成|改为|换成|写成|写|填)?\s*)"
    rf"(?:(?![{_NOT_NAME}])[\u4e00-\u9fff]){{2,4}}"
    r"(?=$|[\s,，.。!！?？;；:：、/|()（）\[\]【】<>《》\"'“”‘’~～…\-]|电话|手机|联系方式)"
)


def mask_names(text: str) -> str:
    return _NAME.sub(lambda m: m.group("lead") + NAME_MASK, text)


def mask(text: str) -> str:
    """`text` with e-mail addresses, WeChat ids, QQ numbers, ID card numbers, mobile numbers, order numbers,
    addresses and names replaced by [邮箱], [微信号], [QQ号], [身份证号], [手机号], [订单号], [地址], [姓名]."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _WECHAT_ID.sub(WECHAT_MASK, text)
    text = _WECHAT.sub(lambda m: m.group("lead") + WECHAT_MASK, text)
    text = _QQ.sub(lambda m: m.group("lead") + QQ_MASK, text)
    text = _ID_CARD.sub(ID_CARD_MASK, text)
    text = _PHONE.sub(PHONE_MASK, text)
    text = _ORDER.sub(ORDER_MASK, text)
    text = mask_addresses(text)
    return mask_names(text)

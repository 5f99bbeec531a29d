"""Answers to questions about the product itself, from the shop's product sheet — never an invented value.

About one buyer message in six asks for a fact no scripted reply holds: 「M码多长」, 「什么面料」, 「保质期多久」,
「我165 52kg穿什么码」, 「黑色M还有吗」, 「A和B有什么区别」. `answer()` recognises those with an attribute lexicon
(synonyms → sheet columns) and a few question patterns, finds the product (named in the message, given by the
caller, or named earlier in the conversation) and fills a template of corpus/product_replies.yaml with the cell
it found. It returns [] for anything else, so the engine falls through to the scripted replies.

Choices worth knowing:
- A question needs a question cue (吗, 多少, 什么, 几, A不A …) or to be the bare attribute word (「保质期」), so
  「面料很舒服」 does not fire. A clause about shipping, returns, discounts or an order (运费, 退, 便宜, 快递 …) is
  never read as a product question, even when it names an attribute (「运费多少钱」).
- Advice questions with scripted answers — 「偏大还是偏小」 (版型), 「能机洗吗」 (洗涤) — are answered only when the
  sheet has that column; otherwise they stay with the scripted replies (no ask-which-product, no "let me check").
- An attribute the lexicon knows but the product's row lacks gives `unknown_attribute`: a "let me check" reply and
  a note for the agent. A product that cannot be told gives `ask_product`.
- Body measures: heights in cm, 米 (1.65米, 一米六五); weights in kg/公斤, or 斤 (halved); a bare pair "160 100"
  reads the second number as 斤 from 70 up, kg below.
Everything is regular expressions compiled at import and dictionary look-ups: well under a millisecond.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..corpus.files import _LineLoader, _Located
from ..corpus.products import Product, ProductSheet, SizeRow, Sku, fold, format_range, format_size_chart
from ..errors import CorpusError
from ..records import STAGES, Situation

REPLIES_FILE = "product_replies.yaml"
KINDS = ("value", "size", "sku", "compare", "ask_product", "unknown_attribute")

# ---- templates -------------------------------------------------------------------------------------------------

# template key -> the placeholders it may use (shop placeholders from shop.yaml are allowed everywhere)
TEMPLATE_KEYS: dict[str, tuple[str, ...]] = {
    "value": ("商品名", "属性", "值"),
    "size": ("商品名", "尺码", "身材", "依据"),
    "size_between": ("商品名", "尺码", "身材", "依据"),
    "size_outside": ("商品名", "身材"),
    "sku_stock": ("商品名", "规格", "库存"),
    "sku_price": ("商品名", "规格", "价格"),
    "sku_missing": ("商品名", "规格", "可选"),
    "compare": ("商品1", "商品2", "对比"),
    "compare_same": ("商品1", "商品2", "属性", "值"),
    "ask_product": (),
    "unknown_attribute": ("商品名", "属性"),
}
DEFAULT_TEXTS: dict[str, tuple[str, ...]] = {
    "value": ("亲，这款{商品名}的{属性}是{值}哦~",),
    "size": ("亲，按您{身材}，这款{商品名}建议拍{尺码}哦~（{依据}）",),
    "size_between": ("亲，按您{身材}，这款{商品名}介于{尺码}之间，喜欢宽松选大一码，喜欢合身选小一码哦~（{依据}）",),
    "size_outside": ("亲，按您{身材}，这款{商品名}的尺码表里没有正好对应的尺码，我帮您确认一下哦，稍等~",),
    "sku_stock": ("亲，这款{商品名}{规格}{库存}哦~",),
    "sku_price": ("亲，这款{商品名}{规格}的价格是{价格}哦~",),
    "sku_missing": ("亲，这款{商品名}没有{规格}哦，目前有{可选}~",),
    "compare": ("亲，{商品1}和{商品2}的区别：{对比}。您可以按需要选哦~",),
    "compare_same": ("亲，{商品1}和{商品2}的{属性}都是{值}哦~",),
    "ask_product": ("亲，请问您问的是哪一款呢？可以把商品链接发给我哦~",),
    "unknown_attribute": ("亲，这个我帮您确认一下哦，稍等~",),
}
DEFAULT_SITUATION = Situation(id="product_question", name="商品咨询", stage="presale",
                              description="买家问商品本身的规格参数、尺码推荐、颜色尺码库存、价格和两款对比，按商品表回答")
_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,16})\}")


@dataclass(frozen=True)
class ProductTemplates:
    """The reply texts per template key, and the situation product answers are filed under."""

    texts: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_TEXTS))
    situation: Situation = DEFAULT_SITUATION
    source: str = ""  # the file read; "" for the built-in default


def _template_problems(data: object, path: Path) -> tuple[list[str], dict[str, tuple[str, ...]], Situation]:
    from ..corpus.profile import KNOWN_PLACEHOLDERS

    problems: list[str] = []
    texts = dict(DEFAULT_TEXTS)
    situation = DEFAULT_SITUATION
    if not isinstance(data, dict):
        return [f"{path}:1: must be a mapping with 'situation' and 'templates'"], texts, situation

    def line(mapping: object, key: str) -> int:
        return mapping.line_of(key) if isinstance(mapping, _Located) else 1

    for key in sorted(set(data) - {"situation", "templates"}):
        problems.append(f"{path}:{line(data, key)}: field '{key}': unknown field (expected situation, templates)")
    raw = data.get("situation")
    if raw is not None:
        if not isinstance(raw, dict):
            problems.append(f"{path}:{line(data, 'situation')}: field 'situation': must be a mapping (id, name, stage)")
        else:
            sid, name, stage = raw.get("id"), raw.get("name"), raw.get("stage", "presale")
            if not isinstance(sid, str) or not re.match(r"^[a-z0-9][a-z0-9_\-]{0,63}$", sid):
                problems.append(f"{path}:{line(raw, 'id')}: field 'situation.id': lowercase letters, digits, - or _ "
                                f"(got {sid!r})")
            if not isinstance(name, str) or not name.strip():
                problems.append(f"{path}:{line(raw, 'name')}: field 'situation.name': is required")
            if stage not in STAGES:
                problems.append(f"{path}:{line(raw, 'stage')}: field 'situation.stage': one of {', '.join(STAGES)} "
                                f"(got {stage!r})")
            for key in sorted(set(raw) - {"id", "name", "stage", "description"}):
                problems.append(f"{path}:{line(raw, key)}: field 'situation.{key}': unknown field")
            if not problems:
                situation = Situation(id=sid, name=name.strip(), stage=stage,
                                      description=str(raw.get("description") or "").strip())
    templates = data.get("templates")
    if templates is None:
        return problems, texts, situation
    if not isinstance(templates, dict):
        return problems + [f"{path}:{line(data, 'templates')}: field 'templates': must map a kind to texts"], \
            texts, situation
    for key, value in templates.items():
        where = f"{path}:{line(templates, key)}"
        if key not in TEMPLATE_KEYS:
            problems.append(f"{where}: field 'templates.{key}': unknown template (known: {', '.join(TEMPLATE_KEYS)})")
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(t, str) and t.strip() for t in items):
            problems.append(f"{where}: field 'templates.{key}': must be one text or a list of non-empty texts")
            continue
        for text in items:
            unknown = [p for p in _PLACEHOLDER.findall(text)
                       if p not in TEMPLATE_KEYS[key] and p not in KNOWN_PLACEHOLDERS]
            if unknown:
                allowed = " ".join("{" + p + "}" for p in TEMPLATE_KEYS[key]) or "(none)"
                problems.append(f"{where}: field 'templates.{key}': unknown placeholder "
                                f"{', '.join('{' + p + '}' for p in unknown)} (allowed here: {allowed})")
        texts[key] = tuple(t.strip() for t in items)
    return problems, texts, situation


def load_templates(corpus_dir: Path) -> ProductTemplates:
    """corpus/product_replies.yaml validated (CorpusError naming file, line and field), or the built-in texts
    when the file is absent; a key the file leaves out keeps its built-in text."""
    path = Path(corpus_dir) / REPLIES_FILE
    if not path.is_file():
        return ProductTemplates()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError:
        raise CorpusError([f"{path}:1: not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError([f"{path}:{mark.line + 1 if mark else 1}: not valid YAML "
                           f"({getattr(exc, 'problem', None) or exc})"]) from None
    problems, texts, situation = _template_problems(data, path)
    if problems:
        raise CorpusError(problems)
    return ProductTemplates(texts=texts, situation=situation, source=str(path))


# ---- answers ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductAnswer:
    kind: str  # one of KINDS
    text: str  # the reply, shop placeholders ({客服名} …) still to be filled like any scripted reply
    product_ids: tuple[str, ...]
    attribute: str | None  # the sheet column (or size-chart measurement) answered, or asked about
    value: str | None  # the fact cited, exactly as it appears in `text`; None when nothing was cited
    confidence: float
    note: str = ""  # for the agent (Chinese): why the reply only says "let me check", which products it might be
    situation: str = DEFAULT_SITUATION.id

    @property
    def needs_check(self) -> bool:
        """True when the reply promises to check rather than answer: the UI should tell the agent."""
        return self.value is None and self.kind in ("size", "ask_product", "unknown_attribute")

    @property
    def sheet_lacks_attribute(self) -> bool:
        return self.kind == "unknown_attribute"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["product_ids"] = list(self.product_ids)
        data["needs_check"] = self.needs_check
        return data


@dataclass(frozen=True)
class _Concept:
    """One attribute buyers ask about: the words that ask it and the sheet columns that answer it."""

    name: str  # the attribute named in replies when the sheet has none of the columns
    columns: tuple[str, ...]
    cue: re.Pattern
    fallthrough: bool = False  # sheet lacks it -> [] (scripted replies answer), not unknown_attribute


def _concept(name: str, columns: str, cue: str, fallthrough: bool = False) -> _Concept:
    return _Concept(name, tuple(columns.split()), re.compile(cue), fallthrough)


# First match wins within a clause: the order settles overlaps (「一盒多少钱」 is a price, 「一盒几袋」 a spec).
_CONCEPTS: tuple[_Concept, ...] = (
    _concept("价格", "价格 售价 单价 到手价",
             r"多少钱|(?<!这么)(?<!那么)多钱|啥价|什么价|价格(?:是)?多少|价钱(?:是)?多少|价格呢|几块钱(?!的)|多少块钱"
             r"|几块一|多少米|售价|怎么卖|咋卖"),
    _concept("尺码表", "尺码表", r"尺码表|尺寸表|尺码对照|码表|尺码图"),
    _concept("保质期", "保质期 保存期限 有效期",
             r"保质期|保值期|保质|保存期|有效期|赏味期|放多久|放多长时间|放几天|放几个月|多久过期|多长时间过期|什么时候过期"
             r"|几时过期|能放多|可以放多"),
    _concept("产地", "产地 原产地 产区",
             r"产地|哪里产|哪儿产|哪产|哪里生产|哪儿生产|哪生产|哪里做的|产自|原产|哪里的货|哪的货|什么地方产|(?<!生)产的"),
    _concept("生产日期", "生产日期 生产批次",
             r"生产日期|生产日起|哪天生产|什么时候生产|啥时候生产|几月份?生产|几号生产|(?<!哪)(?<!里)(?<!儿)生产的"
             r"|什么时候做的|啥时候做的|哪天做的|新货|新鲜吗|新鲜不|新鲜么|日期新|日期是|批次"),
    _concept("充绒量", "充绒量 含绒量", r"充绒量|充绒|含绒量|绒量|多少绒"),
    _concept("填充物", "填充物 材质", r"什么绒|啥绒|鸭绒|鹅绒|填充|\d{2}绒"),
    _concept("配料", "配料 配料表 原料 成分",
             r"配料|原料|添加剂|防腐剂|添加糖|加糖|含糖|蔗糖|配方|里面有(?:什么|啥|哪些|几种)"),
    _concept("材质", "材质 面料 成分",
             r"材质|面料|料子|布料|什么料|啥料|含棉|纯棉|全棉|棉的吗|真丝|纯羊毛|纯羊绒|羊毛的吗|羊绒的吗|什么布|啥布"),
    _concept("成分", "成分 材质 配料 配料表", r"成分"),
    _concept("热量", "热量 能量 营养成分", r"热量|卡路里|大卡|多少卡|千焦|会胖|长胖|减肥"),
    _concept("颜色", "颜色", r"什么颜色|啥颜色|哪些颜色|哪几个颜色|几个颜色|几种颜色|几个色|多少颜色|多少种颜色|颜色有|什么色"),
    _concept("尺码", "尺码",
             r"均码吗|是均码|什么码|哪些码|几个码|哪几个码|什么尺码|哪些尺码|尺码有哪|有哪些尺码|有几个码|有多大的码"
             r"|最大.{0,3}码|最小.{0,3}码|有大码|码数有|尺码范围"),
    _concept("重量", "重量 净含量 规格", r"多重|重量|重不重|几斤重|多沉|沉不沉|有多重"),
    _concept("净含量", "净含量 规格 重量", r"净含量|多少克|几克|多少g|几g|分量|份量|多大包|多少毫升|容量多|多大容量|容量是"),
    _concept("规格", "规格 净含量",
             r"规格(?!选)|(?:一|每)(?:盒|袋|包|箱|罐|瓶|份)(?:有|是|装)?(?:几|多少)(?!钱|块钱)"
             r"|几(?:袋|包|枚|根|片|块|个)(?:一|每)(?:盒|袋|包|箱)|(?:盒|袋|包|箱)里面?有?(?:几|多少)(?:袋|包|枚|根|片|块|个)"),
    _concept("储存方式", "储存方式 储存条件 保存方法 储存",
             r"怎么保存|如何保存|怎么储存|怎么存|储存|存放|保存方法|冷藏|冰箱|常温"),
    _concept("版型", "版型 尺码建议", r"偏大|偏小|尺码准|码数准|码准|尺码正|码正|正码|标准码|版型|宽松|修身|紧身|显瘦|oversize",
             fallthrough=True),
    _concept("厚度", "厚度", r"厚不厚|多厚|厚度|厚吗|厚么|薄不薄|薄吗|薄么|厚实|透不透|会透|透吗|透么|加绒吗|加厚吗"
             r"|暖和吗|暖不暖|保暖吗|哪个.{0,2}(?:薄|厚|暖和|保暖)"),
    _concept("洗涤", "洗涤方式 洗涤说明 洗涤", r"机洗|手洗|干洗|水洗|怎么洗|洗涤|能洗", fallthrough=True),
    _concept("卖点", "卖点 特点", r"卖点|特点|优势|亮点|好在哪"),
    _concept("库存", "库存",
             r"有(?:没有)?现?货(?:吗|么|嘛|不|没)|有现货|现货吗|(?:还有|有没有)现?货|库存(?:多少|还有|有多少)"
             r"|还有库存|有库存吗|缺货吗|断货了?吗|卖完了?吗|售罄了?吗|没货了?吗"),
)
_BY_NAME = {c.name: c for c in _CONCEPTS}
_MEASURE_NAMES = ("衣长", "裤长", "裙长", "袖长", "胸围", "腰围", "臀围", "肩宽", "下摆", "裤脚", "大腿围", "腿围", "前裆",
                  "后裆", "领围", "长度", "宽度", "总长")
_MEASURE_NAME = re.compile("|".join(_MEASURE_NAMES))
_MEASURE_VAGUE = re.compile(r"多长(?!时间)|多宽")  # only where no other attribute is asked (「保质期多长」)
_LENGTHS = ("衣长", "裤长", "裙长", "长度", "总长")
_WIDTHS = ("肩宽", "宽度")

_QUESTION = re.compile(r"吗|么|嘛|呢|不$|没$|没有|[?？]|多少|多大|多长|多重|多久|多厚|多宽|几|什么|啥|哪|怎么|怎样|如何"
                       r"|是不是|有没有|有木有|是否|咋|求|问下|问一下|请问|发下|发一下|发我|说下|说一下|告诉|看看|看下|还是"
                       r"|(\w)不\1")
# A clause about shipping, bargaining or gifts is no product question; the rest of the message may still be one.
_VETO = re.compile(r"运费|邮费|快递|物流|包邮|发货|发什么|寄|到货|几天到|多久到|便宜|优惠|打折|折扣|券|满减|红包|赠品|多送|送个"
                   r"|送点|送几|发票|备注|地址|太贵|贵了|少点|少一点|再少|能少|抹零|砍价|减点|让点|补货"
                   r"|做工|质量|勾丝|起球|掉色|褪色|缩水|变形|掉毛|线头|瑕疵|熨|烫坏|过敏|致敏|实物|色差|偏色|显白|显黑")
# After-sale words make the whole message an after-sale matter (「想换成黑色的 黑色的M还有吧」 is an exchange).
_AFTERSALE = re.compile(r"退|换|售后|收到|签收|差评|好评|投诉|订单|单号|怎么回事|过期了|坏了|发霉|变质|破了|漏了|少了|不早说"
                        r"|告诉我没|不发|不想发")
# Asking the price, not arguing about it (「价格这么低」, 「要补多少钱」, 「双十一什么价」 belong to scripted replies).
_PRICE_VETO = re.compile(r"补|差价|这么|那么|最低|活动|双十一|双11|618|当天|团购|批发|给到|返|修|配件|值|心疼|别家|低点|高")
_COMPARE = re.compile(r"区别|不同|差别|差异|不一样|一样吗|一样不|一样么|对比|比较|哪个|哪款|哪种|vs|pk")
_TWO = re.compile(r"两款|这俩|两个|两件|两种|这两")
_SIZE_ASK = re.compile(r"码|号|尺|多大|穿|合适|选|拍|买哪|买什么|要哪|要什么|要几|可以吗|行吗|会大|会小|紧|大吗|小吗"
                       r"|[a-z0-9]还是[a-z0-9]")
_STOCK_ASK = re.compile(r"有没有|有没$|有木有|还有|有货|现货|库存|缺货|卖完|售罄|断货|没货|有吗|有么|有不|有嘛|有的吗|有.{0,8}[吗么嘛]")
_YES_NO = re.compile(r"是.{1,10}[吗么嘛]|是不是|是否")
_SPLIT = re.compile(r"[\s,，。.!！?？;；~～、]+")
_FILLERS = re.compile(r"亲亲|亲|请问|问下|问一下|这个|这款|那个|那款|这件|那件|这条|那条|的|呢|啊|呀|吖|哈|是|□")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D\u20E3\u2B00-\u2BFF]+|\\[[\u4e00-\u9fff]{1,6}\\]")

_SIZE_WORD = re.compile(r"(?<![a-z0-9])(xxxl|xxl|xl|xs|[2-6]xl|s|m|l|均码)(?![a-z])(?:码|号)?")
_SIZE_NUMBER = re.compile(r"(?<![\d.])(\d{2,3})(?:码|号)")
_BASE_COLOR = re.compile(r"[浅深奶米酒藏天军宝墨]?[黑白灰红蓝绿黄紫粉棕橙青驼杏咖](?:色|的)")

# Body measures
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


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str] | None:
    """The characters the converter changes, read from its own character table (None: no table, convert all)."""
    import opencc

    table = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    if not table.is_file():  # pragma: no cover - another build of opencc
        return None
    chars = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and targets.split(" ")[0] != source:
            chars.add(source)
    return frozenset(chars)


def _normalize(message: str) -> str:
    """NFKC, simplified characters, no emoji, lower case. The pure-Python converter is slow, so it runs only on
    messages holding a traditional character."""
    text = unicodedata.normalize("NFKC", message or "")
    traditional = _traditional()
    if traditional is None or not traditional.isdisjoint(text):
        text = _t2s().convert(text)
    return _EMOJI.sub(" ", text).lower()


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
    height: float | None = None  # cm
    weight: float | None = None  # kg

    def describe(self) -> str:
        parts = ([f"身高{format_range(self.height, self.height)}cm"] if self.height else []) + \
                ([f"体重{format_range(self.weight, self.weight)}kg"] if self.weight else [])
        return "的" + "、".join(parts)


def parse_body(text: str) -> Body:
    """Height and weight a buyer gives (「我165 52kg」, 「身高170体重120斤」, 「一米六五 一百斤」, 「1.72米」)."""
    return _parse_body(_normalize(text))


def _parse_body(text: str) -> Body:
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


def _canon_size(size: str) -> str:
    size = fold(size).strip().removesuffix("码").removesuffix("号")
    return {"xxl": "2xl", "xxxl": "3xl", "xxxxl": "4xl", "f": "均码", "free": "均码"}.get(size, size)


def _size_label(size: str) -> str:
    return size if size.endswith("码") else f"{size}码"


@dataclass(frozen=True)
class _Resolved:
    products: tuple[Product, ...]
    source: str  # message | caller | context | none
    ambiguous: bool = False


def _resolve(sheet: ProductSheet, mentions: list, product: str | None, context: Sequence[str]) -> _Resolved:
    """The product(s) the buyer means: named now, given by the caller, or named earlier (newest first)."""

    def from_text(found: list) -> _Resolved | None:
        unique = [m.product_ids[0] for m in found if len(m.product_ids) == 1]
        if unique:
            return _Resolved(tuple(sheet.products[p] for p in dict.fromkeys(unique)), "")
        if found:
            return _Resolved(tuple(sheet.products[p] for p in found[0].product_ids), "", ambiguous=True)
        return None

    now = from_text(mentions)
    if now:
        return _Resolved(now.products, "message", now.ambiguous)
    if product:
        given = sheet.candidates(product)
        if given:
            return _Resolved(tuple(given), "caller", len(given) > 1)
    for earlier in reversed(list(context)):
        found = from_text(_mentions(sheet, _normalize(earlier)))
        if found:
            return _Resolved(found.products, "context", found.ambiguous)
    return _Resolved((), "none")


_CONFIDENCE = {"message": 0.95, "caller": 0.9, "context": 0.8, "none": 0.5}


class _Builder:
    """Fills templates; one answer per template text, all citing the same fact."""

    def __init__(self, templates: ProductTemplates) -> None:
        self.templates = templates

    def make(self, key: str, kind: str, values: dict[str, str], ids: Sequence[str], attribute: str | None,
             value: str | None, confidence: float, note: str = "") -> list[ProductAnswer]:
        texts = self.templates.texts.get(key) or DEFAULT_TEXTS[key]
        out = []
        for template in texts:
            text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
            out.append(ProductAnswer(kind, text, tuple(ids), attribute, value, round(confidence, 2), note,
                                     self.templates.situation.id))
        return out


def _display_value(column: str, value: str) -> str:
    """A price cell that is a bare number is cited with 元; every other cell exactly as written."""
    if column in ("价格", "售价", "单价", "到手价") and re.fullmatch(r"\d+(?:\.\d+)?", value):
        return f"{value}元"
    return value


def _lookup(product: Product, concept: _Concept) -> tuple[str, str] | None:
    """(column, display value) for a concept from a product's row, size chart or SKUs — None when absent."""
    for column in concept.columns:
        value = product.attribute(column)
        if value:
            return column, _display_value(column, value)
    if concept.name == "尺码表" and product.size_chart:
        return "尺码表", format_size_chart(product.size_chart)
    if concept.name == "颜色" and product.colors:
        return "颜色", "、".join(product.colors)
    if concept.name == "尺码" and product.sizes:
        return "尺码", "、".join(product.sizes)
    return None


def _short(product: Product) -> str:
    return product.aliases[0] if product.aliases else product.name


@dataclass
class _Message:
    """A buyer message prepared once: normalised, products masked out (□), cut into clauses, and the clauses
    about shipping, refunds or bargaining dropped."""

    text: str
    masked: str
    pairs: list[tuple[str, str]]  # (clause as written, the same clause with product names masked)
    mentions: list = field(default_factory=list)

    @property
    def clauses(self) -> list[str]:
        return [masked for _, masked in self.pairs]

    @property
    def live(self) -> str:
        return " ".join(self.clauses)


def _mentions(sheet: ProductSheet, text: str) -> list:
    """The sheet's mentions, less name fragments that are attribute words: 「是纯棉的吗」 asks about material
    even though a product is called 纯棉T恤 (the whole name still counts)."""
    return [m for m in sheet.mentions(text)
            if m.term in sheet.exact_terms or not any(c.cue.fullmatch(m.term) for c in _CONCEPTS)]


def _prepare(sheet: ProductSheet, message: str) -> _Message:
    text = _normalize(message)
    if _AFTERSALE.search(text):
        return _Message(text, text, [])
    chars = list(text)
    mentions = _mentions(sheet, text)
    for mention in mentions:
        for i in range(mention.start, mention.end):
            chars[i] = "□"
    masked = "".join(chars)
    pairs = []
    start = 0
    for gap in [*_SPLIT.finditer(masked), None]:
        end = gap.start() if gap else len(masked)
        if end > start and not _VETO.search(masked[start:end]):
            pairs.append((text[start:end], masked[start:end]))
        start = gap.end() if gap else end
    return _Message(text, masked, pairs, mentions)


def _cue(pattern: re.Pattern, plain: str, masked: str) -> tuple[int, int] | None:
    """Where the pattern asks in the clause; a match lying wholly inside a product's name does not ask
    (「纯棉T恤有货吗」 is not about cotton), one that reaches past it does (「是纯羊绒吗」 of 羊绒衫)."""
    for match in pattern.finditer(plain):
        if any(masked[i] != "□" for i in range(match.start(), match.end())):
            return match.span()
    return None


def _is_question(clause: str, span: tuple[int, int], remove: Sequence[str] = ()) -> bool:
    """A clause asks when it has a question cue, or is nothing but the attribute word (「保质期」)."""
    if _QUESTION.search(clause):
        return True
    rest = clause[:span[0]] + clause[span[1]:]
    for word in remove:
        rest = rest.replace(word, "")
    return not _FILLERS.sub("", rest).strip()


def _concepts_asked(msg: _Message, sizes: Sequence[str], colors: Sequence[str]) -> list[_Concept]:
    found: list[_Concept] = []
    for plain, masked in msg.pairs:
        for concept in _CONCEPTS:
            span = _cue(concept.cue, plain, masked)
            if span and concept.name == "价格" and _PRICE_VETO.search(masked):
                continue
            if span and _is_question(masked, span, [*sizes, *colors]):
                if concept not in found:
                    found.append(concept)
                break
    return found


def _asks_measurement(plain: str, masked: str, sizes: Sequence[str]) -> bool:
    span = _cue(_MEASURE_NAME, plain, masked)
    if span is None and not any(c.cue.search(plain) for c in _CONCEPTS):
        span = _cue(_MEASURE_VAGUE, plain, masked)
    return span is not None and _is_question(masked, span, sizes)


_ECHO_COLUMNS = ("材质", "面料", "成分", "填充物", "产地", "原产地", "配料", "配料表", "规格", "净含量")
_ECHO_STOP = frozenset({"正常", "真的", "新的", "好的", "一样", "对的", "正品", "同一", "可以", "适合", "这样", "那样"})
_ECHO = re.compile(r"是(?:不是)?([^□是吗么嘛]{2,6}?)(?:的|产的|做的)?[吗么嘛]")


def _echoed(product: Product, masked: str) -> str | None:
    """The fact column a yes/no question echoes (「是内蒙的吗」 → 产地 内蒙古锡林郭勒): the words between 是 and 吗
    (all but one character of them) found inside one of the product's fact cells."""
    match = _ECHO.search(masked)
    if not match or match.group(1) in _ECHO_STOP:
        return None
    word = match.group(1)
    for size in range(len(word), max(len(word) - 1, 2) - 1, -1):
        for start in range(len(word) - size + 1):
            piece = word[start:start + size]
            column = next((c for c in _ECHO_COLUMNS if piece in fold(product.attributes.get(c, ""))), None)
            if column:
                return column
    return None


def _asks_sku(clauses: Sequence[str], product: Product | None, price_asked: bool) -> bool:
    """A stock or price question in a clause naming a colour or size, or in the clause right after one
    (「黑色M码 还有吗」)."""
    named = [bool(_size_tokens(c, product) or _color_tokens(c, product)) for c in clauses]
    for i, clause in enumerate(clauses):
        if (_STOCK_ASK.search(clause) or (price_asked and _BY_NAME["价格"].cue.search(clause))) \
                and (named[i] or (i and named[i - 1])):
            return True
    return False


def _size_tokens(text: str, product: Product | None) -> list[str]:
    """Sizes named in the text, as the product's chart spells them when it has them."""
    tokens = [m.group(0) for m in _SIZE_WORD.finditer(text)] + [m.group(0) for m in _SIZE_NUMBER.finditer(text)]
    if product:
        for size in product.sizes:
            if re.fullmatch(r"\d{2,3}", size):
                tokens += re.findall(rf"(?<![\d.]){size}(?![\d.]|\s*(?:cm|厘米|kg|公斤|斤|元|块|g|克|%))", text)
    unique: dict[str, str] = {}
    for token in tokens:
        unique.setdefault(_canon_size(token), token)
    return list(unique.values())


def _color_tokens(text: str, product: Product | None) -> list[tuple[str, tuple[str, ...]]]:
    """(buyer's word, the product colours it means) — an empty tuple when the product has no such colour."""
    found: list[tuple[str, tuple[str, ...]]] = []
    taken: list[tuple[int, int]] = []
    colors = product.colors if product else ()
    for color in sorted(colors, key=len, reverse=True):
        for word in dict.fromkeys([color, color.removesuffix("色")]):
            if len(word) >= 2:
                at = text.find(word)
                if at >= 0 and not any(s <= at < e for s, e in taken):
                    found.append((word, (color,)))
                    taken.append((at, at + len(word)))
                    break
    for match in _BASE_COLOR.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        base = match.group(0)[:-1]
        hits = tuple(c for c in colors if base in c or base[-1] in c) if len(base) > 1 else \
            tuple(c for c in colors if base in c)
        found.append((match.group(0), hits))
        taken.append(match.span())
    return found


def answer(message: str, sheet: ProductSheet, templates: ProductTemplates | None = None, product: str | None = None,
           context: Sequence[str] = ()) -> list[ProductAnswer]:
    """Product answers to a buyer's message, best first; [] when it is not a question about a product's
    attributes (the engine then answers with scripted replies). `product` is the caller's id, link or name of
    the product in view; `context` the buyer's earlier messages, newest last."""
    if not len(sheet) or not message or not message.strip():
        return []
    templates = templates or ProductTemplates()
    build = _Builder(templates)
    msg = _prepare(sheet, message)
    if not msg.clauses:
        return []
    resolved = _resolve(sheet, msg.mentions, product, context)
    products = resolved.products
    first = products[0] if products and not resolved.ambiguous else None
    confidence = _CONFIDENCE[resolved.source]
    live = msg.live

    # 1. two products compared
    if _COMPARE.search(live):
        if len(products) >= 2 and not (resolved.ambiguous and not _TWO.search(live)):
            concepts = [c for c in _concepts_asked(msg, (), ()) if not c.fallthrough]
            return _compare(build, products[0], products[1], concepts[0] if concepts else None, confidence)
        if not products and _TWO.search(live) and re.search(r"区别|差别|差异|不一样|有啥不同|有什么不同|哪个好|哪款好",
                                                             live):
            return _ask(build, (), "买家在比较两款商品，但没认出是哪两款")

    # 2. which size fits this body
    body = _parse_body(live)
    if (body.height or body.weight) and _SIZE_ASK.search(live):
        if not products:
            return _ask(build, (), "买家要尺码推荐，但没认出是哪款商品")
        if resolved.ambiguous:
            return _ask(build, [p.id for p in products], "可能是：" + "、".join(p.name for p in products))
        return _recommend(build, products[0], body, confidence)

    sizes = _size_tokens(live, first)
    colors = _color_tokens(live, first)
    answers: list[ProductAnswer] = []
    done: set[str] = set()

    # 3. a measurement from the size chart (「M码多长」, 「胸围多少」)
    if any(_asks_measurement(plain, masked, sizes) for plain, masked in msg.pairs):
        if not first:
            return _ask(build, [p.id for p in products], "买家问尺寸，但没认出是哪款商品")
        answers += _measurement(build, first, live, sizes, confidence)
        done.add("measure")

    # 4. a colour or size in stock, or its price
    price_asked = any(_BY_NAME["价格"].cue.search(c) and not _PRICE_VETO.search(c) for c in msg.clauses)
    if (sizes or colors) and not answers and _asks_sku(msg.clauses, first, price_asked):
        if not first:
            return _ask(build, [p.id for p in products], "买家问颜色/尺码有没有货，但没认出是哪款商品")
        if first.skus or first.colors or first.sizes:
            answers += _sku(build, first, sizes, colors, bool(price_asked), confidence)
            done.update({"价格", "库存", "颜色", "尺码"})

    # 5. attribute questions from the lexicon
    for concept in _concepts_asked(msg, sizes, [w for w, _ in colors]):
        if concept.name in done or (concept.name in ("尺码",) and "measure" in done):
            continue
        if not products:
            if concept.fallthrough:
                continue
            return _ask(build, (), f"买家问{concept.name}，但没认出是哪款商品")
        if concept.name == "库存" and first and first.skus and not first.attribute("库存"):
            answers += _sku(build, first, (), (), False, confidence)  # stock counted per SKU: say which are in
            done.add(concept.name)
            continue
        answers += _attribute(build, products, resolved.ambiguous, concept, confidence)
        done.add(concept.name)

    # 6. a yes/no question echoing a cell (「是内蒙的吗」, 「是90绒的吗」): answer with the whole cell
    if not answers and products:
        for masked in msg.clauses:
            if not _YES_NO.search(masked):
                continue
            columns = {_echoed(p, masked) for p in products}
            if len(columns) == 1 and None not in columns:
                column = columns.pop()
                answers += _attribute(build, products, resolved.ambiguous,
                                      _Concept(column, (column,), re.compile(re.escape(column))), confidence - 0.1)
                break
    return answers


def _ask(build: _Builder, ids: Sequence[str], note: str) -> list[ProductAnswer]:
    return build.make("ask_product", "ask_product", {}, ids, None, None, 0.6, note)


def _unknown(build: _Builder, products: Sequence[Product], attribute: str, confidence: float) -> list[ProductAnswer]:
    names = "、".join(p.name for p in products)
    return build.make("unknown_attribute", "unknown_attribute", {"商品名": products[0].name, "属性": attribute},
                      [p.id for p in products], attribute, None, min(confidence, 0.7),
                      f"商品表里「{names}」没有填写「{attribute}」，请核实后再回复，不要猜测")


def _attribute(build: _Builder, products: Sequence[Product], ambiguous: bool, concept: _Concept,
               confidence: float) -> list[ProductAnswer]:
    found = [_lookup(p, concept) for p in products]
    if ambiguous:
        values = {f for f in found}
        if len(values) == 1 and found[0]:
            column, value = found[0]
            return build.make("value", "value", {"商品名": _short_common(products), "属性": column, "值": value},
                              [p.id for p in products], column, value, confidence - 0.1,
                              "可能是：" + "、".join(p.name for p in products) + "（这一项都一样）")
        if all(f is None for f in found) and concept.fallthrough:
            return []
        return _ask(build, [p.id for p in products], "可能是：" + "、".join(p.name for p in products))
    out: list[ProductAnswer] = []
    for product, hit in zip(products[:3], found[:3]):
        if hit:
            column, value = hit
            out += build.make("value", "value", {"商品名": product.name, "属性": column, "值": value}, [product.id],
                              column, value, confidence)
        elif not concept.fallthrough:
            out += _unknown(build, [product], concept.name, confidence)
    return out


def _short_common(products: Sequence[Product]) -> str:
    """What several products sharing an answer are called together: the words their names have in common."""
    names = [p.name for p in products]
    best = ""
    first = names[0]
    for size in range(len(first), 1, -1):
        for start in range(len(first) - size + 1):
            piece = first[start:start + size]
            if all(piece in n for n in names[1:]):
                best = piece
                break
        if best:
            break
    return best or first


def _measurement(build: _Builder, product: Product, text: str, sizes: Sequence[str],
                 confidence: float) -> list[ProductAnswer]:
    names = [n for n in _MEASURE_NAMES if n in text]
    chart_names = list(dict.fromkeys(n for row in product.size_chart for n, _ in row.measurements))
    names += [n for n in chart_names if n in text and n not in names]
    if not names:
        wanted = _WIDTHS if re.search(r"多宽", text) else _LENGTHS
        names = [next((n for n in wanted if n in chart_names or product.attribute(n)), wanted[0])]
    out: list[ProductAnswer] = []
    for name in names[:2]:
        cell = product.attribute(name)
        if cell and not sizes:
            out += build.make("value", "value", {"商品名": product.name, "属性": name, "值": cell}, [product.id],
                              name, cell, confidence)
            continue
        if name not in chart_names:
            out += _unknown(build, [product], name, confidence)
            continue
        rows: list[SizeRow] = []
        for size in sizes:
            row = next((r for r in product.size_chart if _canon_size(r.size) == _canon_size(size)), None)
            if row is None:
                return _sku_missing(build, product, size.upper().removesuffix("码"), "尺码", product.sizes, confidence)
            rows.append(row)
        rows = rows or list(product.size_chart)
        rows = [r for r in rows if r.measurement(name)]
        if len(rows) == 1:
            value = f"{rows[0].measurement(name)}cm"
            label = f"{_size_label(rows[0].size)}的{name}" if len(product.size_chart) > 1 else name
        else:
            value = "、".join(f"{r.size} {r.measurement(name)}cm" for r in rows)
            label = f"各尺码{name}"
        out += build.make("value", "value", {"商品名": product.name, "属性": label, "值": value}, [product.id],
                          name, value, confidence)
    return out


def _sku_missing(build: _Builder, product: Product, asked: str, attribute: str, options: Sequence[str],
                 confidence: float) -> list[ProductAnswer]:
    return build.make("sku_missing", "sku", {"商品名": product.name, "规格": asked, "可选": "、".join(options)},
                      [product.id], attribute, None, confidence,
                      f"商品表里「{product.name}」没有{asked}")


def _product_skus(product: Product) -> tuple[Sku, ...]:
    """The SKUs, or — when the sheet lists colours and sizes without SKUs — every colour × size it offers."""
    if product.skus:
        return product.skus
    return tuple(Sku(c, s) for c in (product.colors or ("",)) for s in (product.sizes or ("",)))


def _sku(build: _Builder, product: Product, sizes: Sequence[str], colors: Sequence[tuple[str, tuple[str, ...]]],
         price: bool, confidence: float) -> list[ProductAnswer]:
    skus = _product_skus(product)
    wanted_colors: set[str] = set()
    for word, hits in colors:
        if not hits:
            return _sku_missing(build, product, word.removesuffix("的"), "颜色", product.colors, confidence)
        wanted_colors.update(hits)
    wanted_sizes = {_canon_size(s) for s in sizes}
    known_sizes = {_canon_size(s.size) for s in skus}
    for size in sizes:
        if _canon_size(size) not in known_sizes:
            return _sku_missing(build, product, size.upper().removesuffix("码"), "尺码", product.sizes, confidence)
    matched = [s for s in skus if (not wanted_colors or s.color in wanted_colors)
               and (not wanted_sizes or _canon_size(s.size) in wanted_sizes)]
    asked = "/".join(part for part in ("、".join(c for c in product.colors if c in wanted_colors),
                                       "、".join(s.upper().removesuffix("码") for s in sizes)) if part)
    if not matched:
        options = [s.label for s in skus if s.color in wanted_colors] if wanted_colors else list(product.sizes)
        return _sku_missing(build, product, asked, "尺码", [o.split("/")[-1] for o in options] or options, confidence)
    if price:
        prices = list(dict.fromkeys(s.price for s in matched if s.price is not None))
        if not prices:
            hit = _lookup(product, _BY_NAME["价格"])
            if not hit:
                return _unknown(build, [product], "价格", confidence)
            value = hit[1]
        elif len(prices) == 1:
            value = f"{prices[0]}元"
        else:
            value = "、".join(f"{s.label}{s.price}元" for s in matched if s.price is not None)
        return build.make("sku_price", "sku", {"商品名": product.name, "规格": asked, "价格": value}, [product.id],
                          "价格", value, confidence)
    in_stock = [s for s in matched if s.in_stock]
    out_stock = [s for s in matched if not s.in_stock]
    if not out_stock:
        value, phrase = "有货", "有货"
    elif not in_stock:
        value, phrase = "缺货", "暂时缺货"
    else:
        vary_size = len({s.size for s in matched}) > 1
        vary_color = len({s.color for s in matched}) > 1

        def names(group: list[Sku]) -> str:
            if vary_size and not vary_color:
                return "、".join(s.size for s in group)
            if vary_color and not vary_size:
                return "、".join(s.color for s in group)
            return "、".join(s.label for s in group)

        value = f"{names(in_stock)}有货，{names(out_stock)}缺货"
        phrase = "：" + value
    return build.make("sku_stock", "sku", {"商品名": product.name, "规格": asked, "库存": phrase}, [product.id],
                      "库存", value, confidence)


def _fits(row: SizeRow, body: Body) -> tuple[bool | None, bool | None]:
    height = None if body.height is None or row.height is None else row.height[0] <= body.height <= row.height[1]
    weight = None if body.weight is None or row.weight is None else row.weight[0] <= body.weight <= row.weight[1]
    return height, weight


def _recommend(build: _Builder, product: Product, body: Body, confidence: float) -> list[ProductAnswer]:
    chart = list(product.size_chart)
    described = body.describe()
    values = {"商品名": product.name, "身材": described}

    def outside(note: str) -> list[ProductAnswer]:
        return build.make("size_outside", "size", values, [product.id], "尺码", None, min(confidence, 0.7), note)

    if not chart or not any(r.height or r.weight for r in chart):
        return outside(f"商品表里「{product.name}」没有带身高体重的尺码表，请人工推荐尺码")
    fits = [_fits(row, body) for row in chart]
    by_height = [i for i, (h, _) in enumerate(fits) if h] if any(h is not None for h, _ in fits) else None
    by_weight = [i for i, (_, w) in enumerate(fits) if w] if any(w is not None for _, w in fits) else None
    if by_height is not None and by_weight is not None:
        if not by_height or not by_weight:
            return outside("买家的身高或体重超出了尺码表的范围，请人工确认")
        both = [i for i in by_height if i in by_weight]
        if both:
            pick = both
        else:
            span = sorted(set(by_height) | set(by_weight))
            if span[-1] - span[0] != 1:
                return outside("买家的身高和体重对应的尺码相差较大，请人工确认")
            pick = span
    else:
        pick = by_height if by_height is not None else by_weight
        if not pick:
            return outside("买家的身高或体重超出了尺码表的范围，请人工确认")
    if len(pick) > 2:
        return outside("只凭身高或体重对应多个尺码，请问清另一项再推荐")
    rows = [chart[i] for i in (pick[0], pick[-1])] if len(pick) > 1 else [chart[pick[0]]]

    def basis(row: SizeRow) -> str:
        items = ([f"身高{format_range(*row.height)}cm"] if row.height else []) + \
                ([f"体重{format_range(*row.weight)}kg"] if row.weight else [])
        return f"{_size_label(row.size)}适合" + " ".join(items)

    evidence = "；".join(basis(r) for r in rows)
    if len(rows) == 1:
        return build.make("size", "size", {**values, "尺码": rows[0].size, "依据": evidence}, [product.id], "尺码",
                          rows[0].size, confidence)
    value = f"{rows[0].size}和{rows[1].size}"
    return build.make("size_between", "size", {**values, "尺码": value, "依据": evidence}, [product.id], "尺码", value,
                      confidence - 0.05, "买家介于两个尺码之间")


_COMPARE_ORDER = ("材质", "厚度", "版型", "价格", "重量", "充绒量", "保质期", "净含量", "规格", "配料", "热量", "产地",
                  "卖点")
_MAX_COMPARED = 5


def _compare(build: _Builder, a: Product, b: Product, concept: _Concept | None,
             confidence: float) -> list[ProductAnswer]:
    ids = [a.id, b.id]
    names = {"商品1": _short(a), "商品2": _short(b)}
    if concept is not None:
        hit_a, hit_b = _lookup(a, concept), _lookup(b, concept)
        lacking = [p for p, hit in ((a, hit_a), (b, hit_b)) if hit is None]
        if lacking:
            return _unknown(build, lacking, concept.name, confidence)
        if hit_a[1] == hit_b[1]:
            return build.make("compare_same", "compare", {**names, "属性": hit_a[0], "值": hit_a[1]}, ids,
                              hit_a[0], hit_a[1], confidence)
        text = f"{hit_a[0]}：{_short(a)}{hit_a[1]}，{_short(b)}{hit_b[1]}"
        return build.make("compare", "compare", {**names, "对比": text}, ids, hit_a[0], None, confidence)
    columns = [c for c in _COMPARE_ORDER if c in a.attributes or c in b.attributes]
    columns += [c for c in dict.fromkeys([*a.attributes, *b.attributes])
                if c not in columns and c not in ("颜色", "尺码", "库存")]
    parts = []
    for column in columns:
        va, vb = a.attribute(column), b.attribute(column)
        if va and vb and va != vb:
            parts.append(f"{column}：{_short(a)}{_display_value(column, va)}，{_short(b)}{_display_value(column, vb)}")
        if len(parts) == _MAX_COMPARED:
            break
    if not parts:
        return []  # nothing in the sheet tells them apart: the scripted replies answer
    return build.make("compare", "compare", {**names, "对比": "；".join(parts)}, ids, None, None, confidence)

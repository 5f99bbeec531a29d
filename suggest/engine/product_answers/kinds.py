"""Kinds of product (卫衣, 大衣, 牛肉干, 围巾 …): what a buyer's product noun may mean in this shop's sheet.

Why: a product sheet matches buyers' words on fragments of product names, and a fragment may be a mere modifier
(羊毛 of 羊毛大衣, 儿童 of 儿童防晒衣, 牛仔 of 牛仔裤). 「羊毛围巾什么材质」 must not be answered with the coat's
material, nor 「儿童羽绒服多少钱」 with the price of the women's down jacket. So a product is matched on its kind
noun (its head: the category word its name or an alias ends in) or on an alias, and a buyer's kind noun that no
product of the sheet is (围巾, 冲锋衣, 辣条) makes the question one about a product the shop may not sell.

The kind nouns are a general lexicon of what buyers call products (clothing, snacks, common goods), plus every
alias the sheet gives. Words that name a part of a product (帽子, 口袋, 拉链, 内衬) are deliberately not kinds:
「卫衣帽子能拆吗」 asks about the hoodie.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from ...corpus.products import Product, ProductSheet, fold

_APPAREL = """
卫衣 t恤 短袖 长袖 衬衫 衬衣 polo衫 打底衫 背心 吊带 马甲 毛衣 针织衫 开衫 羊绒衫 羊毛衫 套头衫 外套 夹克 风衣 大衣
毛呢大衣 羽绒服 羽绒马甲 棉服 棉衣 棉袄 冲锋衣 皮衣 皮草 西装 西服 卫裤 牛仔裤 阔腿裤 直筒裤 休闲裤 运动裤 西裤
打底裤 瑜伽裤 喇叭裤 工装裤 哈伦裤 短裤 长裤 九分裤 连衣裙 半身裙 短裙 长裙 百褶裙 吊带裙 针织裙 卫衣裙 牛仔裙
旗袍 汉服 睡衣 睡裙 家居服 内衣 内裤 文胸 保暖内衣 秋衣 秋裤 袜子 丝袜 连裤袜 围巾 披肩 手套 毛线帽 棒球帽 渔夫帽
鸭舌帽 运动鞋 帆布鞋 板鞋 靴子 雪地靴 拖鞋 凉鞋 双肩包 背包 手提包 斜挎包 泳衣 泳裤 防晒衣 防晒服 袖套
冰袖 雨衣 校服 连体衣 爬服 哈衣 婴儿服 运动服 工作服 polo t恤衫 衬衫裙 马甲裙 毛衣链 皮带 领带
"""
_FOOD = """
牛肉干 牛肉粒 牛肉片 牛肉脯 猪肉干 猪肉脯 肉脯 肉干 肉松 肉松卷 海苔卷 海苔 鸭脖 鸭翅 鸭掌 鸡爪 凤爪 鸡翅 辣条 素肉
坚果 每日坚果 混合坚果 核桃 腰果 巴旦木 碧根果 开心果 夏威夷果 松子 榛子 瓜子 花生 饼干 曲奇 苏打饼干 威化 蛋卷
麻花 鲜花饼 月饼 蛋糕 面包 吐司 糕点 燕麦酥 燕麦片 麦片 冻干 果干 芒果干 草莓干 葡萄干 蓝莓干 蜜饯 话梅 果脯
薯片 虾条 锅巴 糖果 巧克力 软糖 奶糖 棒棒糖 果冻 布丁 饮料 果汁 茶叶 花茶 咖啡 奶粉 蜂蜜 红枣 枸杞 粽子 汤圆
方便面 螺蛳粉 酸辣粉 自热火锅 火腿肠 香肠 腊肠 卤蛋 豆干 鱼干 鱿鱼丝 海带 紫菜 酸奶 牛奶 奶酪 雪饼 米饼 桃酥
"""
_GOODS = """
保温杯 水杯 杯子 充电宝 耳机 手机壳 数据线 枕头 枕套 被子 蚕丝被 羽绒被 床单 四件套 毛巾 浴巾 口罩 雨伞 太阳伞
面霜 面膜 口红 防晒霜 洗面奶 洗发水 沐浴露 香水 护手霜 玩具 书包 文具 台灯
"""
KIND_WORDS: frozenset[str] = frozenset(fold(w) for w in (_APPAREL + _FOOD + _GOODS).split())
_LONGEST = max(len(w) for w in KIND_WORDS)
# A broad word covers every product whose name holds its root: 「这裙子」 is the dress, whichever it is.
GENERIC: dict[str, str] = {"裤子": "裤", "裙子": "裙", "袜子": "袜", "鞋子": "鞋"}
# Who a product is for, said right before its kind noun (「儿童羽绒服」, 「男款卫衣」).
AUDIENCE_WORDS: dict[str, str] = {
    **dict.fromkeys(("儿童", "童装", "宝宝", "小孩", "孩子", "男童", "女童", "婴儿", "幼儿", "童款", "中童", "大童",
                     "小童"), "child"),
    **dict.fromkeys(("男士", "男款", "男式", "男生", "男装", "男人", "男性"), "men"),
    **dict.fromkeys(("女士", "女款", "女式", "女生", "女装", "女人", "女性"), "women"),
}


def _audience(product: Product) -> str | None:
    """Who the product is for, from its category and name; None when the sheet does not tell."""
    text = fold(f"{product.category} {product.name}")
    if "童" in text or "婴" in text:
        return "child"
    if "男" in text and "女" not in text:
        return "men"
    if "女" in text and "男" not in text:
        return "women"
    return None


@dataclass(frozen=True)
class Kinds:
    """The kind nouns of one sheet: per product the kinds it is, per word the products it may mean, and the words
    to look for in a message. Built once per sheet, so a message costs dictionary look-ups, whatever the sheet's
    size."""

    of: dict[str, frozenset[str]]  # product id -> kind nouns and aliases it answers to
    meaning: dict[str, frozenset[str]]  # a buyer's kind noun -> the products it may mean
    audience: dict[str, str | None]  # product id -> child | men | women | None
    words: dict[str, tuple[int, ...]]  # first character -> lengths of the words to try there, longest first
    facts: str  # every cell of the sheet, folded: a kind noun found there is an ingredient or a part (核桃)

    def has_kind(self, product_id: str) -> bool:
        """False for a product whose name holds no known kind noun and that has no alias: nothing to rest a match
        on, so any fragment of its name still names it."""
        return bool(self.of.get(product_id))

    def meant(self, words: Sequence[str], audience: str | None = None) -> set[str]:
        """The products a buyer's noun (kind nouns in a row, and the audience said before them) may mean."""
        ids = set(self.meaning.get(words[0], ())) if words else set()
        for word in words[1:]:
            ids &= self.meaning.get(word, frozenset())
        return {pid for pid in ids if not (audience and self.audience.get(pid) and audience != self.audience[pid])}

    def sold(self, word: str) -> bool:
        """Whether some product of the sheet may be meant by the word, or the sheet mentions it at all (an
        ingredient such as 核桃 in 每日坚果's 配料)."""
        return bool(self.meaning.get(word)) or word in self.facts

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, word) of the kind nouns in the text, longest match first at each position."""
        found = []
        position = 0
        while position < len(text):
            for size in self.words.get(text[position], ()):
                piece = text[position:position + size]
                if piece in self.meaning:
                    found.append((position, position + size, piece))
                    position += size
                    break
            else:
                position += 1
        return found


def _kinds_in(names: Sequence[str]) -> set[str]:
    """The lexicon's kind nouns inside the names (every substring looked up, not every word searched for)."""
    return {name[i:j] for name in names for i in range(len(name))
            for j in range(i + 2, min(len(name), i + _LONGEST) + 1) if name[i:j] in KIND_WORDS}


def _build(sheet: ProductSheet) -> Kinds:
    of: dict[str, frozenset[str]] = {}
    meaning: dict[str, set[str]] = {word: set() for word in (*KIND_WORDS, *GENERIC)}
    for product in sheet:
        names = [fold(n).strip() for n in (product.name, *product.aliases) if n.strip()]
        kinds = _kinds_in(names)
        if kinds or product.aliases:
            kinds.update(fold(a).strip() for a in product.aliases if len(a.strip()) >= 2)
        of[product.id] = frozenset(kinds)
        for kind in kinds:  # a kind means its product, and so does every kind noun it ends in (肉干 of 牛肉干)
            for start in range(len(kind) - 1):
                if start == 0 or kind[start:] in meaning:
                    meaning.setdefault(kind[start:], set()).add(product.id)
        for word, root in GENERIC.items():
            if any(root in kind for kind in kinds):
                meaning[word].add(product.id)
    lengths: dict[str, set[int]] = {}
    for word in meaning:
        lengths.setdefault(word[0], set()).add(len(word))
    words = {first: tuple(sorted(sizes, reverse=True)) for first, sizes in lengths.items()}
    facts = " ".join(fold(cell) for p in sheet for cell in p.attributes.values())
    return Kinds(of, {w: frozenset(ids) for w, ids in meaning.items()}, {p.id: _audience(p) for p in sheet}, words,
                 facts)


_CACHE: dict[int, tuple[weakref.ref, Kinds]] = {}


def kinds_of(sheet: ProductSheet) -> Kinds:
    """The sheet's kinds, built once per sheet object (a sheet is immutable; a new file is a new sheet)."""
    held = _CACHE.get(id(sheet))
    if held is not None and held[0]() is sheet:
        return held[1]
    kinds = _build(sheet)
    for key in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[key]
    _CACHE[id(sheet)] = (weakref.ref(sheet), kinds)
    return kinds


def audience_before(text: str, start: int) -> tuple[str, int] | None:
    """The audience a buyer says right before a kind noun (「儿童羽绒服」, 「男款的卫衣」) and where that word
    starts; None when there is none."""
    end = start - 1 if start and text[start - 1] == "的" else start
    for word, who in AUDIENCE_WORDS.items():
        if text.endswith(word, 0, end):
            return who, end - len(word)
    return None

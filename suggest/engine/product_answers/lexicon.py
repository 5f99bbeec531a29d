"""The attribute lexicon: what buyers say when they ask about a product, and the sheet columns that answer it.

Why patterns and not a model: the questions come in a few hundred fixed turns of phrase (「多少钱」, 「保质期多久」,
「冷不冷」), a miss costs nothing (the scripted replies answer) while a wrong hit costs a wrong fact, and every
pattern here can be read and argued with. Families are written in general forms, never for one sentence:
content (X含量, 纯X, 100%X → 材质), warmth (冷不冷, 零度能穿吗 → 厚度), fit (紧不紧, 里面能穿毛衣吗 → 版型),
what a mixed pack holds (都有哪些 → 配料), pack size (几袋装, 一袋多少片 → 规格).

A concept the sheet has no column for is answered "the agent checks" (unknown_attribute), never guessed; so the
lexicon also names properties shops seldom put in a sheet (口袋, 拉链, 执行标准, SC编号, 蛋白质) for that answer.
Advice the scripted replies give (版型 「偏大还是偏小」, 洗涤 「能机洗吗」) is `fallthrough`: answered only from a
column. Clauses about shipping, money, after-sale or quality (`VETO`, `AFTERSALE`) are never product questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    """One attribute buyers ask about: the words that ask it and the sheet columns that answer it."""

    name: str  # the attribute named in replies when the sheet has none of the columns
    columns: tuple[str, ...]
    cue: re.Pattern
    fallthrough: bool = False  # sheet lacks it -> [] (scripted replies answer), not unknown_attribute
    mentions: tuple[str, ...] = ()  # a presence question (「有口袋吗」) is answered by a cell naming one of these
    whole: bool = False  # the cue must be all the clause says, besides product names and fillers (「这款还有吗」)


def _concept(name: str, columns: str, cue: str, fallthrough: bool = False, mentions: str = "",
             whole: bool = False) -> Concept:
    return Concept(name, tuple(columns.split()), re.compile(cue), fallthrough, tuple(mentions.split()), whole)


# Fibres buyers name when asking what a garment is made of (「是纯棉的吗」, 「真羊毛吗」, 「有氨纶吗」).
_FIBRE = (r"(?:棉|羊毛|羊绒|山羊绒|绵羊毛|真丝|蚕丝|桑蚕丝|亚麻|麻|涤纶|聚酯纤维|锦纶|尼龙|氨纶|莫代尔|粘纤|人棉"
          r"|冰丝|天丝|雪纺|真皮|牛皮|羊皮|皮)")
_AFTER_ASK = r"(?:的)?(?:吗|么|嘛|不|没)"
# Pack units: 一袋几片, 几袋装.
_PACK = r"(?:盒|袋|包|箱|罐|瓶|份|提|条)"
_PIECE = r"(?:袋|包|枚|根|片|块|个|支|粒|颗|小包|小袋|盒)"

# First match wins within a clause: the order settles overlaps (「一盒多少钱」 is a price, 「一盒几袋」 a spec,
# 「蛋白质含量」 nutrition before 「X含量」 content, 「净含量」 never content).
CONCEPTS: tuple[Concept, ...] = (
    _concept("价格", "价格 售价 单价 到手价",
             r"多少钱|(?<!这么)(?<!那么)多钱|啥价|什么价|价格(?:是)?多少|价钱(?:是)?多少|价格呢|几块钱(?!的)|多少块钱"
             r"|几块一|多少米|售价|怎么卖|咋卖"),
    _concept("尺码表", "尺码表", r"尺码表|尺寸表|尺码对照|码表|尺码图"),
    _concept("保质期", "保质期 保存期限 有效期",
             r"保质期|保值期|保质|保存期|有效期|赏味期|放多久|放多长时间|放几天|放几个月|多久过期|多长时间过期|什么时候过期"
             r"|几时过期|能放多|可以放多"),
    _concept("产地", "产地 原产地 产区",
             r"产地|哪里产|哪儿产|哪产|哪里生产|哪儿生产|哪生产|哪里做的|产自|原产|哪里的货|哪的货|什么地方产|(?<!生)产的"
             r"|是(?:不是)?(?:进口|国产)|(?:进口|国产)(?:的)?(?:吗|么|嘛|不|没)|进口还是国产|国产还是进口"),
    _concept("生产日期", "生产日期 生产批次",
             r"生产日期|生产日起|哪天生产|什么时候生产|啥时候生产|几月份?生产|几号生产|(?<!哪)(?<!里)(?<!儿)生产的"
             r"|什么时候做的|啥时候做的|哪天做的|新货|新鲜吗|新鲜不|新鲜么|日期新|日期是|批次|临期|最新日期"
             r"|(?:几|哪个)月(?:份)?的货|什么时候的货"),
    _concept("充绒量", "充绒量 含绒量", r"充绒量|充绒|含绒量|绒量|多少绒|充了?多少(?:克)?(?:绒|羽绒)"),
    _concept("填充物", "填充物 材质", r"什么绒|啥绒|鸭绒|鹅绒|填充|\d{2}绒"),
    _concept("营养成分", "营养成分 营养成分表 蛋白质",
             r"(?:蛋白质|脂肪|碳水|钠|膳食纤维)(?:化合物)?(?:含量|多少|高|低)?|营养成分表?|营养表|营养价值|含钠"),
    _concept("配料", "配料 配料表 原料 成分",
             r"配料|原料|添加剂|防腐剂|添加糖|加糖|含糖|蔗糖|配方|里面有(?:什么|啥|哪些|几种)"
             r"|(?:都|一共|总共|里边|里头)(?:有|装了?|包含|含)(?:哪些|啥|什么|哪几种|几种|多少种)"
             r"(?!颜色|色|码|尺|款式|规格|优惠|活动|快递|赠品|尺寸)"
             r"|(?:什么|啥)做的|用(?:什么|啥)(?:肉|面粉|粉|油|糖|做)|是(?:什么|啥)肉|几种(?:坚果|果干|口味|水果)"
             r"|包含(?:哪些|啥|什么|哪几种)|有(?:哪|几)几?种(?!颜色|色|码|尺|款|规格)"),
    _concept("材质", "材质 面料 成分",
             r"材质|面料|料子|布料|什么料|啥料|含棉|纯棉|全棉|棉的吗|真丝|纯羊毛|纯羊绒|羊毛的吗|羊绒的吗|什么布|啥布"
             rf"|(?:纯|全|真){_FIBRE}(?:的)?(?:吗|么|嘛|不|没|$)|是{_FIBRE}{_AFTER_ASK}|含(?:不含|有)?{_FIBRE}"
             rf"|有(?:没有)?{_FIBRE}{_AFTER_ASK}"
             r"|弹力|弹性|有弹|没弹"),
    _concept("成分", "成分 材质 配料 配料表",
             r"成分|(?<!净)含量|含(?:棉|毛|绒|麻)量|含不含|100%|百分百|百分之百|占比|比例|纯度|混纺"),
    _concept("热量", "热量 能量 营养成分", r"热量|卡路里|大卡|多少卡|千焦|会胖|长胖|减肥"),
    _concept("颜色", "颜色", r"什么颜色|啥颜色|哪些颜色|哪几个颜色|几个颜色|几种颜色|几个色|多少颜色|多少种颜色|颜色有|什么色"),
    _concept("尺码", "尺码",
             r"均码吗|是均码|什么码|哪些码|几个码|哪几个码|什么尺码|哪些尺码|尺码有哪|有哪些尺码|有几个码|有多大的码"
             r"|最大.{0,3}码|最小.{0,3}码|有大码|码数有|尺码范围"),
    _concept("重量", "重量 净含量 规格", r"多重|重量|重不重|几斤重|多沉|沉不沉|有多重"),
    _concept("净含量", "净含量 规格 重量", r"净含量|多少克|几克|多少g|几g|分量|份量|多大包|多少毫升|容量多|多大容量|容量是"),
    _concept("规格", "规格 净含量",
             rf"规格(?!选)|(?:一|每){_PACK}(?:有|是|装)?(?:几|多少)(?!钱|块钱)|(?:几|多少){_PIECE}(?:一|每){_PACK}"
             rf"|{_PACK}里面?有?(?:几|多少){_PIECE}|几{_PIECE}装|多少{_PIECE}装|(?:有|装|是)(?:多少|几)(?:片|根|枚|小包|小袋)"
             r"|(?:多少|几)(?:片|根|枚|小包|小袋)(?:装|啊|呀|呢|吗)"
             r"|独立包装|单独包装|小包装"),
    _concept("储存方式", "储存方式 储存条件 保存方法 储存",
             r"怎么保存|如何保存|怎么储存|怎么存|储存|存放|保存方法|冷藏|冰箱|常温|冷冻|会化|会不会化|怕热|怕晒"),
    _concept("版型", "版型 尺码建议",
             r"偏大|偏小|尺码准|码数准|码准|尺码正|码正|正码|标准码|版型|宽松|修身|紧身|显瘦|显胖|oversize"
             r"|(?<!要)紧不紧|(?<!要)紧吗|(?<!要)紧么|会紧|会不会紧|勒不勒|勒吗|会不会勒|勒人|勒肚子|勒腰|松紧|宽不宽"
             r"|肥不肥|肥吗|合身吗|贴身吗|(?:里面|里边|里头)(?:能|可以|还能|可|要)?(?:穿|套|加一?件)|内搭|高腰|中腰|低腰|收腰|直筒|落肩|廓形|长款|短款",
             fallthrough=True),
    _concept("厚度", "厚度",
             r"厚不厚|多厚|厚度|厚吗|厚么|薄不薄|薄吗|薄么|厚实|透不透|会透|透吗|透么|加绒吗|加厚吗"
             r"|暖和|暖不暖|保暖|哪个.{0,2}(?:薄|厚|暖和|保暖)|冷不冷|冷吗|冷么|会冷|会不会冷|冻不冻|够暖|够不够暖|够厚"
             r"|抗冻|(?:冬天|冬季|秋冬|春秋|秋天|秋季|春天|春季|早春|深秋|夏天|夏季|四季|零度|零下|东北|北方|南方"
             r"|[\d一二三四五六七八九十零]+度|几度|多少度)(?:能|可以|适合)?穿"
             r"|(?:冬天|冬季|零度|零下)(?:够|行|可以)|适合(?:什么|啥|哪个)?(?:季节|温度|天气)|适合几度|几度"
             r"|热不热|闷不闷|闷吗|透气|捂汗"),
    _concept("洗涤", "洗涤方式 洗涤说明 洗涤", r"机洗|手洗|干洗|水洗|怎么洗|洗涤|能洗", fallthrough=True),
    _concept("卖点", "卖点 特点", r"卖点|特点|优势|亮点|好在哪"),
    _concept("库存", "库存",
             r"有(?:没有)?现?货(?:吗|么|嘛|不|没)|有现货|现货吗|(?:还有|有没有)现?货|库存(?:多少|还有|有多少)"
             r"|还有库存|有库存吗|缺货吗|断货了?吗|卖完了?吗|售罄了?吗|没货了?吗|还剩(?:多少|几)|剩(?:多少|几)件"),
    # 「还有吗」 on its own asks about the product's stock; 「下单送的那个保温袋还有吗」 about a gift
    _concept("库存", "库存", r"(?:现在|目前)?还有(?:吗|么|嘛|没|不|没有)?", fallthrough=True, whole=True),
    # Properties shops seldom put in a sheet: asked about, they get "the agent checks", never silence or a guess.
    _concept("口袋", "口袋", r"有(?:没有|木有)?(?:口袋|兜)|带(?:口袋|兜)|(?:口袋|兜)有(?:吗|么|没)", mentions="口袋 兜"),
    _concept("口袋", "口袋", r"几个(?:口袋|兜)|(?:口袋|兜)(?:多深|深不深|大不大|在哪|能装|是)"),
    _concept("拉链", "拉链", r"有(?:没有)?拉链|带拉链|拉链(?:款|的)?(?:吗|么|嘛)|是拉链|拉链还是", mentions="拉链"),
    _concept("拉链", "拉链", r"拉链(?:是)?(?:什么|啥|哪)|ykk"),
    _concept("帽子", "帽子", r"有(?:没有)?帽|带帽|连帽(?:吗|么|的吗)", mentions="帽"),
    _concept("帽子", "帽子", r"帽子?(?:能|可以|可)?(?:拆|摘|取下)|帽子?(?:是)?可拆"),
    _concept("防水", "防水", r"防水|泼水|防雨|下雨天?能穿|防风"),
    _concept("执行标准", "执行标准 安全类别", r"执行标准|执行(?:的)?(?:什么|啥|哪个|哪种)标准|国标|标准号|质量等级|安全(?:类别|等级|技术类别)|(?<![a-z])[ab]类"),
    _concept("生产许可证", "生产许可证 SC编号 生产厂家",
             r"生产许可证?|食品(?:生产|经营)?许可证?|许可证(?:号|编号)|(?<![a-z])(?:sc|qs)(?![a-z])(?:编号|码|号)?|生产厂家|生产商|哪个厂|厂家是|厂址|厂名"),
    _concept("适用人群", "适用人群 适用对象 适用年龄",
             r"孕妇|哺乳期|糖尿病|几岁(?:能|可以)?(?:吃|穿|用)|适合(?:几岁|多大|什么年龄|哪个年龄)"
             r"|(?:宝宝|小孩|孩子|老人)(?:能|可以)(?:吃|用)"),
    _concept("品牌", "品牌 牌子", r"(?<!不是)(?<!不是个)(?:什么|啥|哪个|哪家)(?:牌子|品牌)|品牌是|牌子是"),
    _concept("食用方法", "食用方法 食用方式 吃法", r"怎么吃|吃法|能直接吃|即食|要煮|要不要煮|(?:能|可以)?加热"),
)
BY_NAME = {c.name: c for c in CONCEPTS}

MEASURE_NAMES = ("衣长", "裤长", "裙长", "袖长", "胸围", "腰围", "臀围", "肩宽", "下摆", "裤脚", "大腿围", "腿围", "前裆",
                 "后裆", "领围", "长度", "宽度", "总长")
MEASURE_NAME = re.compile("|".join(MEASURE_NAMES))
MEASURE_VAGUE = re.compile(r"多长(?!时间)|多宽")  # only where no other attribute is asked (「保质期多长」)
LENGTHS = ("衣长", "裤长", "裙长", "长度", "总长")
WIDTHS = ("肩宽", "宽度")

# 「有卖围巾吗」, 「冲锋衣有吗」 (the kind masked □): whether the shop sells a kind the sheet does not hold.
AVAILABLE = re.compile(r"有(?:没有|木有)?(?:卖|售|得卖)?(?:的)?□+(?:的)?(?:吗|么|嘛|卖|没|不|$)|卖不卖□|□+(?:有|卖)(?:吗|么|没|不)")
QUESTION = re.compile(r"吗|么|嘛|呢|不$|没$|没有|[?？]|多少|多大|多长|多重|多久|多厚|多宽|几|什么|啥|哪|怎么|怎样|如何"
                      r"|是不是|有没有|有木有|是否|咋|求|问下|问一下|请问|发下|发一下|发我|说下|说一下|告诉|看看|看下|还是"
                      r"|(\w)不\1")
# A clause about shipping, bargaining, gifts or quality is no product question; the rest of the message may be one.
VETO = re.compile(r"运费|邮费|快递|物流|包邮|发货|发什么|寄|到货|几天到|多久到|便宜|优惠|打折|折扣|券|满减|红包|赠品|多送|送个"
                  r"|送点|送几|发票|备注|地址|贵|少点|少一点|再少|能少|抹零|砍价|减点|让点|补货|活动|半价|秒杀|促销|拼单|礼物|礼品"
                  r"|做工|质量|勾丝|起球|掉色|褪色|缩水|变形|掉毛|线头|瑕疵|熨|烫坏|过敏|致敏|实物|色差|偏色|显白|显黑"
                  r"|结实|牢固|耐穿|耐用|耐磨|容易坏|会坏")
# After-sale words make the whole message an after-sale matter (「想换成黑色的 黑色的M还有吧」 is an exchange).
AFTERSALE = re.compile(r"退|换|售后|收到|签收|差评|好评|投诉|订单|单号|怎么回事|过期了|坏了|发霉|变质|破了|漏了|少了|不早说"
                       r"|告诉我没|不发|不想发")
# Asking the price, not arguing about it (「价格这么低」, 「要补多少钱」, 「双十一什么价」 belong to scripted replies).
PRICE_VETO = re.compile(r"补|差价|这么|那么|最低|活动|双十一|双11|618|当天|团购|批发|给到|返|修|配件|值|心疼|别家|低点|高")
COMPARE = re.compile(r"区别|不同|差别|差异|不一样|一样吗|一样不|一样么|对比|比较|哪个|哪款|哪种|vs|pk")
COMPARE_ASKED = re.compile(r"区别|差别|差异|不一样|有啥不同|有什么不同|哪个好|哪款好")
TWO = re.compile(r"两款|这俩|两个|两件|两种|这两")
SIZE_ASK = re.compile(r"码|号|尺|多大|穿|合适|选|拍|买哪|买什么|要哪|要什么|要几|可以吗|行吗|会大|会小|紧|大吗|小吗"
                      r"|[a-z0-9]还是[a-z0-9]")
STOCK_ASK = re.compile(r"有没有|有没$|有木有|还有|还剩|剩几|剩多少|有货|现货|库存|缺货|卖完|售罄|断货|没货|有吗|有么|有不|有嘛|有的吗"
                       r"|有.{0,8}[吗么嘛]")
YES_NO = re.compile(r"是.{1,10}[吗么嘛]|是不是|是否|有.{1,6}[吗么嘛不]|有没有")
SPLIT = re.compile(r"[\s,，。.!！?？;；~～、]+")
FILLERS = re.compile(r"亲亲|亲|请问|问下|问一下|这个|这款|那个|那款|这件|那件|这条|那条|的|呢|啊|呀|吖|哈|是|□")
# A garment worn with the product is not the product asked about (「大衣里面能穿毛衣吗」, 「外面套件羽绒服」).
WORN_WITH = re.compile(r"(?:(?:里面|里边|里头|外面|外边|外头)(?:能|可以|还能|可|要|得)?(?:再)?(?:穿|套|搭|配|加)|内搭)"
                       r"(?:得下|得进|下|进|上)?(?:一?件|个)?(?:厚的?|薄的?)?")

SIZE_WORD = re.compile(r"(?<![a-z0-9])(xxxl|xxl|xl|xs|[2-6]xl|s|m|l|均码)(?![a-z])(?:码|号)?")
SIZE_NUMBER = re.compile(r"(?<![\d.])(\d{2,3})(?:码|号)")
BASE_COLOR = re.compile(r"[浅深奶米酒藏天军宝墨]?[黑白灰红蓝绿黄紫粉棕橙青驼杏咖](?:色|的)")

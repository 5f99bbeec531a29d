"""The compliance lint's rules, on replies editors really write."""

import pytest

from suggest.corpus.compliance import check_text


@pytest.mark.parametrize("text, severity, rule", [
    ("五星好评截图发我，给您返现", "block", "review-manipulation"),  # cashback for a review, words apart
    ("晒图追评后联系客服领红包哦", "block", "review-manipulation"),
    ("有问题私聊我", "warn", "off-platform-soft"),  # steering off the platform's chat record
    ("亲，这是全网最低价哦，加微信给您便宜", "block", "absolute-claims"),
])
def test_lint_findings_name_their_rule_and_severity(text, severity, rule):
    found = {f.rule: f.severity for f in check_text(text)}
    assert found.get(rule) == severity, found


def test_a_refusal_of_cashback_within_the_rules_passes():
    assert check_text("亲，平台不允许为评价提供任何奖励，您按真实感受评价就好~") == []


# ---- shop facts written into the text ------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from suggest.corpus.compliance import blocking, facts, parse_rules  # noqa: E402
from suggest.corpus.files import lint, load_corpus  # noqa: E402
from suggest.corpus.profile import PER_CONVERSATION, load_profile, placeholders  # noqa: E402

CORPUS = Path(__file__).parent.parent / "corpus"


@pytest.mark.parametrize("text, word, use", [
    ("亲，我们合作的是EMS和顺丰，不是便宜的小快递哦", "顺丰", "快递"),
    ("亲，我们合作的是EMS和顺丰", "ems", "快递"),
    ("默认发中通，着急可以改京东快递", "京东快递", "可选快递"),
    ("下午4点前付款的订单当天就能发出", "下午4点前付款", "截单时间"),
    ("16:00前付款当天发", "16:00前付款", "截单时间"),
    ("我们客服在线时间是每天早上9点到晚上12点哦", "在线时间是每天早上9点到晚上12点", "客服时间"),
    ("客服每天早上9点到晚上12点都在", "早上9点到晚上12点", "客服时间"),
    ("亲，我们24小时在线哦", "24小时在线", "客服时间"),
    ("付款后48小时内发货", "48小时内发货", "发货时间"),
    ("发货后一般2到4天就能到您那里", "2到4天就能到", "配送时效"),
    ("江浙沪次日达", "次日达", "配送时效"),
    ("验货完成后24小时内就会给您处理退款", "24小时内就会给您处理退款", "退款时效"),
    ("银行卡1到3个工作日到账", "1到3个工作日到账", "退款时效"),
    ("会在24小时内由专人联系您", "24小时内由专人联系", "售后处理时效"),
    ("我们30分钟内回复您", "30分钟内回复", "回复时效"),
    ("这款享受一年质保哦", "一年质保", "质保"),
    ("质保期3个月", "质保期3个月", "质保"),
    ("超过质保期也不用担心", "质保", "质保"),
    ("付款后7天内降价的退差价", "付款后7天内降价", "价格保护"),
    ("我们店铺支持价保哦", "价保", "价格保护"),
    ("支持专柜验货，假一赔十哦", "假一赔十", "正品保障"),
    ("我们店铺支持花呗分期的哦", "花呗", "花呗"),
    ("可以用信用卡付款", "信用卡", "信用卡"),
    ("到您那只需要8元的运费", "8元", "运费"),
    ("满99元包邮哦", "满99元包邮", "满包邮金额"),
    ("这款全国包邮", "全国包邮", "满包邮金额"),
    ("新疆、西藏需要补运费", "新疆", "偏远地区"),
    ("需要在11月12日以后才可以申请退款", "11月12日", "退款开放时间"),
    ("11月11日0点开抢", "0点", "活动时间"),
    ("前1小时下单有额外优惠", "1小时", "发货时间"),
    ("物流会比平时慢一两天", "一两天", "配送时效"),
    ("订单还有30分钟就要自动关闭了", "30分钟", "发货时间"),
])
def test_a_shop_fact_in_the_text_names_the_placeholder_to_use(text, word, use):
    found = facts(check_text(text))
    assert any(f.word == word and use in f.use for f in found), [(f.rule, f.word, f.use) for f in found]
    hit = next(f for f in found if f.word == word)
    assert hit.severity == "warn"  # a shop may still decide to write a fact into a reply
    assert f"{{{use}}}" in hit.message or f"[{use}" in hit.message  # the message says what to write instead
    assert hit.to_dict()["use"] == list(hit.use)


@pytest.mark.parametrize("text", [
    "亲，拍1件就可以", "第2件半价哦", "亲", "亲~在的", "好的亲，{客服名}马上帮您看",
    "亲，拍下付款后{发货时间}发货哦", "每天{截单时间}前付款的订单当天就能发出，之后的订单第二天发哦",
    "发货后一般{配送时效}就能到您那里", "我们合作的是{快递}", "店铺满{满包邮金额}就包邮哦", "付款后{价格保护}内降价的可以申请价保",
    "这款享受{质保}质保哦", "我们店铺{花呗}花呗分期的哦", "等{退款开放时间}您再申请退款",
    "我们支持七天无理由退换货", "收到不满意支持7天无理由退换", "一分钱一分货，其实一点也不贵哦", "平均到每一天才几毛钱",
    "稍等几分钟会自动更新", "刚发出的包裹物流信息一般要几个小时才会更新", "这两天就会送到", "过两天看看是否有过敏反应",
    "今天一定帮您发出", "第一时间通知您", "双十一当天拍下的定时订单", "双十一天猫狂欢", "亲，便宜一点点吧我再想想",
    "不影响二次销售", "百分百满意", "一年四季都能穿", "最佳赏味期是三个月", "保质期12个月", "这款能用好几年",
])
def test_legitimate_words_and_placeholders_are_not_facts(text):
    assert facts(check_text(text)) == [], [(f.rule, f.word) for f in check_text(text)]


def test_a_yes_no_fact_is_legitimate_once_the_reply_requires_it():
    text = "亲，这款支持花呗分期，每个月只需要一点点"
    assert [f.use for f in check_text(text)] == [("花呗",)]
    assert "requires" in check_text(text)[0].message
    assert check_text(text, requires=["花呗"]) == []
    assert [f.word for f in check_text(text, requires=["信用卡"])] == ["花呗"]
    # a price-protection period stays a fact even when the reply uses {价格保护} elsewhere
    assert [f.rule for f in check_text("支持{价格保护}价保，付款后7天内降价退差价")] == ["fact-price-protection"]


def test_a_rule_may_name_its_placeholders_and_they_reach_the_finding():
    rules = parse_rules({"define": {"n": r"\d+"}, "rules": [
        {"id": "f", "severity": "warn", "use": "快递", "message": "快递是店铺资料", "words": ["顺丰"]},
        {"id": "g", "severity": "warn", "use": ["发货时间"], "patterns": ["{{n}}小时发货"]},
        {"id": "h", "severity": "warn", "use": "花呗", "unless_used": True, "words": ["花呗"]}]})
    found = check_text("顺丰48小时发货，支持花呗", rules)
    assert [(f.rule, f.word, f.use) for f in found] == [("f", "顺丰", ("快递",)), ("g", "48小时发货", ("发货时间",)),
                                                          ("h", "花呗", ("花呗",))]
    assert found[0].message.startswith("快递是店铺资料") and "{快递}" in found[0].message
    assert check_text("{顺丰}{花呗}花呗", rules) == []  # placeholders are never checked
    with pytest.raises(Exception, match="use"):
        parse_rules({"rules": [{"id": "x", "severity": "warn", "unless_used": True, "words": ["a"]}]})


def test_the_shipped_replies_write_no_shop_fact_and_nothing_blocked():
    corpus = load_corpus(CORPUS)
    found = {r.id: [(f.rule, f.word) for f in check_text(r.text, requires=r.requires)]
             for r in corpus.replies.values()}
    written = {rid: [x for x in f if x[0].startswith("fact-")] for rid, f in found.items()}
    assert not {rid: f for rid, f in written.items() if f}, "shop facts written into replies"
    assert not [r.id for r in corpus.replies.values() if blocking(check_text(r.text, requires=r.requires))]


def test_every_placeholder_of_the_shipped_replies_has_a_value_in_the_shop_profile():
    corpus = load_corpus(CORPUS)
    profile = load_profile(CORPUS / "shop.yaml")
    known = profile.names() | set(PER_CONVERSATION)
    missing = {r.id: [n for n in placeholders(r.text) if n not in known] for r in corpus.replies.values()}
    assert not {rid: m for rid, m in missing.items() if m}
    for reply in corpus.replies.values():  # each yes/no fact and campaign a reply depends on is in the profile
        assert all(name in profile.facts for name in reply.requires), reply.id
        assert reply.campaign is None or reply.campaign in {c.name for c in profile.campaigns}, reply.id
    # nothing is left out for good: only campaign replies wait for their campaign
    never = [w for w in lint(corpus, profile) if "never suggested" in w or "campaign" in w]
    assert never == []

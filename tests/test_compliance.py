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

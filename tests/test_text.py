import pytest

from suggest.engine.split import MAX_CLAUSES, clause_spans, split_clauses
from suggest.engine.text import normalize


def test_traditional_fullwidth_emoji_and_emoticons_are_normalised():
    assert normalize("請問包郵嗎？？？") == "包邮吗?"
    assert normalize("ＳＩＺＥ　Ｍ") == "尺码 m"
    assert normalize("亲 能便宜点不 [可怜]😭😭") == "能便宜点不"


def test_shorthand_is_expanded_only_as_whole_words():
    assert normalize("tk咋还没到账") == "退款咋还没到账"
    assert normalize("kd几天到") == "快递几天到"
    assert normalize("thanks") == "thanks"


def test_fillers_are_dropped_only_before_a_real_question():
    assert normalize("亲，在吗？这个多少钱") == "这个多少钱"
    assert normalize("在吗") == "在吗"
    assert normalize("老板在不在 问个事") == "老板在不在 问个事"  # 问个事 asks nothing yet: the greeting stays


def test_negations_survive_normalisation():
    assert "不" in normalize("不要发顺丰")
    assert normalize("不想退了") == "不想退了"


def test_multi_intent_message_splits_into_clauses():
    assert split_clauses("能便宜点吗 包邮不 几天能到") == ["能便宜点吗", "包邮不", "几天能到"]
    assert split_clauses("是正品吗有没有赠品送") == ["是正品吗", "有没有赠品送"]


def test_single_intent_message_stays_whole():
    assert split_clauses("什么时候发货") == ["什么时候发货"]
    assert split_clauses("不要发顺丰") == ["不要发顺丰"]


def test_a_pasted_log_of_hundreds_of_fragments_is_bounded_to_a_few_clauses():
    clauses = split_clauses(normalize("，".join(["包邮吗", "几天到", "能便宜点吗"] * 160)))
    assert len(clauses) == MAX_CLAUSES and "包邮吗" in clauses[0] and "能便宜点吗" in clauses[-1]


@pytest.mark.parametrize("message", ["能便宜点吗 包邮不 几天能到", "是正品吗有没有赠品送", "包邮吗？另外几天到呀",
                                     "亲 在吗 ，这个 M码 还有吗~顺便问下 能开发票不",
                                     "，".join(["包邮吗", "几天到", "能便宜点吗"] * 40)])
def test_each_clause_is_found_where_it_lies_in_its_message(message):
    """A clause is embedded as the model reads it within the message: its span must hold exactly its pieces."""
    text = normalize(message)
    clauses = split_clauses(text)
    spans = clause_spans(text, clauses)
    assert len(spans) == len(clauses)
    for clause, (start, end) in zip(clauses, spans):
        inside = text[start:end]
        assert inside.startswith(clause.split(" ")[0]) and inside.endswith(clause.split(" ")[-1])
        assert all(piece in inside for piece in clause.split(" "))
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)
    assert clause_spans(text, ["不在这条消息里"]) == []

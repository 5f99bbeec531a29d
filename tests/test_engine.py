"""Retrieval behaviour a user notices, on the real model and a real FAISS index over the fixture corpus."""

from collections import Counter

import numpy as np
import pytest

from suggest.engine.diversity import distinct_first
from suggest.errors import InputError


def top_situation(engine, message):
    result = engine.suggest(message)
    assert not result.abstained, f"abstained on {message!r}"
    return result.suggestions[0].situation


@pytest.mark.parametrize("message, situation", [
    ("可以再便宜一些吗", "bargain"),
    ("运费可以免掉不", "free_shipping"),
    ("下单后大概多久到货", "delivery_time"),
    ("怎么还没给我发货啊", "urge_shipping"),
    ("請問包郵嗎", "free_shipping"),
    ("亲 能便意点不[可怜]", "bargain"),
])
def test_paraphrases_find_their_situation(engine, message, situation):
    assert top_situation(engine, message) == situation


@pytest.mark.parametrize("negated, plain", [
    ("不想退了", "我要退货"),
    ("不要发顺丰", "能发顺丰吗"),
])
def test_negation_is_not_a_synonym(engine, negated, plain):
    negated_result = engine.suggest(negated).suggestions[0]
    plain_result = engine.suggest(plain).suggestions[0]
    assert negated_result.id != plain_result.id


def test_negated_return_goes_to_keeping_the_item(engine):
    assert top_situation(engine, "不想退了") == "keep_item"
    assert top_situation(engine, "我要退货") == "return_exchange"


def test_multi_intent_message_answers_every_clause_near_the_top(engine):
    result = engine.suggest("能便宜点吗 包邮不 几天能到", k=5)
    assert len(result.segments) == 3
    assert {s.situation for s in result.suggestions[:3]} == {"bargain", "free_shipping", "delivery_time"}


def test_single_intent_message_is_one_segment(engine):
    assert len(engine.suggest("什么时候能发货呀").segments) == 1


@pytest.mark.parametrize("message", ["给我讲个笑话", "明天北京下雨吗", "帮我写一首诗"])
def test_out_of_scope_messages_abstain(engine, message):
    result = engine.suggest(message)
    assert result.abstained
    assert result.suggestions == ()


def test_placeholders_are_filled_from_the_shop_profile(engine):
    result = engine.suggest("你好 在吗")
    greeting = result.suggestions[0]
    assert "测试小铺" in greeting.text and "小测" in greeting.text
    assert "{" not in greeting.text


def test_placeholders_are_filled_from_the_shop_facts(engine):
    reply = next(s for s in engine.suggest("包邮吗").suggestions if s.id == "free_shipping-01")
    assert "满99元就包邮" in reply.text and "8元" in reply.text
    assert reply.unfilled == ("买家昵称",) and reply.text.startswith("{买家昵称}")  # per buyer: the chat tool's


def test_caller_variables_fill_placeholders(engine):
    result = engine.suggest("包邮吗", variables={"满包邮金额": "88元"})
    assert "满88元就包邮" in result.suggestions[0].text


def test_near_identical_replies_are_never_side_by_side(engine):
    ids = [s.id for s in engine.suggest("在吗 有人吗", k=5).suggestions]
    vectors = engine.reply_vectors
    assert float(vectors["greeting-01"] @ vectors["greeting-02"]) >= engine.settings.duplicate_similarity
    assert ids and ids[0].startswith("greeting-")  # a greeting is answered ...
    assert not {"greeting-01", "greeting-02"} <= set(ids)  # ... by one of the two near-identical greetings
    listed = next(h for seg in engine.suggest("在吗 有人吗").segments for h in seg.situations if h.id == "greeting")
    assert not {"greeting-01", "greeting-02"} <= {r.id for r in listed.replies}  # nor listed together


def test_distinct_first_keeps_the_best_of_each_near_copy_across_blocks():
    """The first `2 * limit` rows are compared in one block, the rest against each reply chosen: copies past the
    block, and rows without a vector, must be handled as one by one."""
    rng = np.random.default_rng(3)
    originals = rng.normal(size=(4, 8)).astype(np.float32)
    originals /= np.linalg.norm(originals, axis=1, keepdims=True)
    order = [0, 0, 0, 0, 1, 1, 1, 1, 2, 0, 3]  # copies of originals 0 and 1 fill the first block
    vectors = originals[order]
    vectors[1] = np.nan  # no vector: never a duplicate
    assert distinct_first(vectors, 3, 0.93) == [0, 1, 4]
    assert distinct_first(vectors, 4, 0.93) == [0, 1, 4, 8]  # row 8 in the second block
    assert distinct_first(vectors, 5, 0.93) == [0, 1, 4, 8, 10]  # row 9 copies row 0, from the first block
    assert distinct_first(vectors[:0], 3, 0.93) == []


def test_distinct_first_chooses_as_one_by_one_would():
    """Against the rule applied row by row, over orders where copies come in runs (as a grown corpus's do)."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        originals = rng.normal(size=(int(rng.integers(1, 12)), 16)).astype(np.float32)
        vectors = originals[np.sort(rng.integers(0, len(originals), int(rng.integers(0, 60))))]
        vectors += rng.normal(scale=0.05, size=vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        if len(vectors) > 2:
            vectors[rng.integers(0, len(vectors))] = np.nan
        for limit in (1, 3, 5):
            expected: list[int] = []
            for i, row in enumerate(vectors):
                if all(not row @ vectors[j] >= 0.93 for j in expected):
                    expected.append(i)
            assert distinct_first(vectors, limit, 0.93) == expected[:limit]


def test_stage_shifts_the_ranking(engine):
    plain = engine.suggest("几天能到", k=5)
    assert plain.suggestions[0].situation == "delivery_time"
    staged = engine.suggest("几天能到", k=5, stage="order")
    scores = {s.situation: s.score for s in staged.suggestions}
    assert scores.get("urge_shipping", 0) > {s.situation: s.score for s in plain.suggestions}.get("urge_shipping", 0)


def test_shortcut_lookup_by_prefix_then_text(engine):
    assert [r.id for r in engine.by_shortcut("yj")] == ["bargain-01", "bargain-02"]
    assert [r.id for r in engine.by_shortcut("七天无理由")] == ["return_exchange-01"]


@pytest.mark.parametrize("message, fragment", [("", "empty"), ("   \n ", "empty"), ("好" * 2001, "limit is 2000")])
def test_bad_messages_get_a_clear_error(engine, message, fragment):
    with pytest.raises(InputError) as err:
        engine.suggest(message)
    assert fragment in err.value.message
    assert err.value.field == "message"


def test_confidence_is_between_zero_and_one(engine):
    for message in ["能便宜点吗", "包邮吗 几天到"]:
        assert all(0 < s.score <= 1 for s in engine.suggest(message).suggestions)


def test_context_infers_the_stage_and_carries_the_topic(engine):
    alone = engine.suggest("什么时候能到")
    assert alone.stage is None and alone.stage_source is None
    after_order = engine.suggest("什么时候能到", context=["拍了三天了", "怎么还不发货"])
    assert after_order.stage == "order" and after_order.stage_source == "inferred"
    assert after_order.suggestions[0].situation == "urge_shipping"


def test_a_vague_follow_up_inherits_the_conversation_topic(engine):
    assert engine.suggest("那怎么弄").abstained
    follow_up = engine.suggest("那怎么弄", context=["拍了三天了还没发"])
    assert follow_up.suggestions[0].situation == "urge_shipping"


def test_given_stage_wins_over_context(engine):
    result = engine.suggest("几天能到", stage="presale", context=["拍了三天了还没发"])
    assert result.stage == "presale" and result.stage_source == "given"


def test_slash_message_looks_up_shortcut_codes(engine):
    result = engine.suggest("/yj")
    assert [s.id for s in result.suggestions] == ["bargain-01", "bargain-02"]
    assert result.segments[0].situations[0].name == "议价"
    assert engine.suggest("／by").suggestions[0].id == "free_shipping-01"
    assert engine.suggest("/zzz").abstained


@pytest.mark.parametrize("message", ["😭😭😭", "[流泪][流泪]", "。。。"])
def test_a_message_with_nothing_to_answer_abstains(engine, message):
    result = engine.suggest(message)
    assert result.abstained and result.suggestions == () and result.normalized == ""


def test_shortcut_lists_sort_as_qianniu_does(fresh_engine):
    from dataclasses import replace

    corpus = fresh_engine.corpus
    base = corpus.replies["bargain-01"]
    extra = {f"bargain-{n:02d}": replace(base, id=f"bargain-{n:02d}", shortcut=f"yj{n}", text=f"{base.text}（{n}）")
             for n in (10, 11, 3)}
    fresh_engine.update_corpus(replace(corpus, replies={**corpus.replies, **extra}))
    assert [r.shortcut for r in fresh_engine.by_shortcut("yj")] == ["yj1", "yj2", "yj3", "yj10", "yj11"]


def test_context_never_pulls_in_what_a_clear_message_is_not_about(engine):
    plain = {s.situation for s in engine.suggest("能便宜点吗", k=5).suggestions}
    after = {s.situation for s in engine.suggest("能便宜点吗", k=5, context=["还有M码吗 什么时候发货"]).suggestions}
    assert "bargain" in after and after <= plain | {"bargain"}, after - plain


def test_a_large_situation_lists_the_replies_near_the_message(engine, monkeypatch):
    """A situation past `EXACT_FIT_ROWS` index rows (a grown corpus) ranks only its replies with a row among the
    message's candidates, on those rows: its best reply is the one it has when it ranks them all on all their
    rows, and it lists only its own."""
    from suggest.engine import suggester

    messages = ["可以再便宜一些吗", "能便宜点吗 包邮不 几天能到", "怎么还没给我发货啊", "不想退了"]
    whole = [engine.suggest(m) for m in messages]
    monkeypatch.setattr(suggester, "EXACT_FIT_ROWS", 0)
    for message, before in zip(messages, whole):
        after = engine.suggest(message)
        assert [s.id for s in after.suggestions[:len(after.segments)]] == \
            [s.id for s in before.suggestions[:len(before.segments)]], message
        for segment_before, segment_after in zip(before.segments, after.segments):
            assert [h.id for h in segment_after.situations] == [h.id for h in segment_before.situations]
            for hit_before, hit_after in zip(segment_before.situations, segment_after.situations):
                assert hit_after.replies[0].id == hit_before.replies[0].id
                assert {r.situation for r in hit_after.replies} == {hit_after.id}


def test_a_loaded_engine_runs_blas_on_one_thread(engine):
    """A query's small products gain nothing from OpenBLAS's threads, which on 2 cores spin against ONNX
    Runtime's: a new message over 100,000 texts took 15.7 ms with them, 9.5 without (`suggest bench --scale`).
    Set when the index is synced, so builds fit their models the same way whatever runs them."""
    from threadpoolctl import threadpool_info

    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_a_situation_keeps_its_bm25_evidence_when_others_fill_the_candidates(engine):
    """In a grown corpus one situation's near-copies fill the lexical candidates; another situation sharing the
    message's words must still count its best text, as when every text is scored."""
    from suggest.engine.scoring import Weights

    words_only = Weights(knn=0.0, classifier=0.0, lexical=1.0)
    one_candidate, every_text = engine.variant(retrieval_candidates=1), engine.variant(retrieval_candidates=0)
    for message in ["能便宜点吗 包邮不", "快递到了但是少了一件", "这个颜色还有货吗"]:
        narrow = one_candidate.suggest(message, weights=words_only, split=False).segments[0].situations
        wide = every_text.suggest(message, weights=words_only, split=False).segments[0].situations
        assert [(h.id, h.score) for h in narrow] == [(h.id, h.score) for h in wide], message


def test_a_situation_absent_from_the_candidates_is_never_scored_closer_than_its_nearest_text(engine):
    """A situation none of whose texts is among the dense candidates used to get the last candidate's cosine, as
    close as that candidate: with near-copies filling the candidates, nearly as close as the best, which
    flattened every message's evidence. Its nearest prototype (one of its own texts) is a floor, so with one
    candidate each situation is at most as close as its nearest text, and exactly that where all its texts are
    prototypes (the fixture's situations have a few texts each)."""
    from suggest.engine.prototypes import PER_SITUATION
    from suggest.engine.scoring import Weights

    dense_only = Weights(knn=1.0, classifier=0.0, lexical=0.0)
    one_candidate, every_text = engine.variant(retrieval_candidates=1), engine.variant(retrieval_candidates=0)
    sizes = Counter(e.situation for e in engine.index.entries)
    small = np.array([sizes[label] <= PER_SITUATION for label in engine.labels])
    assert small.sum() >= 3
    for message in ["这个颜色还有货吗", "什么时候发货", "快递到了但是少了一件"]:
        narrow = one_candidate.score([message], dense_only).knn[0]
        exact = every_text.score([message], dense_only).knn[0]
        assert (narrow <= exact + 1e-5).all(), message
        assert np.allclose(narrow[small], exact[small], atol=1e-5), message

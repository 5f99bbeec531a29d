"""BM25 across corpus changes: texts gone are never found, texts added are found at once and scored as a
rebuilt index would score them, and the whole is indexed anew once the changes pass their share."""

import numpy as np
import pytest

from suggest.engine.drift import REBUILD_SHARE
from suggest.engine.lexical import LexicalIndex
from suggest.engine.segment import Segmenter

TEXTS = [f"{goods}{question}" for goods in ("连衣裙", "牛仔裤", "羽绒服", "运动鞋", "保温杯", "蓝牙耳机", "床单被套", "行李箱")
         for question in ("什么时候发货", "能便宜点吗", "包邮吗", "可以退换吗", "有赠品吗", "尺码偏大吗", "支持花呗吗",
                          "发什么快递", "有现货吗", "几天能到", "能开发票吗", "质量怎么样", "会不会褪色")]


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter()


def test_a_removed_text_is_never_found_and_the_rest_keep_their_scores(segmenter):
    keys = list(range(len(TEXTS)))
    before = LexicalIndex(keys, TEXTS, segmenter)
    gone = TEXTS.index("保温杯能开发票吗")
    after = LexicalIndex(keys[:gone] + keys[gone + 1:], TEXTS[:gone] + TEXTS[gone + 1:], segmenter, previous=before)
    remaining = TEXTS[:gone] + TEXTS[gone + 1:]
    rows, _ = after.top("保温杯 发票", 10)
    assert len(rows) and "保温杯能开发票吗" not in [remaining[row] for row in rows]
    assert np.allclose(after.scores("保温杯 发票"), np.delete(before.scores("保温杯 发票"), gone))


def test_an_added_text_is_found_at_once_and_scored_as_a_rebuilt_index_would(segmenter):
    keys = list(range(len(TEXTS)))
    before = LexicalIndex(keys, TEXTS, segmenter)
    new = "保温杯能刻字吗 刻字要加钱吗"
    after = LexicalIndex(keys + [len(TEXTS)], TEXTS + [new], segmenter, previous=before)
    assert after.added  # not re-indexed
    rows, scores = after.top("保温杯可以刻字吗", 5)
    assert rows[np.argmax(scores)] == len(TEXTS)
    rebuilt = LexicalIndex(keys + [len(TEXTS)], TEXTS + [new], segmenter)
    for query in ("保温杯可以刻字吗", "刻字加钱", "保温杯发什么快递"):
        expected, got = rebuilt.scores(query), after.scores(query)
        assert got[-1] == pytest.approx(expected[-1], rel=0.05), query  # its statistics moved by one text in 105
        assert np.allclose(got[:-1], before.scores(query), atol=1e-6)


def test_a_reused_id_with_another_text_is_not_taken_for_the_old_one(segmenter):
    keys = list(range(len(TEXTS)))
    before = LexicalIndex(keys, TEXTS, segmenter)
    texts = TEXTS[:-1] + ["行李箱的轮子坏了怎么办"]  # the last id freed and given to a new text
    after = LexicalIndex(keys, texts, segmenter, previous=before)
    rows, scores = after.top("行李箱 轮子", 3)
    assert rows[np.argmax(scores)] == len(TEXTS) - 1 and after.scores("会不会褪色")[-1] == 0


def test_past_its_share_of_changes_the_index_is_built_anew(segmenter):
    keys = list(range(len(TEXTS)))
    before = LexicalIndex(keys, TEXTS, segmenter)
    count = int(REBUILD_SHARE * len(TEXTS)) + 2
    extra = [f"第{i}个新问题 保温杯能刻字吗" for i in range(count)]
    after = LexicalIndex(keys + list(range(len(TEXTS), len(TEXTS) + count)), TEXTS + extra, segmenter, previous=before)
    assert not after.added
    assert np.allclose(after.scores("保温杯刻字"), LexicalIndex(keys + list(range(len(TEXTS), len(TEXTS) + count)),
                                                             TEXTS + extra, segmenter).scores("保温杯刻字"))

"""A home whose situations have no buyer-intent bank borrows the bundled one where a situation clearly matches."""

import dataclasses

import pytest

from suggest.engine.suggester import Suggester
from suggest.records import Reply
from suggest.settings import load_settings

from conftest import make_home

# A bundled bargain bank message that none of the fixture's own bargain examples resembles.
BANK_ONLY = "两件一起拍能便宜多少 我跟室友一人一件"


def test_a_situation_without_a_bank_borrows_the_matching_bundled_one(tmp_path, embedder):
    lone = Suggester.load(load_settings(make_home(tmp_path / "off"), env={}), embedder=embedder)
    lending = Suggester.load(load_settings(make_home(tmp_path / "on", bank="bundled"), env={}), embedder=embedder)
    lent = {key for key in lending.index.manifest.replies if key.startswith("@")}
    assert {"@bargain", "@greeting"} <= lent
    own_bank = [e for e in lending.index.entries if e.kind == "bank" and e.situation == "keep_item"]
    assert len(own_bank) == 3  # keep_item has a bank of its own and borrows nothing
    assert not any(e.kind == "bank" and e.situation != "keep_item" for e in lone.index.entries)
    assert lending.suggest(BANK_ONLY).suggestions[0].situation == "bargain"
    # the borrowed messages lend understanding, never replies: every suggestion is one of the home's own
    assert {s.id for s in lending.suggest(BANK_ONLY).suggestions} <= set(lending.corpus.replies)


def test_lending_is_recorded_so_a_changed_bank_rebuilds_what_was_lent(tmp_path, embedder):
    home = make_home(tmp_path, bank="bundled")
    first = Suggester.load(load_settings(home, env={}), embedder=embedder)
    again = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert again.index.manifest.lender == first.index.manifest.lender != ""
    (home / "suggest.toml").write_text('bank = "off"\n', encoding="utf-8")
    alone = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert alone.index.manifest.lender == "" and "@bargain" not in alone.index.manifest.replies
    assert not any(e.kind == "bank" and e.situation != "keep_item" for e in alone.index.entries)
    assert len(alone.index.dense) == len(alone.index.entries)


def test_an_edit_keeps_the_banks_lent_as_they_were_and_a_bank_of_its_own_replaces_one(tmp_path, embedder):
    home = make_home(tmp_path, bank="bundled")
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)

    def lent(index):
        return {(e.vid, e.situation, e.text) for e in index.entries if e.kind == "bank" and e.situation != "keep_item"}

    before = lent(engine.index)
    one = Reply(id="invoice-01", situation="bargain", stage="presale", text="可以开电子发票的亲~", examples=("能开发票吗",))
    engine.update_corpus(dataclasses.replace(engine.corpus, replies={**engine.corpus.replies, one.id: one}))
    assert lent(engine.index) == before  # the same rows, not removed and added again
    bargain = dataclasses.replace(engine.corpus.situations["bargain"], examples=("两件能打折吗",))
    engine.update_corpus(dataclasses.replace(engine.corpus, situations={**engine.corpus.situations, "bargain": bargain}))
    assert [e.text for e in engine.index.entries if e.kind == "bank" and e.situation == "bargain"] == ["两件能打折吗"]
    assert len(engine.index.dense) == len(engine.index.entries)


@pytest.mark.parametrize("block", [8192, 7], ids=["one-block", "blocks-of-7"])
def test_the_home_centroids_lending_compares_follow_each_edit(tmp_path, embedder, monkeypatch, block):
    """Lending compares each home situation's centroid with the bundled banks'; an edit moves the centroids by
    the rows it adds and removes. After replies added, changed and removed they are the ones read anew (first
    read a block of rows at a time, as over a large index)."""
    import numpy as np

    from suggest.engine import build
    from suggest.engine.borrow import OWN_KINDS, HomeSums

    monkeypatch.setattr(build, "SUM_BLOCK", block)

    engine = Suggester.load(load_settings(make_home(tmp_path, bank="bundled"), env={}), embedder=embedder)
    replies = dict(engine.corpus.replies)
    first, second = sorted(replies)[:2]
    added = Reply(id="invoice-01", situation="bargain", stage="presale", text="可以开电子发票的亲~",
                  examples=("能开发票吗", "发票怎么开"))
    engine.update_corpus(dataclasses.replace(engine.corpus, replies={**replies, added.id: added}))
    replies[first] = dataclasses.replace(replies[first], text="亲，这款今天下单立减十元哦", examples=("今天有优惠吗",))
    engine.update_corpus(dataclasses.replace(engine.corpus, replies={**replies, added.id: added}))
    del replies[second]
    engine.update_corpus(dataclasses.replace(engine.corpus, replies={**replies, added.id: added}))

    own = [e for e in engine.index.entries if e.kind in OWN_KINDS]
    anew = HomeSums({}).moved([e.situation for e in own], engine.index.dense.vectors(np.array([e.vid for e in own])), 1)
    kept = engine.index.home_sums
    assert kept is not None and kept.sums.keys() == anew.sums.keys()
    for sid, (total, count) in anew.sums.items():
        assert kept.sums[sid][1] == count and np.allclose(kept.sums[sid][0], total, atol=1e-4)

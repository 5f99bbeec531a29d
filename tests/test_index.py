"""The persisted index: manifest, staleness, incremental updates, corrupt files."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np

import pytest

from suggest.engine.embed import Embedder
from suggest.engine.build import MANIFEST, VECTORS, read_manifest, sync_index
from suggest.corpus.files import load_corpus, write_situation
from suggest.engine.suggester import Suggester
from suggest.errors import IndexError_
from suggest.records import Reply
from suggest.settings import load_settings


def test_manifest_records_model_dimension_and_corpus_hash(fresh_engine, home):
    manifest = json.loads((home / "index" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["model"] == "m3e-small" and manifest["dimension"] == 512
    assert manifest["corpus_hash"] and manifest["built_at"] and len(manifest["replies"]) == 12 + 1  # replies, and keep_item's bank


def test_edited_corpus_file_is_detected_and_only_that_reply_reembedded(fresh_engine, home, embedder):
    path = home / "corpus" / "situations" / "bargain.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("品质对得起这个价格哦~", "质量绝对放心~"), encoding="utf-8")
    corpus = load_corpus(home / "corpus")
    _, counts = sync_index(home / "index", corpus, embedder, 10.0)
    assert counts == {"added": 0, "updated": 1, "removed": 0}
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert "质量绝对放心" in engine.suggest("能便宜点吗").suggestions[0].text


def test_a_new_bank_example_is_indexed_without_reembedding_replies(fresh_engine, home, embedder):
    before = fresh_engine.suggest("老婆说这个颜色挺衬她 那就算了吧").suggestions
    assert not before or before[0].situation != "keep_item"
    path = home / "corpus" / "situations" / "keep_item.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'examples:\n', 'examples:\n  - "老婆说这个颜色挺衬她 那就算了吧"\n', 1), encoding="utf-8")
    corpus = load_corpus(home / "corpus")
    _, counts = sync_index(home / "index", corpus, embedder, 10.0)
    assert counts == {"added": 0, "updated": 0, "removed": 0}  # no reply changed
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert engine.suggest("老婆说这个颜色挺衬她 那就算了吧").suggestions[0].situation == "keep_item"


def test_stale_index_is_never_served(fresh_engine, home, embedder):
    path = home / "corpus" / "situations" / "bargain.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("品质对得起这个价格哦~", "一分钱一分货~"), encoding="utf-8")
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert "一分钱一分货" in engine.suggest("能便宜点吗").suggestions[0].text
    assert read_manifest(home / "index").corpus_hash != fresh_engine.index.manifest.corpus_hash


def test_add_and_delete_a_reply_without_a_full_rebuild(fresh_engine):
    corpus = fresh_engine.corpus
    invoice = Reply(id="invoice-01", situation="bargain", stage="presale", text="可以开电子发票的亲，下单备注抬头即可~",
                    examples=("能开发票吗", "发票怎么开", "可以开专票吗"))
    added = dataclasses.replace(corpus, replies={**corpus.replies, invoice.id: invoice})
    assert fresh_engine.update_corpus(added) == {"added": 1, "updated": 0, "removed": 0}
    assert fresh_engine.suggest("要开发票 怎么弄").suggestions[0].id == "invoice-01"
    removed = dataclasses.replace(added, replies={k: v for k, v in added.replies.items() if k != "invoice-01"})
    assert fresh_engine.update_corpus(removed) == {"added": 0, "updated": 0, "removed": 1}
    assert all(s.id != "invoice-01" for s in fresh_engine.suggest("要开发票 怎么弄").suggestions)


def test_corrupt_index_file_is_named_and_left_alone(fresh_engine, home, embedder):
    vectors = home / "index" / VECTORS
    vectors.write_bytes(b"garbage")
    manifest = home / "index" / MANIFEST
    before = manifest.read_text(encoding="utf-8")
    from suggest.engine.build import read_index

    with pytest.raises(IndexError_) as err:
        read_index(home / "index")
    assert str(vectors) in err.value.message and "suggest index build" in err.value.message
    assert manifest.read_text(encoding="utf-8") == before


def test_other_model_in_manifest_forces_a_full_rebuild(fresh_engine, home, embedder):
    manifest = home / "index" / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["model"] = "some-other-model"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    _, counts = sync_index(home / "index", load_corpus(home / "corpus"), embedder, 10.0)
    assert counts["added"] == 12


def test_retired_reply_is_hidden_from_suggestions_but_kept(fresh_engine):
    corpus = fresh_engine.corpus
    retired = dataclasses.replace(corpus.replies["keep_item-01"], retired=True)
    changed = dataclasses.replace(corpus, replies={**corpus.replies, retired.id: retired})
    write_situation(changed, fresh_engine.settings.corpus_dir, retired.situation)  # the editor writes, the engine serves
    fresh_engine.update_corpus(changed)
    assert all(s.id != "keep_item-01" for s in fresh_engine.suggest("不想退了", k=10).suggestions)
    reloaded = load_corpus(fresh_engine.settings.corpus_dir)
    assert reloaded.replies["keep_item-01"].retired is True


def test_half_written_index_is_rebuilt_not_served(fresh_engine, home, embedder):
    from suggest.engine.dense import DenseIndex

    dense = DenseIndex.read(home / "index" / VECTORS)
    dense.remove(dense.ids()[:3])  # as if a crash left vectors of another build beside these entries
    dense.write(home / "index" / VECTORS)
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert engine.suggest("能便宜点吗").suggestions[0].situation == "bargain"
    assert len(engine.index.dense) == len(engine.index.entries)


@pytest.mark.parametrize("name, garbage", [("classifier.npz", b"PK\x03\x04broken"), ("entries.json", b"\xff\xfe"),
                                           ("entries.json", b'{"fields": ["vid"], "rows": []}'),
                                           ("changes.npz", b"PK\x03\x04broken"),
                                           ("prototypes.npz", b"PK\x03\x04broken")])
def test_corrupt_index_file_is_rebuilt(fresh_engine, home, embedder, name, garbage, caplog):
    """The warning names the file that was corrupt."""
    (home / "index" / name).write_bytes(garbage)
    engine = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert engine.suggest("包邮吗").suggestions[0].situation == "free_shipping"
    assert str(home / "index" / name) in caplog.text


def test_a_corpus_without_active_replies_abstains_on_everything(tmp_path, embedder):
    (tmp_path / "corpus" / "situations").mkdir(parents=True)
    engine = Suggester.load(load_settings(tmp_path, env={}), embedder=embedder)
    assert engine.suggest("能便宜点吗").abstained


def test_index_writers_take_turns(fresh_engine, home, embedder):
    """`suggest index build` and a serving process writing at once: the second waits for the first, then finds
    the index current (nothing re-embedded), instead of both writing the same files."""
    import fcntl
    import threading

    corpus = load_corpus(home / "corpus")
    lock = open(home / "index" / ".lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)  # another writer is busy
    done = threading.Event()
    results = []
    worker = threading.Thread(target=lambda: (results.append(sync_index(home / "index", corpus, embedder, 10.0)),
                                              done.set()))
    worker.start()
    assert not done.wait(0.5)  # waits for the lock
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    assert done.wait(60)
    worker.join()
    assert results[0][1] == {"added": 0, "updated": 0, "removed": 0}


def _clustered(n: int, dimension: int, centres: int, spread: float, seed: int):
    """Unit vectors around a few centres, as texts of a few situations are."""
    import numpy as np

    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dimension))
    vectors = (middle[rng.integers(0, centres, n)] + spread * rng.normal(size=(n, dimension))).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_large_dense_index_turns_approximate_and_still_finds_and_updates(tmp_path, monkeypatch):
    import numpy as np

    from suggest.engine import dense

    monkeypatch.setattr(dense, "APPROXIMATE_FROM", 2000)
    vectors = _clustered(3000, 64, centres=40, spread=0.5, seed=0)
    exact = dense.DenseIndex.empty(64)
    exact.add(np.arange(3000) * 2, vectors)
    approximate = exact.suited()
    assert approximate.approximate and not exact.approximate
    best, truth = exact.search(vectors[:50], 20)
    _, found = approximate.search(vectors[:50], 20)
    assert np.mean([len(set(t) & set(f)) / 20 for t, f in zip(truth, found)]) >= 0.95
    scores, everything = approximate.search(vectors[:50], 20, exact=True)  # as exact as half precision is
    assert np.allclose(scores, best, atol=1e-3) and np.mean(everything == truth) >= 0.95

    approximate.remove([0, 2])  # an editor's save: in place, no rebuild
    approximate.add(np.array([9001]), vectors[:1])
    assert np.allclose(approximate.vectors(np.array([9001, 4, 6])), vectors[[0, 2, 3]], atol=1e-3)
    approximate.write(tmp_path / "vectors.faiss")
    again = dense.DenseIndex.read(tmp_path / "vectors.faiss")
    assert again.approximate and len(again) == 2999 and 0 not in set(again.ids()) and 9001 in set(again.ids())
    assert np.allclose(again.vectors(np.array([9001, 4])), vectors[[0, 2]], atol=1e-3)  # held at half precision


def test_changes_beside_an_approximate_index_are_found_as_if_folded_in(monkeypatch):
    """An editor's save keeps its texts aside until they pass their share; a query must find what it would find
    with them folded into the built index, visiting the same lists (not every text aside: those cost a query in
    proportion to the changes), exact search too, and with texts of the built index removed."""
    import numpy as np

    from suggest.engine import dense

    monkeypatch.setattr(dense, "APPROXIMATE_FROM", 2000)
    monkeypatch.setattr(dense, "NPROBE", 3)  # of 30 lists: most lists go unvisited
    vectors = _clustered(3300, 64, centres=40, spread=0.5, seed=2)
    built = dense.DenseIndex.empty(64)
    built.add(np.arange(3000), vectors[:3000])
    built = built.suited()
    edited = built.copy()
    edited.add(np.arange(3000, 3300), vectors[3000:])
    edited.remove([1, 5, 3010])
    folded = edited._folded()
    assert edited._changes and not folded._changes and len(edited) == len(folded) == 3297
    queries = vectors[2990:3060]
    for exact in (False, True):
        scores, ids = edited.search(queries, 25, exact=exact)
        want_scores, want_ids = folded.search(queries, 25, exact=exact)
        assert np.array_equal(ids, want_ids) and np.allclose(scores, want_scores, atol=1e-6), exact
    assert not {1, 5, 3010} & set(ids.ravel().tolist())


def test_vectors_read_by_id_follow_each_save(tmp_path):
    """Ranking replies reads their vectors by id, from the built index and from the changes kept aside since; a
    save after a read must be seen by the next read (a vector added, one removed and added again)."""
    import numpy as np

    from suggest.engine import dense

    vectors = _clustered(60, 16, centres=4, spread=0.5, seed=1)
    built = dense.DenseIndex.empty(16)
    built.add(np.arange(50) * 3, vectors[:50])
    built = built.suited()  # exact, the changes folded in
    assert not built.approximate and np.allclose(built.vectors(np.array([147, 0, 3])), vectors[[49, 0, 1]])
    built.add(np.array([500]), vectors[50:51])
    assert np.allclose(built.vectors(np.array([3, 500])), vectors[[1, 50]])
    built.add(np.array([501, 502]), vectors[51:53])
    assert np.allclose(built.vectors(np.array([502, 6, 501])), vectors[[52, 2, 51]])
    built.remove([500])
    assert np.allclose(built.vectors(np.array([501, 502])), vectors[[51, 52]])
    built.add(np.array([503]), vectors[53:54])
    assert np.allclose(built.vectors(np.array([503, 501])), vectors[[53, 51]])
    assert 500 not in built.ids() and np.allclose(built.copy().vectors(np.array([503])), vectors[[53]])


def test_character_model_reads_a_query_as_it_was_trained(fresh_engine):
    """The model is fitted with sklearn's tf-idf and applied by our own n-gram code: a query must get the very
    features sklearn would give it (case, spaces, Latin words, emoji, unseen characters)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [e.text for e in fresh_engine.index.entries]
    sklearn = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2).fit(texts)
    chars = fresh_engine.index.chars
    for query in ["能便宜点吗 包邮不", "  XL码  有货吗？？", "便意点呗😭😭", "iPhone 15 能用吗", "a", "", "龘龘龘 ok OK"]:
        expected = sklearn.transform([query]).toarray()[0]
        columns, values = chars.features(query)
        got = np.zeros(len(chars.grams))
        got[columns] = values
        order = [sklearn.vocabulary_[g] for g in chars.grams]
        assert np.allclose(got, expected[order], atol=1e-6), query


def test_an_edit_writes_only_its_changes_and_a_worker_loading_anew_serves_them(fresh_engine, home, embedder):
    """A save must not cost what the corpus costs: the vectors, entries and tokens (200 MB and 25 MB at 100,000
    texts) are written whole only once the changes pass their share; a worker loading the index meanwhile reads
    them with the changes since."""
    index_dir, corpus = home / "index", fresh_engine.corpus
    whole = {name: (index_dir / name).stat().st_mtime_ns for name in ("dense.faiss", "entries.json", "tokens.json")}
    first = Reply(id="invoice-01", situation="bargain", stage="presale", text="可以开电子发票的亲，下单备注抬头即可~",
                  examples=("能开发票吗",))
    fresh_engine.update_corpus(dataclasses.replace(corpus, replies={**corpus.replies, first.id: first}))
    first_vids = {e.vid for e in fresh_engine.index.entries if e.reply == first.id}
    second = dataclasses.replace(first, id="invoice-02", text="纸质发票随货寄出哦亲~", examples=("发票跟货一起寄吗",))
    changed = dataclasses.replace(corpus, replies={**corpus.replies, second.id: second})  # the first taken out
    write_situation(changed, home / "corpus", "bargain")  # as an editor's save does
    fresh_engine.update_corpus(changed)
    assert {name: (index_dir / name).stat().st_mtime_ns for name in whole} == whole
    assert (index_dir / "changes.npz").is_file()
    assert min(e.vid for e in fresh_engine.index.entries if e.reply == second.id) > max(first_vids)  # never reused

    loaded = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert [e.vid for e in loaded.index.entries] == [e.vid for e in fresh_engine.index.entries]
    assert loaded.suggest("发票跟货一起寄吗").suggestions[0].id == "invoice-02"
    assert all(s.id != "invoice-01" for s in loaded.suggest("能开发票吗").suggestions)

    many = {f"invoice-{i:02d}": dataclasses.replace(first, id=f"invoice-{i:02d}", text=f"发票第{i}种开法~",
                                                    examples=(f"第{i}种发票怎么开",)) for i in range(3, 80)}
    grown = dataclasses.replace(changed, replies={**changed.replies, **many})
    write_situation(grown, home / "corpus", "bargain")
    fresh_engine.update_corpus(grown)
    assert not (index_dir / "changes.npz").exists()  # past their share: written whole again
    assert (index_dir / "entries.json").stat().st_mtime_ns != whole["entries.json"]
    stored = json.loads((index_dir / "tokens.json").read_text(encoding="utf-8"))["tokens"]
    assert set(stored) == {e.text for e in fresh_engine.index.entries}  # the texts gone are gone from it too
    again = Suggester.load(load_settings(home, env={}), embedder=embedder)
    assert again.suggest("第7种发票怎么开").suggestions[0].id == "invoice-07"


def test_a_serving_worker_loads_neither_sklearn_nor_torch(shared_home, engine):
    """Query time needs the tokenizer and ONNX Runtime only: sklearn (70 MB) and PyTorch (hundreds of MB) are
    for building, and a worker whose index is current never imports them."""
    Embedder("m3e-small", backend="onnx")  # the ONNX graph exported once, as the first `suggest serve` does
    script = ("import sys; from suggest.engine.suggester import Suggester; from suggest.settings import load_settings; "
              f"e = Suggester.load(load_settings({str(shared_home)!r}, env={{}}));"
              "assert e.suggest('能便宜点吗 包邮不').suggestions; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'torch', 'sentence_transformers'}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_few_changed_rows_keep_the_situation_models_and_many_refit_them(fresh_engine, home):
    corpus = fresh_engine.corpus
    before = fresh_engine.index.chars
    one = Reply(id="invoice-01", situation="bargain", stage="presale", text="可以开电子发票的亲~", examples=("能开发票吗",))
    fresh_engine.update_corpus(dataclasses.replace(corpus, replies={**corpus.replies, one.id: one}))
    kept = fresh_engine.index
    assert kept.chars.grams == before.grams and kept.manifest.drift == 2  # not refitted; the reply's two texts
    assert read_manifest(home / "index").drift == 2  # the count outlives the process
    many = {f"invoice-{i:02d}": dataclasses.replace(one, id=f"invoice-{i:02d}", text=f"鼹鼠发票第{i}种开法~",
                                                    examples=(f"第{i}种发票怎么开",)) for i in range(2, 80)}
    fresh_engine.update_corpus(dataclasses.replace(corpus, replies={**corpus.replies, one.id: one, **many}))
    refitted = fresh_engine.index
    assert refitted.manifest.drift == 0 and "鼹" not in before.grams and "鼹" in refitted.chars.grams


def test_an_engine_loaded_anew_takes_its_texts_tokens_from_the_index(fresh_engine, home, embedder, monkeypatch):
    """A shop's first request pays for loading its engine: its texts are cut into index terms once, when the
    index is written, not again by every worker that loads it (unless the segmenter cuts otherwise now)."""
    from suggest.engine import segment

    stored = json.loads((home / "index" / "tokens.json").read_text(encoding="utf-8"))
    segmenter = segment.default_segmenter()
    assert stored["segmenter"] == segmenter.stamp
    texts = {e.text for e in fresh_engine.index.entries}
    assert set(stored["tokens"]) == texts and stored["tokens"]["能便宜点吗"] == segmenter.tokens("能便宜点吗")
    expected = [s.id for s in fresh_engine.suggest("能便宜点吗 包邮吗").suggestions]

    cut: list[str] = []
    original = segment.Segmenter.tokens
    monkeypatch.setattr(segment.Segmenter, "tokens", lambda self, text: cut.append(text) or original(self, text))
    settings = load_settings(home, env={})
    loaded = Suggester.load(settings, embedder=embedder, lender=None)
    assert not cut  # nothing segmented while loading
    assert [s.id for s in loaded.suggest("能便宜点吗 包邮吗").suggestions] == expected

    stored["segmenter"] = "another segmenter"  # e.g. a new dictionary: the stored tokens no longer hold
    (home / "index" / "tokens.json").write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    cut.clear()
    again = Suggester.load(settings, embedder=embedder, lender=None)
    assert texts <= set(cut)
    assert [s.id for s in again.suggest("能便宜点吗 包邮吗").suggestions] == expected


def test_an_approximate_index_keeps_its_lists_small_as_it_grows(monkeypatch):
    """A query reads `NPROBE` lists: lists that grew with the corpus would make it cost what the corpus costs.
    An index grown past twice its lists' size is trained anew, and still finds what exact search finds."""
    import numpy as np

    from suggest.engine import dense

    monkeypatch.setattr(dense, "APPROXIMATE_FROM", 1000)
    monkeypatch.setattr(dense, "LIST_SIZE", 50)
    monkeypatch.setattr(dense, "NPROBE", 8)
    vectors = _clustered(6000, 32, centres=60, spread=0.3, seed=1)
    index = dense.DenseIndex.empty(32)
    index.add(np.arange(1500), vectors[:1500])
    index = index.suited()
    assert index.layout == ("ivf-fp16", 30)
    index.add(np.arange(1500, 2500), vectors[1500:2500])
    assert index.suited().layout == ("ivf-fp16", 30)  # within twice the size: kept as it is
    index.add(np.arange(2500, 6000), vectors[2500:])
    grown = index.suited()
    assert grown.layout == ("ivf-fp16", 120) and len(grown) == 6000
    _, truth = grown.search(vectors[:40], 10, exact=True)
    _, found = grown.search(vectors[:40], 10)
    assert np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)]) >= 0.9


def test_an_index_of_full_precision_lists_is_laid_out_anew_when_loaded(home, embedder, monkeypatch):
    """An index written by an earlier version holds its lists at full precision (twice the memory read a query):
    the next load lays the same vectors out as this version does, embedding nothing, and answers as before."""
    import faiss

    from suggest.engine import dense

    monkeypatch.setattr(dense, "APPROXIMATE_FROM", 40)
    monkeypatch.setattr(dense, "LIST_SIZE", 10)
    settings = load_settings(home, env={})
    engine = Suggester.load(settings, embedder=embedder)
    lists = engine.index.dense.layout
    assert lists[0] == "ivf-fp16"
    expected = [s.id for s in engine.suggest("能便宜点吗 包邮吗").suggestions]
    ids = np.array(engine.index.dense.ids(), dtype=np.int64)
    vectors = engine.index.dense.vectors(ids)
    legacy = faiss.IndexIVFFlat(faiss.IndexFlatIP(512), 512, lists[1], faiss.METRIC_INNER_PRODUCT)
    legacy.set_direct_map_type(faiss.DirectMap.Hashtable)
    legacy.train(vectors)
    legacy.add_with_ids(vectors, ids)
    faiss.write_index(legacy, str(home / "index" / VECTORS))
    assert dense.DenseIndex.read(home / "index" / VECTORS).layout == ("ivf", lists[1])

    encoded: list[str] = []
    monkeypatch.setattr(embedder, "encode", lambda texts, *a, **k: encoded.extend(texts) or Embedder.encode(
        embedder, texts, *a, **k))
    again = Suggester.load(settings, embedder=embedder)
    assert again.index.dense.layout == lists and not encoded
    assert dense.DenseIndex.read(home / "index" / VECTORS).layout == lists  # written so
    assert [s.id for s in again.suggest("能便宜点吗 包邮吗").suggestions] == expected


def test_an_index_without_prototypes_gets_them_when_loaded(home, embedder, monkeypatch):
    """An index written before situations had prototypes answers as this version's does: they are chosen from
    its vectors on loading (nothing embedded) and written beside it, so the next load reads them."""
    settings = load_settings(home, env={})
    engine = Suggester.load(settings, embedder=embedder)
    expected = [(s.id, s.score) for s in engine.suggest("快递到了但是少了一件").suggestions]
    (home / "index" / "prototypes.npz").unlink()

    encoded: list[str] = []
    monkeypatch.setattr(embedder, "encode", lambda texts, *a, **k: encoded.extend(texts) or Embedder.encode(
        embedder, texts, *a, **k))
    again = Suggester.load(settings, embedder=embedder)
    assert not encoded and (home / "index" / "prototypes.npz").is_file()
    assert [(s.id, s.score) for s in again.suggest("快递到了但是少了一件").suggestions] == expected

"""Embedding a request's texts: a long message and its short clauses are not padded to one length."""

import numpy as np

from suggest.engine.embed import Embedder


def test_a_long_message_runs_apart_from_its_short_clauses_and_embeds_the_same(monkeypatch):
    """One batch pads every text to the longest: a long message with eight clauses cost nine times the message
    alone (p99 twice plain sentence-transformers'). Texts of like length share a call; the vectors are those each
    text gets alone."""
    onnx = Embedder("m3e-small", backend="onnx")
    message = "亲 我想问一下这款羽绒服的充绒量是多少 冬天在东北穿够不够暖和 另外能不能便宜一点 包邮吗 今天拍明天能发吗"
    clauses = ["充绒量是多少", "东北穿够不够暖和", "能不能便宜一点", "包邮吗", "今天拍明天能发吗"]
    runtime = type(onnx._runtime)
    calls: list[list[str]] = []
    original = runtime.encode
    monkeypatch.setattr(runtime, "encode", lambda self, texts, size, progress:
                        calls.append(texts) or original(self, texts, size, progress))
    together = onnx.encode([message, *clauses])
    assert calls[0] == [message] and sorted(calls[1]) == sorted(clauses)
    apart = np.vstack([original(onnx._runtime, [text], 64, False) for text in [message, *clauses]])
    assert np.allclose(together, apart, atol=1e-5)
    calls.clear()
    onnx.encode(["包邮吗", "发什么快递"])  # alike: one call
    assert len(calls) == 1


def test_clauses_are_read_within_their_message_in_one_pass(monkeypatch):
    """A request embeds its message once: each clause's vector is its tokens' mean from that one pass (the whole
    message's row is exactly its vector alone), so a four-clause message costs one pass, not five. A clause past
    the model's length limit has no tokens in that pass and is embedded alone."""
    onnx = Embedder("m3e-small", backend="onnx")
    message = "能便宜点吗 包邮不 几天能到 有赠品吗"
    spans = [(0, 5), (6, 9), (10, 14), (15, 19)]
    runtime = type(onnx._runtime)
    passes: list[str] = []
    original = runtime.token_vectors
    monkeypatch.setattr(runtime, "token_vectors", lambda self, text: passes.append(text) or original(self, text))
    texts = [message] + [message[a:b] for a, b in spans]
    rows = onnx.encode_in_context(texts, spans)
    assert passes == [message] and rows.shape == (5, onnx.dimension)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    alone = onnx.encode(texts)
    assert float(rows[0] @ alone[0]) > 0.9999
    assert all(float(rows[i] @ alone[i]) > 0.75 for i in range(1, 5))  # near the clause alone, not the same
    assert np.array_equal(onnx.encode_in_context(texts, spans), rows) and passes == [message]  # cached

    long = "亲，" + "这件衣服的面料摸起来舒服吗，" * 60 + "包邮吗"
    end = (len(long) - 3, len(long))
    rows = onnx.encode_in_context([long, "亲", "包邮吗"], [(0, 1), end])
    assert np.allclose(rows[2], onnx.encode(["包邮吗"])[0], atol=1e-5)


def test_the_onnx_graph_embeds_as_the_torch_model_does():
    """The corpus is embedded by PyTorch, a buyer's message by the ONNX graph, whose attention, layer norms and
    GELU are fused into ONNX Runtime's own operators: the two must give the same vectors, padded batches too."""
    onnx = Embedder("m3e-small", backend="onnx")
    torch_model = Embedder("m3e-small", backend="torch")
    texts = ["能便宜点吗 包邮不", "亲", "这件羽绒服冬天在东北穿够不够暖和，充绒量是多少", "几号发货？", "ok 好的 谢谢"]
    batched = onnx._runtime.encode(texts, 64, False)  # one padded batch
    expected = torch_model.encode(texts)
    assert np.min(np.sum(batched * expected, axis=1)) > 0.99999
    assert np.min(np.sum(onnx.encode(texts) * expected, axis=1)) > 0.99999


def test_a_graph_the_optimizer_cannot_fuse_is_served_as_exported(tmp_path, monkeypatch):
    """Fusing is an optimisation: when ONNX Runtime's optimizer fails on the exported graph, the graph is cached
    and served as exported, and embeds as the torch model does."""
    from onnxruntime.transformers import optimizer

    def broken(*args, **kwargs):
        raise RuntimeError("no fusion for this graph")

    monkeypatch.setenv("SUGGEST_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(optimizer, "optimize_model", broken)
    onnx = Embedder("m3e-small", backend="onnx")
    assert list(tmp_path.glob("encoder-*.onnx"))
    texts = ["能便宜点吗 包邮不", "几号发货？"]
    expected = Embedder("m3e-small", backend="torch").encode(texts)
    assert np.min(np.sum(onnx.encode(texts) * expected, axis=1)) > 0.99999

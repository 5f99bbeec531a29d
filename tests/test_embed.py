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

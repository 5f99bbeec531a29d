"""Answering a buyer's message: text (normalise), split (clauses), segment (private jieba), embed (the
sentence-transformers model, ONNX at query time), dense (FAISS), lexical (BM25), classifier (situation models),
build (corpus → index + manifest) and suggester (`Suggester`, the one entry point every interface uses).

Knows nothing of HTTP or the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Suggester", "Weights", "is_shortcut"]

if TYPE_CHECKING:
    from .suggester import Suggester, Weights, is_shortcut


def __getattr__(name: str):
    if name in __all__:
        from . import suggester
        return getattr(suggester, name)
    raise AttributeError(f"module 'suggest.engine' has no attribute {name!r}")

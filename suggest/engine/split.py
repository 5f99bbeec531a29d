"""Multi-intent splitting: "能便宜点吗 包邮不 几天能到" → three clauses, each answered on its own.

Splitting is deliberately generous (punctuation, spaces, a few connectives); the engine then decides from the
scores whether the clauses really carry different intents, so a single-intent message stays whole.
"""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[,，。.!！?？;；~～、\s]+|(?<=[吗呢吧])(?=[\u4e00-\u9fff])")
_CONNECTIVES = re.compile(r"(?:另外|还有就是|还有|顺便问下|顺便问一下|顺便|然后|而且|对了)")
MIN_CLAUSE_CHARS = 3
# A buyer asks two or three things at once, rarely more; past this, neighbouring clauses are joined, so that no
# message (a pasted chat log of 500 fragments) costs more than this many embeddings.
MAX_CLAUSES = 8


def split_clauses(text: str) -> list[str]:
    """Clauses of a normalised message, short fragments merged into their neighbour."""
    pieces = [p for p in _BREAKS.split(_CONNECTIVES.sub(" ", text)) if p and p.strip()]
    clauses: list[str] = []
    for piece in pieces:
        if clauses and (len(piece) < MIN_CLAUSE_CHARS or len(clauses[-1]) < MIN_CLAUSE_CHARS):
            clauses[-1] = clauses[-1] + " " + piece
        else:
            clauses.append(piece)
    if len(clauses) > MAX_CLAUSES:
        size = -(-len(clauses) // MAX_CLAUSES)  # ceiling: consecutive runs of this many clauses become one
        clauses = [" ".join(clauses[i:i + size]) for i in range(0, len(clauses), size)]
    return clauses or [text]


def clause_spans(text: str, clauses: list[str]) -> list[tuple[int, int]]:
    """Where each clause of `split_clauses(text)` lies in `text`: from its first piece to its last (a clause
    joined from neighbours spans the punctuation between them). Empty if a piece is not found in order (not
    clauses of `text`): the clauses are then embedded on their own."""
    spans, at = [], 0
    for clause in clauses:
        start = None
        for piece in clause.split(" "):
            found = text.find(piece, at)
            if found < 0:
                return []
            start = found if start is None else start
            at = found + len(piece)
        spans.append((start, at))
    return spans

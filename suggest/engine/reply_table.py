"""The active replies as arrays, numbered situation by situation, with their index rows and text vectors.

Ranking a situation's replies runs over these arrays: which replies have a row among a message's candidates,
their rows, their vectors for choosing without near-copies. A grown corpus puts 80 candidate replies in a
situation (100,000 texts), and doing that per reply in Python cost more than the search; Python objects are now
made only for the replies shown."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..records import Corpus, Reply
from .build import Entry
from .dense import DenseIndex


@dataclass(frozen=True)
class ReplyTable:
    replies: tuple[Reply, ...]  # by number: a situation's replies are numbered together, in the corpus's order
    label_start: np.ndarray  # (labels + 1,): the numbers of label i are label_start[i]:label_start[i + 1]
    row_start: np.ndarray  # (replies + 1,): the index rows of reply g are rows[row_start[g]:row_start[g + 1]]
    rows: np.ndarray
    row_reply: np.ndarray  # per index row: its reply's number; -1 for a row of no active reply (a lent bank's)
    vectors: np.ndarray  # (replies, dim): each reply's text vector; NaN where it has none

    @classmethod
    def build(cls, corpus: Corpus, labels: list[str], entries: list[Entry], dense: DenseIndex) -> "ReplyTable":
        """`labels`: the situation models' classes, which number the situations; `entries`: the index's rows."""
        by_label: dict[str, list[Reply]] = {label: [] for label in labels}
        for reply in corpus.replies.values():
            if not reply.retired and reply.situation in by_label:
                by_label[reply.situation].append(reply)
        replies = tuple(r for label in labels for r in by_label[label])
        label_start = np.cumsum([0] + [len(by_label[label]) for label in labels]).astype(np.int64)
        number = {r.id: g for g, r in enumerate(replies)}
        row_reply = np.array([number.get(e.reply, -1) if e.reply else -1 for e in entries], dtype=np.int64)
        order = np.argsort(row_reply, kind="stable")  # rows grouped by reply, in index order within each
        order = order[row_reply[order] >= 0]
        counts = np.bincount(row_reply[order], minlength=len(replies))
        text_rows = np.array([row for row, e in enumerate(entries) if e.kind == "reply" and row_reply[row] >= 0],
                             dtype=np.int64)
        vectors = np.full((len(replies), dense.dimension), np.nan, dtype=np.float32)
        vectors[row_reply[text_rows]] = dense.vectors(np.array([entries[r].vid for r in text_rows], dtype=np.int64))
        return cls(replies, label_start, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), order,
                   row_reply, vectors)

    def vectors_by_id(self) -> dict[str, np.ndarray]:
        """Each reply's text vector (views of `vectors`), for the replies that have one."""
        held = np.flatnonzero(~np.isnan(self.vectors[:, 0]))  # one test for all (per row: 0.09 s at 25,000)
        return {self.replies[n].id: self.vectors[n] for n in held.tolist()}

    def of_label(self, label: int) -> np.ndarray:
        return np.arange(self.label_start[label], self.label_start[label + 1])

    def row_count(self, label: int) -> int:
        """Index rows of a situation's replies."""
        return int(self.row_start[self.label_start[label + 1]] - self.row_start[self.label_start[label]])

    def rows_of(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The index rows of these replies, reply after reply, and how many each has."""
        starts = self.row_start[numbers]
        lengths = self.row_start[numbers + 1] - starts
        at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        return self.rows[at], lengths

    def candidates(self, rows: np.ndarray) -> Candidates:
        """A message's candidate rows (ascending) grouped by reply, once for all the situations ranked: grouping
        them again for each situation cost 0.5 ms a query over 100,000 texts."""
        rows = rows[rows >= 0]
        replies = self.row_reply[rows]
        held = replies >= 0  # a row of no active reply (a lent bank's) ranks nothing
        rows, replies = rows[held], replies[held]
        order = np.argsort(replies, kind="stable")
        numbers, lengths = np.unique(replies[order], return_counts=True)
        return Candidates(numbers, lengths, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), rows[order])

    def candidates_of(self, label: int, found: Candidates, blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                                            np.ndarray]:
        """A situation's replies with a candidate row, none `blocked`, and those rows only, reply after reply, with
        how many each has: (numbers, rows, lengths).

        A reply's rows outside the candidates are at most as near a text as its last dense candidate, so they
        seldom decide; reading them all was 1,400 rows a query over 100,000 texts, most of the ranking's cost.
        There, for our held-out messages, the top situation's first reply stayed the one ranking every row
        gives for 96% (the fit it lost: 0.0006 on average)."""
        a, b = np.searchsorted(found.numbers, self.label_start[label:label + 2])
        numbers, lengths = found.numbers[a:b], found.lengths[a:b]
        rows = found.rows[found.starts[a]:found.starts[b]]
        keep = ~blocked[numbers]
        if not keep.all():
            rows, numbers, lengths = rows[np.repeat(keep, lengths)], numbers[keep], lengths[keep]
        return numbers, rows, lengths

    def blocked(self, ids: frozenset[str]) -> np.ndarray:
        """Per number: whether the reply is among `ids`."""
        return np.array([r.id in ids for r in self.replies], dtype=bool)


@dataclass(frozen=True)
class Candidates:
    """A message's candidate rows by reply: the replies `numbers` (ascending) have `lengths` rows each, and the
    rows of `numbers[i]` are `rows[starts[i]:starts[i + 1]]`."""

    numbers: np.ndarray
    lengths: np.ndarray
    starts: np.ndarray
    rows: np.ndarray

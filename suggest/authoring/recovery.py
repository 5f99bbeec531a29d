"""Finishing what a writer killed mid-change left behind, so every change on disk has its history row.

A change is recorded as pending before its files are written and marked done after (suggest.authoring.history).
A process killed in between (kill -9, a power cut, an out-of-memory kill) leaves a pending row. The next process
to take the editing lock settles it: a change that landed is marked done, one that never reached the files is
dropped (its editor never saw it saved), and a corpus change that landed in part (one file written of several)
is completed from its recorded after-state.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..corpus.files import load_corpus, write_situation
from ..errors import CorpusError
from ..records import Corpus
from .history import Change
from .snapshots import corpus_state, overlay, touched_situations

if TYPE_CHECKING:
    from .editing import EditingService

log = logging.getLogger(__name__)


def settle_pending(service: "EditingService") -> None:
    """Runs under the editing lock, so no living writer is mid-change."""
    for change in service.history.pending():
        try:
            landed = _landed(service, change)
        except CorpusError as exc:
            log.warning("change #%s was left unfinished and its files do not load; leaving it: %s",
                        change.id, exc.message)
            continue
        if landed:
            service.history.settle(change.id)
            log.warning("change #%s (%s) was written but not marked done when its writer stopped; recorded now",
                        change.id, change.action)
        else:
            service.history.discard(change.id)
            log.warning("change #%s (%s) was recorded but never written; dropped", change.id, change.action)


def _landed(service: "EditingService", change: Change) -> bool:
    """Whether `change` is on disk, completing a corpus change that landed in part (a write per file)."""
    if "shop" in change.after:  # one file, replaced atomically: the change landed or it did not
        return service.shop.landed(change)
    if "products" in change.after:
        return service.products.landed(change)
    corpus_dir = service.engine.settings.corpus_dir
    disk = load_corpus(corpus_dir)
    now = corpus_state(disk, set(change.after["replies"]), set(change.after["situations"]))
    if now != change.after and now != change.before:
        completed = Corpus(*overlay(disk, change.after))
        for situation_id in sorted(touched_situations(change.before, change.after)):
            write_situation(completed, corpus_dir, situation_id)
        return True
    return now == change.after

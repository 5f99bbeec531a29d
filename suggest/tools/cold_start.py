"""Cold start, measured: a shop's replies arriving as a 千牛 sheet (no ids, no situations, no examples) against the
same replies imported with their situations and examples.

The corpus file (JSONL/CSV/xlsx, with a situations.tsv beside it for names) is imported twice into temporary homes:
as it is, and as a 千牛 sheet (分组 = the situation's name, placeholders as written) into a copy of this home, whose
situations and buyer-intent banks stay. The second home's situations are not the labels', so a suggestion counts
when its text is a reply of a gold situation.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..authoring.quick_phrases import import_quick_phrases
from ..corpus.files import write_corpus
from ..corpus.interchange import parse_import
from ..corpus.profile import fill
from ..corpus.spreadsheet import QuickPhrase
from ..engine.suggester import Suggester
from ..settings import Settings
from .evaluate import Query, Report, evaluate


def cold_start_reports(settings: Settings, engine: Suggester, corpus_file: Path, queries: list[Query]) -> list[Report]:
    source = parse_import(corpus_file, None)
    phrases = [QuickPhrase(f"{corpus_file}:{r.id}", source.situations[r.situation].name, r.shortcut or "", r.text)
               for r in sorted(source.replies.values(), key=lambda r: (r.situation, r.id))]
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        with_examples = Path(tmp) / "with-examples"
        write_corpus(source, with_examples / "corpus")
        full = Suggester.load(settings.replace(home=with_examples), embedder=engine.embedder)
        reports = [evaluate(full, queries, "with examples")]

        cold = Path(tmp) / "qianniu"
        shutil.copytree(settings.corpus_dir, cold / "corpus")
        if settings.index_dir.is_dir():  # the situations' banks are embedded already
            shutil.copytree(settings.index_dir, cold / "index")
        home = Suggester.load(settings.replace(home=cold), embedder=engine.embedder)
        result = import_quick_phrases(home, phrases, replace=True)
        home.update_corpus(result.corpus)
        gold_texts = {fill(r.text, home.profile.values())[0]: r.situation for r in source.replies.values()}
        reports.append(evaluate(home, queries, "cold start (千牛)", gold_texts=gold_texts))
    return reports

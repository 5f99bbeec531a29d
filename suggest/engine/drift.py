"""How far the models derived from the index may lag behind the corpus.

Refitting the two situation models or re-indexing BM25 costs what the corpus costs (seconds at tens of thousands
of texts): too much for each editor's save. A few changed rows move a model less than its own fit tolerance, and
a new text is found meanwhile by the dense index and by BM25's additions (see `lexical`). So each is kept while
the rows changed since it was built stay within `REBUILD_SHARE` of the index, and rebuilt after; a full build
and a change of the situations rebuild them at once.
"""

REBUILD_SHARE = 0.05


def rebuild_due(changed_rows: int, total_rows: int) -> bool:
    return changed_rows > REBUILD_SHARE * total_rows

"""How many threads the numeric libraries use: set once for the process (FAISS's are set in `dense`)."""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits


@functools.cache
def one_blas_thread() -> None:
    """The engine's products are small (a message against a few hundred rows; analytics' grouping, a block of
    messages against the groups), and OpenBLAS's threads gain nothing on them; on 2 cores they spin against ONNX
    Runtime's, which embeds the message just before. A new message over 100,000 texts took 15.7 ms (p50) with
    them, 9.5 without: choosing replies without near-copies went from 0.4 to 4 ms and the embedding from 3 to 6.
    Set before any index is synced (every engine loads through `sync_index`), so the situation models are fitted
    with the same sums in the same order whether `suggest index build`, a server or an editor's save fits them.
    It applies to the BLAS libraries loaded by then (NumPy's: the engine imports NumPy first)."""
    threadpool_limits(1, user_api="blas")

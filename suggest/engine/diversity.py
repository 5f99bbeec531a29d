"""Never two near-identical replies side by side: the first replies, best first, that no earlier chosen one
duplicates (cosine of their texts at least the `duplicate_similarity` setting)."""

from __future__ import annotations

import numpy as np


def distinct_first(vectors: list[np.ndarray | None], limit: int, threshold: float) -> list[int]:
    """Positions of the first `limit` items (given best first) none of which is a near-duplicate of an earlier
    chosen one; an item without a vector is never a duplicate. Each candidate is compared with the chosen ones
    in one product, not pair by pair (20 replies chosen from hundreds cost thousands of pairs)."""
    dimension = next((len(v) for v in vectors if v is not None), 0)
    chosen: list[int] = []
    chosen_vectors = np.zeros((limit, dimension), dtype=np.float32)
    for position, vector in enumerate(vectors):
        if len(chosen) == limit:
            break
        if vector is not None and chosen and float((chosen_vectors[:len(chosen)] @ vector).max()) >= threshold:
            continue
        if vector is not None:
            chosen_vectors[len(chosen)] = vector
        chosen.append(position)
    return chosen

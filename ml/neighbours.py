"""Exact nearest neighbours of every distinct vector, computed once per training.

Why not an HNSW index: on real catalogue embeddings it is not exact, and not by a little. Most
titles have no person in common with any other, so the SVD places them on their genre/decade/
audience profile: 70 % of the distinct vectors of the sample have another one within 1e-4 cosine
distance. Such tight groups trap HNSW walks (measured with pgvector 0.8.6 on the sample: 26 % of
the distinct vectors are not found by a query with their own value, m = 16 or 32, ef_search 200;
jittering the vectors apart still left 5 %). The exact list of each vector's nearest vectors,
computed here by blocked matrix products, makes ``recommend()`` exact by construction and a lookup
at query time (docs/recommender.md).

Cost: O(P^2 d) for P distinct vectors of d dimensions — seconds for the sample, minutes for the full
dump (see docs/benchmarks.md).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

NEIGHBOURS = 100  # per distinct vector, itself first
BLOCK = 1024  # query rows per matrix product (BLOCK x P float32 in memory per worker)
WORKERS = 2


def nearest(points: np.ndarray, n: int = NEIGHBOURS, block: int = BLOCK) -> np.ndarray:
    """Row indices of the ``n`` nearest rows of each row of ``points`` (unit rows, cosine), nearest
    first, the row itself included (first). Ties are broken by row index.

    A full sort of each row of similarities would dominate the cost; instead the n-th largest
    similarity within a fixed subset of columns bounds the n-th largest of the whole row from
    below, so only the columns at or above it (about n * P / subset of them) are sorted.
    """
    count = len(points)
    n = min(n, count)
    out = np.empty((count, n), dtype=np.int64)
    subset = np.random.default_rng(0).choice(count, min(count, max(8 * n, count // 8)), False)

    def rows_from(start: int) -> None:
        sims = points[start : start + block] @ points.T
        rows = np.arange(len(sims))
        sims[rows, start + rows] = 2.0  # itself first, whatever the rounding
        bound = np.partition(sims[:, subset], len(subset) - n, axis=1)[:, len(subset) - n]
        r, c = np.nonzero(sims >= bound[:, None])
        order = np.lexsort((c, -sims[r, c], r))
        r, c = r[order], c[order]
        rank = np.arange(len(r)) - np.searchsorted(r, r)  # position within its row
        keep = rank < n
        out[start + r[keep], rank[keep]] = c[keep]

    with ThreadPoolExecutor(WORKERS) as pool:  # numpy releases the GIL in these steps
        list(pool.map(rows_from, range(0, count, block)))
    return out

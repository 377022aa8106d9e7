"""Exact nearest neighbours of every distinct vector, computed once per training.

Why not an HNSW index: on real catalogue embeddings it is not exact, and not by a little. Most
titles have no person in common with any other, so the SVD places them on their genre/decade/
audience profile: 70 % of the distinct vectors of the sample have another one within 1e-4 cosine
distance. Such tight groups trap HNSW walks (measured with pgvector 0.8.6 on the sample: 26 % of
the distinct vectors are not found by a query with their own value at m = 16, ef_search 200, and
22 % at m = 32, ef_construction 200; jittering the vectors apart still left 5 %). The exact list
of each vector's nearest vectors, computed here by blocked matrix products, makes ``recommend()``
exact by construction and a lookup at query time (docs/recommender.md).

Cost: O(P^2 d) for P distinct vectors of d dimensions — seconds for the sample, minutes for the full
dump (see docs/benchmarks.md).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

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


MERGE_DISTANCE = 1e-5  # vectors closer than this (cosine distance) become one point
MAX_ROUNDS = 5


def _list_similarities(unit: np.ndarray, lists: np.ndarray, chunk: int = 4096) -> np.ndarray:
    out = np.empty(lists.shape, dtype=np.float32)
    for start in range(0, len(lists), chunk):
        rows = slice(start, start + chunk)
        out[rows] = np.einsum("ij,ikj->ik", unit[rows], unit[lists[rows]])
    return out


def _groups(close: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """Connected groups of the rows closer than MERGE_DISTANCE: each row's group leader (the
    group's first row). Chains may join rows up to a few MERGE_DISTANCE apart: harmless, they
    are indistinguishable to a ranking anyway."""
    rows = np.repeat(np.arange(len(lists)), close.sum(axis=1))
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, lists[close])), shape=(len(lists),) * 2)
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1, len(lists))
    np.minimum.at(first, label, np.arange(len(lists)))
    return first[label]


def points_and_lists(
    vectors: np.ndarray, n: int = NEIGHBOURS
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Group rows into points and list each point's nearest points, exactly.

    Rows whose vectors are identical, or closer than MERGE_DISTANCE (below what float32 cosine
    resolves consistently: such rows would tie, and a list could hold an arbitrary part of the
    tie), share a point, represented by the group's first row (rows are in title_id order).
    Returns each row's point (a row index) and, for each point, its nearest points nearest first
    (row indices, itself first). The caller stores every row of a point with the point's vector.
    """
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    _, first, inverse = np.unique(unit, axis=0, return_index=True, return_inverse=True)
    point = first[inverse.ravel()]
    active = np.unique(point)
    for _ in range(MAX_ROUNDS):
        lists = nearest(unit[active], n)
        close = _list_similarities(unit[active], lists) >= 1 - MERGE_DISTANCE
        leader = _groups(close, lists)
        if (leader == np.arange(len(active))).all():
            return point, {int(active[i]): active[row] for i, row in enumerate(lists)}
        position = np.searchsorted(active, point)
        point = active[leader[position]]
        active = np.unique(point)
    raise RuntimeError(f"points still merging after {MAX_ROUNDS} rounds")

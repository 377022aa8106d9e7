"""Exact nearest neighbours of the distinct vectors, computed once per training.

Why not an HNSW index: on real catalogue embeddings it is not exact, and not by a little. Most
titles have no person in common with any other, so the SVD places them on their genre/decade/
audience profile: 70 % of the distinct vectors of the sample have another one within 1e-4 cosine
distance. Such tight groups trap HNSW walks (measured with pgvector 0.8.6 on the sample: 26 % of
the distinct vectors are not found by a query with their own value at m = 16, ef_search 200, and
22 % at m = 32, ef_construction 200; jittering the vectors apart still left 5 %). The exact list
of a vector's nearest vectors, computed here by blocked matrix products, makes ``recommend()``
exact by construction and a lookup at query time (docs/recommender.md).

Cost: a list costs one pass over every point, so listing all P points is O(P^2 d): about a minute
for the sample's 45 k points, hours for the full dump's 442 k. Lists are therefore computed for
at most LIST_PAIRS / P points, the most-voted first (the films people name): every point of a
catalogue up to ~150 k points, the 56 k most-voted at full size. A seed without a list gets the
same answer from an exact scan at query time (slower, never different). Pruning by clusters
(spherical k-means with angular bounds) was tried and measured: on the sample's vectors it still
computed 75 % of the pairs (docs/benchmarks.md), so it is not used.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

NEIGHBOURS = 100  # per listed point, itself first
BLOCK = 512  # query rows per matrix product
CHUNK = 32_768  # columns per matrix product (BLOCK x CHUNK float32: 64 MB per worker)
WORKERS = 2
LIST_PAIRS = 25_000_000_000  # similarities computed for the lists, at most (~3 min on 2 cores)


class Blocks:
    """Unit rows split by dimension: the dense part every row has, and the part only a few rows
    have (the collaborative block: zero for every film no client liked). A similarity is the
    dense product plus, for two rows that both have the sparse part, its product — the same
    number for a fraction of the work (half the dimensions at full size)."""

    def __init__(self, points: np.ndarray):
        present = (points != 0).mean(axis=0)
        self.dense = np.ascontiguousarray(points[:, present >= 0.25])
        sparse_dims = np.flatnonzero((present > 0) & (present < 0.25))
        self.sparse_rows = np.flatnonzero((points[:, sparse_dims] != 0).any(axis=1))
        self.sparse = np.ascontiguousarray(points[np.ix_(self.sparse_rows, sparse_dims)])

    def queries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What ``similarities`` needs of ``rows``, gathered once for all the column chunks:
        their dense parts, which of them have a sparse part, and those sparse parts."""
        mine = np.flatnonzero(np.isin(rows, self.sparse_rows))
        return self.dense[rows], mine, self.sparse[np.searchsorted(self.sparse_rows, rows[mine])]

    def similarities(self, queries, start: int, stop: int) -> np.ndarray:
        """rows x columns start..stop (``queries``: from :meth:`queries`)."""
        dense, mine, left = queries
        sims = dense @ self.dense[start:stop].T
        a, b = np.searchsorted(self.sparse_rows, [start, stop])
        if len(mine) and b > a:
            sims[np.ix_(mine, self.sparse_rows[a:b] - start)] += left @ self.sparse[a:b].T
        return sims


def _rank_in_row(r: np.ndarray) -> np.ndarray:
    """Position of each entry within its row, for row indices ``r`` sorted ascending."""
    return np.arange(len(r)) - np.searchsorted(r, r)


def _row_lists(blocks: Blocks, rows: np.ndarray, n: int, chunk: int) -> np.ndarray:
    """The n best columns of each of ``rows`` by similarity, then column index, the row itself
    first.

    A full sort of each row would dominate the cost; instead the n-th largest similarity within
    the first chunk of columns (rows are in title order: a fair sample of the catalogue) bounds
    the n-th largest of the whole row from below, so only the columns at or above it (about
    n * P / chunk of them) are kept and sorted. Columns go chunk by chunk, so that the
    similarities in memory stay small (rows x chunk)."""
    count = len(blocks.dense)
    found_r, found_c, found_s = [], [], []
    bound = None
    mask = np.empty((len(rows), chunk), dtype=bool)
    queries = blocks.queries(rows)
    for start in range(0, count, chunk):
        stop = min(start + chunk, count)
        sims = blocks.similarities(queries, start, stop)
        mine = np.flatnonzero((rows >= start) & (rows < stop))
        sims[mine, rows[mine] - start] = 2.0  # itself first, whatever the rounding
        if bound is None:
            width = stop - start
            bound = np.partition(sims, width - n, axis=1)[:, width - n, None]
        mask = np.greater_equal(sims, bound, out=mask[:, : stop - start])
        flat = np.flatnonzero(mask)  # much faster than a 2-d nonzero
        r, c = np.divmod(flat, stop - start)
        found_r.append(r)
        found_c.append(c + start)
        found_s.append(sims.ravel()[flat])
    r, c, s = np.concatenate(found_r), np.concatenate(found_c), np.concatenate(found_s)
    order = np.lexsort((c, -s, r))
    r, c = r[order], c[order]
    rank = _rank_in_row(r)
    keep = rank < n
    out = np.empty((len(rows), n), dtype=np.int64)
    out[r[keep], rank[keep]] = c[keep]
    return out


def nearest(
    points: np.ndarray,
    n: int = NEIGHBOURS,
    rows: np.ndarray | None = None,
    block: int = BLOCK,
    chunk: int = CHUNK,
) -> np.ndarray:
    """Row indices of the ``n`` nearest rows of ``points`` (unit rows, cosine) to each of
    ``rows`` (default: every row), nearest first, the row itself first. Ties by row index."""
    count = len(points)
    n = min(n, count)
    chunk = max(chunk, n)
    rows = np.arange(count) if rows is None else np.asarray(rows)
    blocks = Blocks(points)
    out = np.empty((len(rows), n), dtype=np.int64)

    def from_(start: int) -> None:
        out[start : start + block] = _row_lists(blocks, rows[start : start + block], n, chunk)

    with ThreadPoolExecutor(WORKERS) as pool:  # numpy releases the GIL in these steps
        list(pool.map(from_, range(0, len(rows), block)))
    return out


MERGE_DISTANCE = 1e-5  # vectors closer than this (cosine distance) become one point
# merging converges in 2-3 rounds on the sample; chains of borderline pairs may take more
MAX_ROUNDS = 20


def close_pairs(
    points: np.ndarray, limit: int = NEIGHBOURS, block: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols): pairs of rows closer than MERGE_DISTANCE (each pair once, at most ``limit``
    per row: enough to connect a group; further rounds join what a cap left apart).

    Sort and sweep: two unit vectors that close are within sqrt(2 MERGE_DISTANCE) in Euclidean
    distance, hence in their projection on any unit direction. Along the vectors' principal
    direction, each block of rows is compared only with the rows that follow it within that
    window — exact, and a small fraction of all pairs."""
    count = len(points)
    if count < 2:
        return np.array([], int), np.array([], int)
    sample = points[np.random.default_rng(0).choice(count, min(count, 20_000), replace=False)]
    direction = np.linalg.svd(sample.astype(np.float64), full_matrices=False)[2][0]
    position = points.astype(np.float64) @ direction
    order = np.argsort(position, kind="stable")
    sorted_position = position[order]
    window = np.sqrt(2 * MERGE_DISTANCE) * 1.001 + 1e-6  # rounding of float32 rows: far below
    floor = 1 - MERGE_DISTANCE

    def from_(start: int) -> tuple[np.ndarray, np.ndarray]:
        stop = min(start + block, count)
        end = int(np.searchsorted(sorted_position, sorted_position[stop - 1] + window, "right"))
        rows, cols = order[start:stop], order[start:end]
        sims = points[rows] @ points[cols].T
        r, c = np.nonzero(sims >= floor)
        later = c > r  # each pair once (columns start at this block's first row)
        r, c = r[later], c[later]
        keep = _rank_in_row(r) < limit
        return rows[r[keep]], cols[c[keep]]

    with ThreadPoolExecutor(WORKERS) as pool:
        found = list(pool.map(from_, range(0, count, block)))
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def _leaders(count: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Connected groups of the close pairs: each row's group leader (the group's first row).
    Chains may join rows up to a few MERGE_DISTANCE apart: harmless, they are indistinguishable
    to a ranking anyway."""
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(count, count))
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1, count)
    np.minimum.at(first, label, np.arange(count))
    return first[label]


def points_and_lists(
    vectors: np.ndarray, n: int = NEIGHBOURS, priority: np.ndarray | None = None
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Group rows into points and list the nearest points of the points worth a list, exactly.

    Rows whose vectors are identical, or closer than MERGE_DISTANCE (below what float32 cosine
    resolves consistently: such rows would tie, and a list could hold an arbitrary part of the
    tie), share a point, represented by the group's first row (rows are in title_id order).
    Returns each row's point (a row index) and, for each listed point, its nearest points nearest
    first (row indices, itself first). Listed: every point when there are at most
    sqrt(LIST_PAIRS); otherwise the LIST_PAIRS / P points whose best ``priority`` (the number of
    votes) is highest. The caller stores every row of a point with the point's vector.
    """
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    _, first, inverse = np.unique(unit, axis=0, return_index=True, return_inverse=True)
    point = first[inverse.ravel()]
    active = np.unique(point)
    for _ in range(MAX_ROUNDS):
        rows, cols = close_pairs(unit[active], n)
        if not len(rows):
            break
        leader = _leaders(len(active), rows, cols)
        point = active[leader[np.searchsorted(active, point)]]
        active = np.unique(point)
    else:
        raise RuntimeError(f"points still merging after {MAX_ROUNDS} rounds")
    listed = np.arange(len(active))
    budget = max(1, LIST_PAIRS // len(active))
    if budget < len(active):
        best = np.full(len(active), -np.inf)
        weight = np.zeros(len(point)) if priority is None else np.asarray(priority, float)
        np.maximum.at(best, np.searchsorted(active, point), weight)
        listed = np.sort(np.argsort(-best, kind="stable")[:budget])
    lists = nearest(unit[active], n, rows=listed)
    return point, {int(active[i]): active[row] for i, row in zip(listed, lists, strict=True)}

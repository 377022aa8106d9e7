"""Exact nearest neighbours of the distinct vectors, computed once per training.

Why not an HNSW index: on real catalogue embeddings it is not exact, and not by a little. Most
titles have no person in common with any other, so the SVD places them on their genre/decade/
audience profile: 70 % of the distinct vectors of the sample have another one within 1e-4 cosine
distance. Such tight groups trap HNSW walks (measured with pgvector 0.8.6 on the sample: 26 % of
the distinct vectors are not found by a query with their own value at m = 16, ef_search 200, and
22 % at m = 32, ef_construction 200; jittering the vectors apart still left 5 %). The exact list
of a vector's nearest vectors, computed here by blocked matrix products, makes ``recommend()``
exact by construction and a lookup at query time (docs/recommender.md).

Cost: listing all P points is O(P^2 d). Two things make it affordable for every point of the
full dump (about 425 k points from 666 k recommendable titles, IMDb-shaped): each pair is
computed once for both its rows (symmetric blocks), and only the products at or above a per-row
lower bound of the row's 100th similarity are kept and sorted. The bound is the row's 100th best
among the members of the spherical k-means cells nearest its own (at least CANDIDATES columns):
about 107 entries kept per row instead of thousands. Beyond LIST_PAIRS products (about 775 k
points) the most-voted points get lists first, and a seed without one gets the same answer from
an exact scan at query time (slower, never different). The cells only bound; they never prune a
pair, so the lists stay exact (tests/test_recommend_exact.py).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

log = logging.getLogger(__name__)

NEIGHBOURS = 100  # per listed point, itself first
BLOCK = 512  # query rows per matrix product
CHUNK = 32_768  # columns per matrix product (BLOCK x CHUNK float32: 64 MB per worker)
WORKERS = 2
LIST_PAIRS = 300_000_000_000  # similarities computed for the lists, at most (~5 min on 2 cores)
CELL_SIZE = 500  # rows per k-means cell of the bound pass
CANDIDATES = 8192  # columns per row in the bound pass, at least
BOUND_MARGIN = 1e-5  # rounding of a similarity computed in another order, with room
REDUCE_AT = 20_000_000  # entries held before they are reduced to each row's n best
MIN_LIST = 60  # a refreshed list shorter than this is recomputed (recommend() needs 50 for k = 5)
UPDATE_BLOCK = 4096  # kept lists merged per step of a refresh


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

    def similarities(
        self, queries, start: int, stop: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """rows x columns start..stop (``queries``: from :meth:`queries`), into ``out`` (a
        buffer of at least that size, reused: a fresh 64 MB result costs a third of the
        product in page faults)."""
        dense, mine, left = queries
        sims = None if out is None else out[: len(dense), : stop - start]
        sims = np.matmul(dense, self.dense[start:stop].T, out=sims)
        a, b = np.searchsorted(self.sparse_rows, [start, stop])
        if len(mine) and b > a:
            sims[np.ix_(mine, self.sparse_rows[a:b] - start)] += left @ self.sparse[a:b].T
        return sims


def _rank_in_row(r: np.ndarray) -> np.ndarray:
    """Position of each entry within its row, for row indices ``r`` sorted ascending."""
    return np.arange(len(r)) - np.searchsorted(r, r)


def _cells(
    unit: np.ndarray, size: int = CELL_SIZE, rounds: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (fitted on a sample): each row's cell and the unit centroids."""
    count = len(unit)
    rng = np.random.default_rng(0)
    sample = unit[rng.choice(count, min(count, 100_000), replace=False)]
    centroids = sample[rng.choice(len(sample), max(1, count // size), replace=False)].copy()

    def assign(rows: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [np.argmax(rows[i : i + 8192] @ centroids.T, axis=1) for i in range(0, len(rows), 8192)]
        )

    for _ in range(rounds):
        cell = assign(sample)
        sums = np.zeros_like(centroids)
        np.add.at(sums, cell, sample)
        norms = np.linalg.norm(sums, axis=1)
        kept = norms > 0  # an empty cell keeps its centroid
        centroids[kept] = sums[kept] / norms[kept, None]
    return assign(unit), centroids


def row_bounds(
    unit: np.ndarray, n: int, rows: np.ndarray, candidates: int = CANDIDATES
) -> np.ndarray:
    """A lower bound of each of ``rows``' n-th largest similarity (itself included).

    Any n similarities of a row bound its n-th largest from below; the tighter the bound, the
    fewer columns the exact pass keeps and sorts. The columns tried are the members of the cells
    nearest the row's own (spherical k-means), at least ``candidates`` of them: most of a row's
    true neighbours are there, so the bound is close to the exact n-th similarity and the exact
    pass keeps little more than n columns per row (measured in docs/benchmarks.md). The margin
    covers the rounding of a different product order."""
    count = len(unit)
    if count <= candidates:
        sims = unit[rows] @ unit.T
        return np.partition(sims, count - n, axis=1)[:, count - n] - BOUND_MARGIN
    cell, centroids = _cells(unit)
    order = np.argsort(cell, kind="stable")
    starts = np.searchsorted(cell[order], np.arange(len(centroids) + 1))
    closeness = centroids @ centroids.T
    out = np.empty(len(rows), dtype=np.float32)
    mine = np.argsort(cell[rows], kind="stable")
    mine_starts = np.searchsorted(cell[rows][mine], np.arange(len(centroids) + 1))

    def from_(c: int) -> None:
        at = mine[mine_starts[c] : mine_starts[c + 1]]
        if not len(at):
            return
        near = np.argsort(-closeness[c], kind="stable")
        sizes = starts[near + 1] - starts[near]
        enough = int(np.searchsorted(np.cumsum(sizes), candidates)) + 1
        cols = np.concatenate([order[starts[k] : starts[k + 1]] for k in near[:enough]])
        for b in range(0, len(at), BLOCK):
            sims = unit[rows[at[b : b + BLOCK]]] @ unit[cols].T
            out[at[b : b + BLOCK]] = np.partition(sims, len(cols) - n, axis=1)[:, len(cols) - n]

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(from_, range(len(centroids))))
    return out - BOUND_MARGIN


class _Found:
    """The entries (row, column, similarity) at or above their row's bound, reduced now and then
    to each row's n best (similarity, then column), which also raises the row's bound to its
    n-th best so far. Threads add; the reduction holds the lock."""

    def __init__(self, count: int, n: int, bound: np.ndarray):
        self.n, self.bound, self.lock = n, bound, threading.Lock()
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.pending = self.offered = 0
        self.best_c = np.full((count, n), -1, dtype=np.int32)
        self.best_s = np.full((count, n), -np.inf, dtype=np.float32)

    def add(self, r: np.ndarray, c: np.ndarray, s: np.ndarray) -> None:
        with self.lock:
            self.parts.append((r.astype(np.int32), c.astype(np.int32), s))
            self.pending += len(r)
            self.offered += len(r)
            if self.pending > REDUCE_AT:
                self._reduce()

    def _reduce(self) -> None:
        """Each row with new entries keeps its n best of old and new; its bound rises to the
        n-th of them (minus the margin: an equal similarity at a smaller column still enters)."""
        if not self.parts:
            return
        new_r = np.concatenate([p[0] for p in self.parts])
        touched = np.unique(new_r)
        old_c, old_s = self.best_c[touched], self.best_s[touched]
        held = old_c >= 0
        r = np.concatenate([np.broadcast_to(touched[:, None], old_c.shape)[held], new_r])
        c = np.concatenate([old_c[held]] + [p[1] for p in self.parts])
        s = np.concatenate([old_s[held]] + [p[2] for p in self.parts])
        self.parts, self.pending = [], 0
        order = np.lexsort((c, -s, r))
        r, c, s = r[order], c[order], s[order]
        rank = _rank_in_row(r)
        keep = rank < self.n
        self.best_c[r[keep], rank[keep]] = c[keep]
        self.best_s[r[keep], rank[keep]] = s[keep]
        full = touched[self.best_c[touched, -1] >= 0]
        self.bound[full] = np.maximum(self.bound[full], self.best_s[full, -1] - BOUND_MARGIN)

    def lists(self) -> np.ndarray:
        self._reduce()
        return self.best_c.astype(np.int64)


def _add_block(
    found: _Found, blocks: Blocks, rows: np.ndarray, chunk: int, symmetric: bool
) -> None:
    """Similarities of ``rows`` with every column chunk by chunk, or, ``symmetric`` (``rows``
    consecutive), with the columns from the first of them on: what reaches a row's bound is
    added for that row and, for the columns past ``rows``, what reaches the column's bound for
    that column — the earlier rows' half, which their own blocks skip."""
    count = len(blocks.dense)
    queries = blocks.queries(rows)
    past = int(rows[-1]) + 1
    buffer = np.empty((len(rows), min(chunk, count)), dtype=np.float32)
    for start in range(int(rows[0]) if symmetric else 0, count, chunk):
        stop = min(start + chunk, count)
        sims = blocks.similarities(queries, start, stop, buffer)
        mine = np.flatnonzero((rows >= start) & (rows < stop))
        sims[mine, rows[mine] - start] = 2.0  # itself first, whatever the rounding
        bound = found.bound
        flat = np.flatnonzero(sims >= bound[rows, None])  # much faster than a 2-d nonzero
        r, c = np.divmod(flat, stop - start)
        found.add(rows[r], c + start, sims.ravel()[flat])
        if symmetric and past < stop:
            first = max(start, past)
            part = sims[:, first - start :]
            flat = np.flatnonzero(part >= bound[None, first:stop])
            r, c = np.divmod(flat, stop - first)
            found.add(c + first, rows[r], part.ravel()[flat])


def nearest(
    points: np.ndarray,
    n: int = NEIGHBOURS,
    rows: np.ndarray | None = None,
    block: int = BLOCK,
    chunk: int = CHUNK,
) -> np.ndarray:
    """Row indices of the ``n`` nearest rows of ``points`` (unit rows, cosine) to each of
    ``rows`` (default: every row), nearest first, the row itself first. Ties by row index.

    Every similarity a list needs is computed exactly (float32 products); a per-row lower bound
    of the n-th similarity (:func:`row_bounds`) decides which ones are kept and sorted. For every
    row the pass is symmetric: each pair is computed once and offered to both its rows (half the
    products)."""
    count = len(points)
    n = min(n, count)
    chunk = max(chunk, n)
    every = rows is None
    rows = np.arange(count) if every else np.asarray(rows)
    blocks = Blocks(points)
    if not every and len(rows) <= DIRECT_ROWS:
        return _nearest_directly(blocks, rows, n)
    bound = np.full(count, np.inf, dtype=np.float32)
    bound[rows] = row_bounds(points, n, rows)
    log.info("lower bounds of %s rows computed", len(rows))
    found = _Found(count, n, bound)

    def from_(start: int) -> None:
        _add_block(found, blocks, rows[start : start + block], chunk, symmetric=every)

    with ThreadPoolExecutor(WORKERS) as pool:  # numpy releases the GIL in these steps
        list(pool.map(from_, range(0, len(rows), block)))
    log.info("lists of %s rows: %s entries offered", len(rows), found.offered)
    return found.lists()[rows]


def _nearest_directly(blocks: Blocks, rows: np.ndarray, n: int) -> np.ndarray:
    """:func:`nearest` for a few rows (a refresh's new points): every similarity of each row,
    its n best kept (no bound pass: its k-means over every point costs more than these
    products). The same products as the bounded pass, the same order (ties by row index)."""
    count = len(blocks.dense)
    out = np.empty((len(rows), n), dtype=np.int64)
    for start in range(0, len(rows), BLOCK):
        part = rows[start : start + BLOCK]
        sims = blocks.similarities(blocks.queries(part), 0, count)
        sims[np.arange(len(part)), part] = 2.0  # itself first, whatever the rounding
        top = np.argpartition(-sims, n - 1, axis=1)[:, :n]
        # entries tied with the n-th that argpartition left out must compete on the row index
        nth = np.take_along_axis(sims, top, axis=1).min(axis=1)
        for i in range(len(part)):
            cols = np.flatnonzero(sims[i] >= nth[i])
            ranked = cols[np.lexsort((cols, -sims[i, cols]))]
            out[start + i] = ranked[:n]
    return out


DIRECT_ROWS = 4096  # at most this many rows: nearest() computes their lists directly

MERGE_DISTANCE = 1e-5  # vectors closer than this (cosine distance) become one point


# two unit vectors closer than MERGE_DISTANCE are within this of each other along any unit
# direction (with room for the rounding of float32 rows: far below)
MERGE_WINDOW = np.sqrt(2 * MERGE_DISTANCE) * 1.001 + 1e-6


def _sweep_order(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows' principal direction (of a sample), the rows in the order of their position
    along it, and those sorted positions."""
    rng = np.random.default_rng(0)
    sample = points[rng.choice(len(points), min(len(points), 20_000), replace=False)]
    direction = np.linalg.svd(sample.astype(np.float64), full_matrices=False)[2][0]
    position = points.astype(np.float64) @ direction
    order = np.argsort(position, kind="stable")
    return direction, order, position[order]


def closest_within(queries: np.ndarray, points: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """For each query row, the row of ``points`` most similar to it if closer than
    MERGE_DISTANCE, else -1 (ties: the first row). Sort and sweep, as :func:`close_pairs`: the
    queries in the order of their position along the points' principal direction, a block at a
    time, each block compared only with the points within MERGE_WINDOW of it (a refresh's tens of
    thousands of moved vectors against 425 k points: a product with all of them took half a
    minute at full size, and so did one query at a time). A point outside a query's own window
    is below the threshold, so the wider window of its block changes no answer."""
    best = np.full(len(queries), -1, dtype=np.int64)
    if not len(points) or not len(queries):
        return best
    direction, order, sorted_position = _sweep_order(points)
    at = queries.astype(np.float64) @ direction
    by_position = np.argsort(at, kind="stable")
    for start in range(0, len(queries), block):
        rows = by_position[start : start + block]
        lo = np.searchsorted(sorted_position, at[rows[0]] - MERGE_WINDOW)
        hi = np.searchsorted(sorted_position, at[rows[-1]] + MERGE_WINDOW, "right")
        if hi <= lo:
            continue
        candidates = np.sort(order[lo:hi])  # ties to the first row: argmax takes the first
        sims = queries[rows] @ points[candidates].T
        j = np.argmax(sims, axis=1)
        close = sims[np.arange(len(rows)), j] >= 1 - MERGE_DISTANCE
        best[rows[close]] = candidates[j[close]]
    return best


def close_pairs(
    points: np.ndarray, limit: int = NEIGHBOURS, block: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, capped): pairs of rows closer than MERGE_DISTANCE (each pair once, at most
    ``limit`` per row: enough to connect a group), and the rows that cap left pairs out of
    (:func:`grouped` looks again from them: :func:`crossing_pairs`).

    Sort and sweep: two unit vectors that close are within sqrt(2 MERGE_DISTANCE) in Euclidean
    distance, hence in their projection on any unit direction. Along the vectors' principal
    direction, each block of rows is compared only with the rows that follow it within that
    window — exact, and a small fraction of all pairs."""
    count = len(points)
    if count < 2:
        return np.array([], int), np.array([], int), np.array([], int)
    _, order, sorted_position = _sweep_order(points)
    window = MERGE_WINDOW
    floor = 1 - MERGE_DISTANCE

    def from_(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stop = min(start + block, count)
        end = int(np.searchsorted(sorted_position, sorted_position[stop - 1] + window, "right"))
        rows, cols = order[start:stop], order[start:end]
        sims = points[rows] @ points[cols].T
        r, c = np.nonzero(sims >= floor)
        later = c > r  # each pair once (columns start at this block's first row)
        r, c = r[later], c[later]
        keep = _rank_in_row(r) < limit
        return rows[r[keep]], cols[c[keep]], rows[np.unique(r[~keep])]

    with ThreadPoolExecutor(WORKERS) as pool:
        found = list(pool.map(from_, range(0, count, block)))
    return tuple(np.concatenate([f[i] for f in found]) for i in range(3))


def crossing_pairs(
    queries: np.ndarray, points: np.ndarray, label: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols): every pair of a row of ``queries`` with a row of ``points`` closer than
    MERGE_DISTANCE whose ``label`` (group) differs from the query's — what :func:`close_pairs`'
    cap left out of the grouping. Sort and sweep, one query at a time."""
    rows, cols = [np.array([], int)], [np.array([], int)]
    if len(queries) and len(points) > 1:
        direction, order, sorted_position = _sweep_order(points)
        at = points[queries].astype(np.float64) @ direction
        lo = np.searchsorted(sorted_position, at - MERGE_WINDOW)
        hi = np.searchsorted(sorted_position, at + MERGE_WINDOW, "right")
        for q, a, b in zip(queries, lo, hi, strict=True):
            candidates = order[a:b]
            candidates = candidates[label[candidates] != label[q]]
            near = candidates[points[candidates] @ points[q] >= 1 - MERGE_DISTANCE]
            rows.append(np.full(len(near), q))
            cols.append(near)
    return np.concatenate(rows), np.concatenate(cols)


def _leaders(count: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Connected groups of the close pairs: each row's group leader (the group's first row).
    Chains may join rows up to a few MERGE_DISTANCE apart: harmless, they are indistinguishable
    to a ranking anyway."""
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(count, count))
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1, count)
    np.minimum.at(first, label, np.arange(count))
    return first[label]


def updated_lists(
    unit: np.ndarray, previous: dict[int, np.ndarray], n: int = NEIGHBOURS
) -> dict[int, np.ndarray]:
    """The exact nearest-row lists of every row of ``unit``, reusing ``previous`` ones.

    ``previous``: for the rows that were already there with this very vector, their list from
    before as row indices, -1 for a point since gone or changed. Every other row is *added*.
    A list that was the exact top m of the previous rows, once its gone members are dropped, is
    the exact top m' of the rows that stayed; merged with the added rows at or above its last
    similarity, its top m' is the exact top m' of all rows now. So one product, added rows x
    every row, updates every list; a list shortened below MIN_LIST, and every added row, get a
    full one. Serving stays exact with a shorter list (``recommend()`` scans when a list holds
    too few points), only slower for large k."""
    was = np.zeros(len(unit), dtype=bool)
    was[list(previous)] = True
    return patched_lists(unit, previous, np.flatnonzero(~was), n)


def patched_lists(
    unit: np.ndarray, previous: dict[int, np.ndarray], added: np.ndarray, n: int = NEIGHBOURS
) -> dict[int, np.ndarray]:
    """The lists of ``previous``' rows and of the ``added`` rows (the rows new since those
    lists), exact among every row of ``unit``: as :func:`updated_lists` says, for only the lists
    given (a list left out must not change: no member gone, no added row reaching it)."""
    n = min(n, len(unit))
    kept: dict[int, np.ndarray] = {}
    full = [np.asarray(added, dtype=np.int64)]
    for row, old in previous.items():
        stayed = old[old >= 0]
        if len(stayed) >= min(MIN_LIST, n) and stayed[0] == row:
            kept[row] = stayed
        else:
            full.append(np.array([row]))
    full = np.unique(np.concatenate(full))
    out = {}
    if len(full):
        out = {int(r): lst for r, lst in zip(full, nearest(unit, n, rows=full), strict=True)}
    if not kept:
        return out
    rows = np.fromiter(kept, dtype=np.int64, count=len(kept))
    for start in range(0, len(rows), UPDATE_BLOCK):
        out.update(_merged(unit, rows[start : start + UPDATE_BLOCK], kept, added))
    log.info("neighbour lists: %s updated, %s computed in full", len(kept), len(full))
    return out


def _merged(unit, rows: np.ndarray, kept: dict[int, np.ndarray], added: np.ndarray) -> dict:
    """For ``rows`` (kept): their stayed members merged with the added rows that reach their last
    stayed similarity, cut to the stayed length; ties by row index, as in :func:`nearest`."""
    lengths = np.array([len(kept[r]) for r in rows])
    r = np.repeat(np.arange(len(rows)), lengths)
    c = np.concatenate([kept[x] for x in rows])
    s = np.einsum("ij,ij->i", unit[rows][r], unit[c])
    s[c == rows[r]] = 2.0  # itself first
    last = np.minimum.reduceat(s, np.r_[0, np.cumsum(lengths)[:-1]])
    if len(added):
        sims = unit[rows] @ unit[added].T
        ar, ac = np.nonzero(sims >= last[:, None] - BOUND_MARGIN)
        r = np.concatenate([r, ar])
        c = np.concatenate([c, added[ac]])
        s = np.concatenate([s, sims[ar, ac]])
    order = np.lexsort((c, -s, r))
    r, c = r[order], c[order]
    first = np.r_[True, (r[1:] != r[:-1]) | (c[1:] != c[:-1])]  # a member listed once
    r, c = r[first], c[first]
    rank = _rank_in_row(r)
    keep = rank < lengths[r]
    r, c = r[keep], c[keep]
    bounds = np.r_[0, np.cumsum(lengths)]
    return {int(rows[i]): c[bounds[i] : bounds[i + 1]] for i in range(len(rows))}


def grouped(unit: np.ndarray, n: int = NEIGHBOURS) -> np.ndarray:
    """Each row's point: the first row of its group of identical or near-identical unit rows
    (closer than MERGE_DISTANCE, chained: the connected groups of that relation; see
    :func:`points_and_lists`). One sweep over the distinct rows, its pairs capped at ``n`` per
    row; then the rows the cap cut, against every row of another group. (Until 2026-12-03 every
    round swept every row again, leaders only: 7 more rounds of 14 s at full size for 1 to 4
    pairs each.)"""
    if not len(unit):
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(unit, axis=0, return_index=True, return_inverse=True)
    distinct = np.sort(first)
    points = unit[distinct]
    rows, cols, capped = close_pairs(points, n)
    leader = _leaders(len(points), rows, cols)
    if len(capped):
        more_rows, more_cols = crossing_pairs(np.unique(capped), points, leader)
        if len(more_rows):
            rows, cols = np.concatenate([rows, more_rows]), np.concatenate([cols, more_cols])
            leader = _leaders(len(points), rows, cols)
    # each row: its distinct row's group's first row
    return distinct[leader[np.searchsorted(distinct, first[inverse.ravel()])]]


def points_and_lists(
    vectors: np.ndarray,
    n: int = NEIGHBOURS,
    priority: np.ndarray | None = None,
    previous: dict[int, np.ndarray] | None = None,
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Group rows into points and list the nearest points of the points worth a list, exactly.

    Rows whose vectors are identical, or closer than MERGE_DISTANCE (below what float32 cosine
    resolves consistently: such rows would tie, and a list could hold an arbitrary part of the
    tie), share a point, represented by the group's first row (rows are in title_id order).
    Returns each row's point (a row index) and, for each listed point, its nearest points nearest
    first (row indices, itself first). Listed: every point when the pass over every pair (P² / 2
    products) is within LIST_PAIRS; otherwise the LIST_PAIRS / P points whose best ``priority``
    (the number of votes) is highest. The caller stores every row of a point with the point's
    vector.

    ``previous`` (a refresh): for rows that represented a point before with the vector they have
    now, that point's list as row indices (-1: a point no longer there); the lists of the points
    that are still there are updated rather than recomputed (:func:`updated_lists`).
    """
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    point = grouped(unit, n)
    active = np.unique(point)
    log.info("%s rows grouped into %s points", len(point), len(active))
    if len(active) ** 2 / 2 > LIST_PAIRS:
        best = np.full(len(active), -np.inf)
        weight = np.zeros(len(point)) if priority is None else np.asarray(priority, float)
        np.maximum.at(best, np.searchsorted(active, point), weight)
        listed = np.sort(np.argsort(-best, kind="stable")[: max(1, LIST_PAIRS // len(active))])
        lists = dict(zip(listed.tolist(), nearest(unit[active], n, rows=listed), strict=True))
    elif previous:
        lists = updated_lists(unit[active], _as_points(previous, active), n)
    else:
        lists = dict(enumerate(nearest(unit[active], n)))
    return point, {int(active[i]): active[row] for i, row in lists.items()}


def _as_points(previous: dict[int, np.ndarray], active: np.ndarray) -> dict[int, np.ndarray]:
    """``previous`` in point indices: rows that still represent a point, members that still do
    (-1 otherwise)."""
    out = {}
    for row, old in previous.items():
        i = int(np.searchsorted(active, row))
        if i < len(active) and active[i] == row:
            at = np.searchsorted(active, old)
            found = (old >= 0) & (at < len(active))
            found[found] = active[at[found]] == old[found]
            out[i] = np.where(found, at, -1)
    return out

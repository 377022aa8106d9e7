"""recommend() equals an exact scan of the same ranking, for every seed — duplicate groups included.

Identical (and near-identical) vectors trap HNSW walks; the recommender reads exact nearest-point
lists instead (ml/neighbours.py). ``SET netfloox.exact_scan = on`` makes it scan every point.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ml import neighbours
from ml.embeddings import EmbeddingParams, train
from ml.neighbours import MERGE_DISTANCE, close_pairs, grouped, nearest
from tests.factories import add_title, refresh_analytics


def build_duplicate_groups(conn) -> None:
    """Three groups of 40 films with identical content (same genres, decade, audience and no
    shared people: identical vectors), and 150 films with people in common — more distinct
    vectors than recommend() takes candidates, so that the stored lists are what answers."""
    n = 0
    for group, genres in enumerate((("Drama",), ("Comedy",), ("Horror", "Thriller"))):
        for i in range(40):
            n += 1
            add_title(
                conn,
                f"tt{n:07d}",
                f"Group {group} film {i}",
                year=1995,
                genres=genres,
                rating=6.0,
                votes=50,
            )
    for i in range(150):
        n += 1
        add_title(
            conn,
            f"tt{n:07d}",
            f"Known film {i}",
            year=1980 + i,
            genres=("Drama", "Crime"),
            rating=5 + i % 4,
            votes=1000 * (i + 1),
            directors=[f"nm{1 + i % 4:07d}"],
            cast=[f"nm{10 + i % 6:07d}"],
        )
    refresh_analytics(conn)
    train(conn, EmbeddingParams())


@pytest.fixture
def groups(db):
    build_duplicate_groups(db)
    return db


def answers(conn, seed: str, exact: bool, **filters) -> list[tuple]:
    conn.execute(f"SET netfloox.exact_scan = {'on' if exact else 'off'}")
    args = "".join(f", {name} => %({name})s" for name in filters)
    rows = conn.execute(
        f"SELECT tconst, score FROM recommend(%(seed)s, 5{args})", {"seed": seed, **filters}
    ).fetchall()
    conn.execute("RESET netfloox.exact_scan")
    return [(t, round(s, 6)) for t, s in rows]


def test_identical_vectors_share_one_point(groups):
    titles, points = groups.execute(
        "SELECT count(*), count(DISTINCT point_id) FROM ml.title_embedding"
    ).fetchone()
    assert titles == 270
    assert points <= 153  # three groups of 40 collapse to one point each


@pytest.mark.parametrize(
    "filters",
    [{}, {"min_votes": 500}, {"genre": "Comedy"}, {"year_from": 2000}, {"title_types": ["movie"]}],
)
def test_recommend_equals_the_exact_scan_for_every_seed(groups, filters):
    seeds = [r[0] for r in groups.execute("SELECT tconst FROM catalog.title ORDER BY tconst")]
    differ = [
        s
        for s in seeds
        if answers(groups, s, False, **filters) != answers(groups, s, True, **filters)
    ]
    assert differ == []
    # and the lists do answer: a seed of a group gets its group mates, not an error
    assert len(answers(groups, seeds[0], False, **filters)) == 5 or filters


def test_only_the_most_voted_points_get_lists_beyond_the_budget(db, monkeypatch):
    """Beyond LIST_PAIRS only the most-voted points get a list; every other seed is answered by
    the exact scan, and recommend_for with such a seed too."""
    import ml.neighbours

    monkeypatch.setattr(ml.neighbours, "LIST_PAIRS", 40 * 153)
    build_duplicate_groups(db)
    listed = db.execute(
        """SELECT count(*), min(num_votes) FILTER (WHERE neighbours IS NOT NULL),
                  max(num_votes) FILTER (WHERE neighbours IS NULL)
           FROM ml.title_embedding WHERE title_id = point_id AND neighbours IS NOT NULL
              OR title_id = point_id"""
    ).fetchone()
    with_list = db.execute(
        "SELECT count(*) FROM ml.title_embedding WHERE neighbours IS NOT NULL"
    ).fetchone()[0]
    assert 0 < with_list < listed[0]
    assert listed[1] >= listed[2]  # the most-voted have the lists
    seeds = [r[0] for r in db.execute("SELECT tconst FROM catalog.title ORDER BY tconst")]
    assert [s for s in seeds if answers(db, s, False) != answers(db, s, True)] == []
    both = []
    for exact in ("on", "off"):
        db.execute(f"SET netfloox.exact_scan = {exact}")
        both.append(
            db.execute("SELECT * FROM recommend_for('{tt0000001,tt0000200}', 5)").fetchall()
        )
    assert len(both[0]) == 5 and both[0] == both[1]
    unlisted_and_listed = db.execute(
        """SELECT ml.neighbour_points(ARRAY[
               (SELECT title_id FROM ml.title_embedding WHERE neighbours IS NULL LIMIT 1),
               (SELECT title_id FROM ml.title_embedding WHERE neighbours IS NOT NULL LIMIT 1)])"""
    ).fetchone()[0]
    assert unlisted_and_listed is None  # an exact scan, not a union missing a neighbourhood


def test_a_group_seed_gets_its_identical_mates_first(groups):
    rows = groups.execute("SELECT primary_title FROM recommend('tt0000001', 5)").fetchall()
    assert len(rows) == 5 and all(r[0].startswith("Group 0") for r in rows)


def test_nearest_lists_are_exact_with_ties():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(60, 8))
    points = np.vstack([base, base[:20], base[:20]])  # many exact ties
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    got = nearest(points.astype(np.float32), n=10, block=16)
    sims = points @ points.T
    np.fill_diagonal(sims, 2.0)
    for i, row in enumerate(got):
        assert row[0] == i
        expected = np.lexsort((np.arange(len(points)), -np.round(sims[i], 5)))[:10]
        assert np.allclose(np.sort(sims[i, row]), np.sort(sims[i, expected]), atol=1e-5)


def catalogue_like(rng: np.random.Generator, count: int = 4000, dim: int = 16) -> np.ndarray:
    """Unit rows shaped like the catalogue's: tight genre-profile groups (exact copies and
    near-copies), looser clusters of films with people in common, a few isolated ones."""
    centres = rng.normal(size=(30, dim))
    x = centres[rng.integers(0, 30, count)] + 0.4 * rng.normal(size=(count, dim))
    x[: count // 5] = x[rng.integers(0, 40, count // 5)]  # exact copies of 40 profiles
    near = slice(count // 5, count // 3)
    x[near] = x[rng.integers(0, 40, near.stop - near.start)] + 1e-4 * rng.normal(
        size=(near.stop - near.start, dim)
    )
    x[-20:] = 5 * rng.normal(size=(20, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


SMALL_CELLS = {"CANDIDATES": 300, "CELL_SIZE": 40, "REDUCE_AT": 2_000}


@pytest.mark.parametrize("cells", [False, True])
@pytest.mark.parametrize("liked", [0.0, 0.1])
def test_lists_equal_a_full_sort_of_every_row(liked, cells, monkeypatch):
    """Each pair computed once for both its rows, the collaborative block multiplied only where
    both films have one, and (``cells``) bounds from the nearest k-means cells with the entries
    reduced to each row's n best as they come: every list still holds the n best similarities
    of its row, in order."""
    if cells:
        for name, value in SMALL_CELLS.items():
            monkeypatch.setattr(neighbours, name, value)
    rng = np.random.default_rng(5)
    points = catalogue_like(rng)
    collab = rng.normal(size=(len(points), 8)) * (rng.random((len(points), 1)) < liked)
    points = np.hstack([points, collab.astype(np.float32)])
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    got = nearest(points, n=30, block=256, chunk=1000)
    sims = points @ points.T
    np.fill_diagonal(sims, 2.0)
    expected = -np.sort(-sims, axis=1)[:, :30]
    assert (got[:, 0] == np.arange(len(points))).all()
    assert np.allclose(np.take_along_axis(sims, got, 1), expected, atol=1e-6)


def test_the_cell_bound_never_exceeds_a_rows_nth_similarity(monkeypatch):
    for name, value in SMALL_CELLS.items():
        monkeypatch.setattr(neighbours, name, value)
    points = catalogue_like(np.random.default_rng(8))
    rows = np.arange(0, len(points), 7)
    bound = neighbours.row_bounds(points, 30, rows)
    nth = -np.sort(-(points[rows] @ points.T), axis=1)[:, 29]
    assert (bound <= nth).all()
    assert (bound > nth - 0.2).mean() > 0.9  # and close to it: few columns kept beyond n


@pytest.mark.parametrize("cells", [False, True])
@pytest.mark.parametrize("direct", [False, True])
def test_lists_for_some_rows_only(cells, direct, monkeypatch):
    """Bounded or (``direct``, a few rows) every similarity computed: the lists of every row
    have these rows' lists, ties (exact copies) included."""
    if cells:
        for name, value in SMALL_CELLS.items():
            monkeypatch.setattr(neighbours, name, value)
    monkeypatch.setattr(neighbours, "DIRECT_ROWS", 3 if direct else 0)
    points = catalogue_like(np.random.default_rng(7), count=500)
    rows = np.array([3, 100, 499])
    assert np.array_equal(nearest(points, n=20, rows=rows), nearest(points, n=20)[rows])


def test_close_pairs_are_every_pair_closer_than_the_merge_distance():
    rng = np.random.default_rng(6)
    points = catalogue_like(rng)
    # and pairs on either side of the merge distance, apart along the sweep's worst direction
    base = points[rng.choice(len(points), 300, replace=False)].astype(np.float64)
    step = np.sqrt(2 * MERGE_DISTANCE) * rng.uniform(0.8, 1.2, (300, 1))
    axis = np.linalg.svd(points.astype(np.float64), full_matrices=False)[2][0]
    moved = base + step * (axis - (base @ axis)[:, None] * base)
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    points = np.vstack([points, moved.astype(np.float32)])
    rows, cols, capped = close_pairs(points, limit=len(points))
    assert len(capped) == 0
    # the oracle in float64: a float32 product of a pair right at the merge distance rounds
    # either way depending on the summation order (multithreaded BLAS); such pairs may go either
    # way, every other pair must be decided as the exact similarity says
    sims = points.astype(np.float64) @ points.T.astype(np.float64)
    np.fill_diagonal(sims, 0.0)
    tolerance = 1e-5
    r, c = np.nonzero(sims >= 1 - MERGE_DISTANCE + tolerance)
    assert len(r) > 1000  # the near-copies
    found = {(a, b) for a, b in zip(rows.tolist(), cols.tolist(), strict=True)}
    assert len(found) == len(rows)  # each pair once
    found |= {(b, a) for a, b in found}
    assert set(zip(r.tolist(), c.tolist(), strict=True)) <= found
    assert all(sims[a, b] >= 1 - MERGE_DISTANCE - tolerance for a, b in found)
    borderline = np.abs(sims - (1 - MERGE_DISTANCE)) < tolerance
    assert len(found) - len(r) <= borderline.sum()


def liked_together(clients: range, films: list[int], rating: str = "5.0") -> list[str]:
    return [f"{c},{f},{rating},{1000 + f}" for c in clients for f in films]


def test_with_a_log_the_served_ranking_stays_exact_and_absent_films_are_ignored(
    groups, db_url, tmp_path
):
    """A log over the catalogue's films and films it lacks (ids 900..904): training ignores the
    absent ones, the films liked together become each other's nearest, and every seed's served
    ranking (lists) equals the exact scan of the blended vectors, with and without filters."""
    from database.ratings_import import run_ratings_import
    from tests.test_ratings import write_log

    links = ["movieId,imdbId,tmdbId"] + [
        f"{i},{i:07d},1" for i in (*range(1, 271), *range(900, 905))
    ]
    rows = liked_together(range(1, 31), [5, 45, 900]) + liked_together(
        range(31, 61), [130, 200, 901]
    )
    rows += liked_together(range(61, 71), [902, 903, 904])  # clients who only rate absent films
    report = run_ratings_import(
        db_url, write_log(tmp_path / "log", rows, links), echo=lambda _: None
    )
    assert report.absent_from_catalogue == 30 + 30 + 30
    train(groups, EmbeddingParams())
    blended = groups.execute(
        "SELECT title_id FROM ml.title_embedding WHERE collaborative > 0 ORDER BY 1"
    ).fetchall()
    assert blended == [(5,), (45,), (130,), (200,)]
    assert answers(groups, "tt0000005", False)[0][0] == "tt0000045"  # another group, co-liked
    assert answers(groups, "tt0000130", False)[0][0] == "tt0000200"
    seeds = [r[0] for r in groups.execute("SELECT tconst FROM catalog.title ORDER BY tconst")]
    for filters in ({}, {"min_votes": 500}, {"genre": "Comedy"}):
        differ = [
            s
            for s in seeds
            if answers(groups, s, False, **filters) != answers(groups, s, True, **filters)
        ]
        assert differ == [], filters


def test_retraining_on_a_log_without_catalogue_films_gives_content_only(groups, db_url, tmp_path):
    """A log replaced by one whose films the catalogue lacks: the retrain drops the
    collaborative block (content-only vectors, as with no log) and stays exact."""
    from database.ratings_import import run_ratings_import
    from tests.test_ratings import write_log

    content_only = answers(groups, "tt0000005", False)
    links = ["movieId,imdbId,tmdbId"] + [f"{i},{i:07d},1" for i in (5, 45, 900, 901)]
    run_ratings_import(
        db_url,
        write_log(tmp_path / "one", liked_together(range(1, 31), [5, 45]), links),
        echo=lambda _: None,
    )
    train(groups, EmbeddingParams())
    assert answers(groups, "tt0000005", False)[0][0] == "tt0000045"
    run_ratings_import(
        db_url,
        write_log(tmp_path / "two", liked_together(range(1, 31), [900, 901]), links),
        echo=lambda _: None,
    )
    train(groups, EmbeddingParams())
    method, blended = groups.execute(
        """SELECT m.method, (SELECT count(*) FROM ml.title_embedding WHERE collaborative > 0)
           FROM ml.embedding_model m WHERE m.active"""
    ).fetchone()
    assert (method, blended) == ("tfidf-svd", 0)
    assert answers(groups, "tt0000005", False) == content_only
    seeds = [r[0] for r in groups.execute("SELECT tconst FROM catalog.title ORDER BY tconst")]
    assert [s for s in seeds if answers(groups, s, False) != answers(groups, s, True)] == []


def near(rng: np.random.Generator, points: np.ndarray, count: int) -> np.ndarray:
    """New unit rows close to some of ``points``: they enter their neighbours' lists."""
    x = points[rng.integers(0, len(points), count)] + 0.05 * rng.normal(
        size=(count, points.shape[1])
    )
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_updated_lists_are_the_exact_lists_of_the_new_points(monkeypatch):
    """A refresh: some points gone, some changed, some new. Each updated list is the exact top of
    the new points (the full computation's first entries); shortened ones and new ones are full."""
    monkeypatch.setattr(neighbours, "MIN_LIST", 25)
    rng = np.random.default_rng(9)
    before = catalogue_like(rng, count=1500)
    old_lists = nearest(before, n=30)
    gone = rng.random(len(before)) < 0.02
    changed = ~gone & (rng.random(len(before)) < 0.02)
    after = before.copy()
    after[changed] = near(rng, before, int(changed.sum()))
    added = near(rng, before, 40)
    now = np.vstack([after[~gone], added])
    row_now = np.where(gone, -1, np.cumsum(~gone) - 1)  # old row -> row now
    row_now[changed] = -1  # a changed vector is a new point
    previous = {int(row_now[i]): row_now[old_lists[i]] for i in np.flatnonzero(row_now >= 0)}
    got = neighbours.updated_lists(now, previous, n=30)
    full = nearest(now, n=30)
    sims = now @ now.T
    np.fill_diagonal(sims, 2.0)
    assert sorted(got) == list(range(len(now)))
    shortened = 0
    for row, lst in got.items():
        assert len(lst) >= 25 and lst[0] == row
        assert np.allclose(sims[row, lst], sims[row, full[row, : len(lst)]], atol=1e-6)
        shortened += len(lst) < 30
    assert shortened > 0  # some lists lost a member and were kept, shorter
    untouched = [r for r in previous if not np.isin(previous[r], -1).any()]
    assert untouched and all(len(got[r]) == 30 for r in untouched)
    new_rows = np.arange(len(after[~gone]), len(now))
    assert any(np.isin(got[r], new_rows).any() for r in untouched)  # new points entered lists


@pytest.mark.parametrize("block", [7, 512])  # many blocks of queries, or one
def test_closest_within_finds_the_nearest_point_closer_than_the_merge_distance(block):
    points = catalogue_like(np.random.default_rng(9))  # exact and near copies of 40 profiles
    rng = np.random.default_rng(10)
    jitter = np.repeat([[2e-4], [1e-3], [3e-3]], 100, axis=0)  # within, around, beyond
    queries = points[rng.integers(0, len(points), 300)] + jitter * rng.normal(size=(300, 16))
    queries = np.vstack([queries, rng.normal(size=(50, 16))]).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    sims = queries @ points.T
    expected = np.where(sims.max(axis=1) >= 1 - MERGE_DISTANCE, sims.argmax(axis=1), -1)
    got = neighbours.closest_within(queries, points, block=block)
    assert (expected >= 0).sum() >= 100 and (expected < 0).sum() >= 100
    clear = np.abs(sims.max(axis=1) - (1 - MERGE_DISTANCE)) > 1e-6  # not on the rounding edge
    assert np.array_equal(got[clear] >= 0, expected[clear] >= 0)
    found = np.flatnonzero(got >= 0)  # the nearest (exact copies: any of them, as rounded)
    assert np.allclose(sims[found, got[found]], sims[found].max(axis=1), atol=1e-6)


@pytest.mark.parametrize("cap", [2, 100])
def test_groups_are_the_connected_groups_of_close_rows_whatever_the_cap(cap):
    """grouped(): the connected groups of the rows closer than MERGE_DISTANCE, each named by its
    first row — also when the sweep's cap per row cut pairs (a cap of 2 in clusters of ~15
    distinct near-copies: the rows it cut are looked at again)."""
    points = catalogue_like(np.random.default_rng(8))
    sims = points.astype(np.float64) @ points.T.astype(np.float64)
    _, label = connected_components(sparse.csr_matrix(sims >= 1 - MERGE_DISTANCE), directed=False)
    first: dict[int, int] = {}
    expected = np.array([first.setdefault(g, row) for row, g in enumerate(label.tolist())])
    assert len(np.unique(expected)) < len(np.unique(points, axis=0))  # near-copies merged
    if cap == 2:
        assert len(close_pairs(np.unique(points, axis=0), limit=cap)[2]) > 0  # the cap cut
    assert np.array_equal(grouped(points, n=cap), expected)


def test_a_pair_the_cap_cut_still_joins_its_two_groups():
    """Two clusters of near-copies that only their two centres join (each centre close to
    every row of its cluster and to the other centre; the clusters 1.6 merge radii apart): with
    a cap of 2 pairs per row the sweep cuts the centres' pair, and the rows it cut, looked at
    again, still make one group."""
    rng = np.random.default_rng(9)
    dim, radius = 16, np.sqrt(2 * MERGE_DISTANCE)
    a = rng.normal(size=dim)
    a /= np.linalg.norm(a)
    u = rng.normal(size=dim)
    u -= (u @ a) * a
    u /= np.linalg.norm(u)
    b = a - 0.8 * radius * u

    def cluster(centre: np.ndarray, side: float) -> np.ndarray:
        return centre + side * 0.8 * radius * u + 0.05 * radius * rng.normal(size=(60, dim))

    far = rng.normal(size=(30, dim))
    rows = np.vstack([far, [a], cluster(a, 1.0), [b], cluster(b, -1.0)])
    points = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    centre_a, centre_b = 30, 91
    found_rows, found_cols, capped = close_pairs(points, limit=2)
    pairs = set(zip(found_rows.tolist(), found_cols.tolist(), strict=True))
    assert (centre_a, centre_b) not in pairs and (centre_b, centre_a) not in pairs
    assert len(capped) > 0
    point = grouped(points, n=2)
    assert np.unique(point[centre_a:]).tolist() == [centre_a]  # one group, named by its first row
    assert len(np.unique(point[:centre_a])) == centre_a


def test_the_stored_texts_are_the_same_on_several_processes(monkeypatch):
    """as_stored() on WORKERS processes (from PARALLEL_TEXTS vectors) gives the serial texts and
    values, in order."""
    from ml import embeddings

    vectors = catalogue_like(np.random.default_rng(11), count=300) * np.float32(0.37)
    serial_texts, serial_values = embeddings.as_stored(vectors)
    monkeypatch.setattr(embeddings, "PARALLEL_TEXTS", 10)
    texts, values = embeddings.as_stored(vectors)
    assert texts == serial_texts and np.array_equal(values, serial_values)
    assert serial_texts[0] == "[" + ",".join(f"{x:.6g}" for x in vectors[0]) + "]"

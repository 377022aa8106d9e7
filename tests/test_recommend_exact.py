"""recommend() equals an exact scan of the same ranking, for every seed — duplicate groups included.

Identical (and near-identical) vectors trap HNSW walks; the recommender reads exact nearest-point
lists instead (ml/neighbours.py). ``SET netfloox.exact_scan = on`` makes it scan every point.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.embeddings import EmbeddingParams, train
from ml.neighbours import nearest
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

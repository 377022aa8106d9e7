"""The recommender's SQL contract, on a small hand-made catalogue."""

from __future__ import annotations

import threading

import psycopg
import pytest

from ml.embeddings import EmbeddingParams, train
from tests.factories import add_episode, add_title, refresh_analytics

GENRES = [("Action", "Sci-Fi"), ("Drama",), ("Comedy", "Romance"), ("Horror",), ("Drama", "Crime")]


def build_catalogue(conn: psycopg.Connection) -> None:
    """40 films in 5 genre families, a series with episodes, a film with too few votes."""
    for i in range(1, 41):
        family = GENRES[i % 5]
        add_title(
            conn,
            f"tt{i:07d}",
            f"Film {i}",
            year=1980 + i,
            genres=family,
            rating=5 + (i % 5),
            votes=100 * i,
            directors=[f"nm{(i % 5) + 1:07d}"],
            cast=[f"nm{100 + i % 7:07d}", f"nm{200 + i % 3:07d}"],
        )
    add_title(
        conn,
        "tt0000100",
        "Le Fabuleux Destin d'Amélie Poulain",
        year=2001,
        genres=("Comedy", "Romance"),
        rating=8.3,
        votes=900_000,
        original_title="Le Fabuleux Destin d'Amélie Poulain",
    )
    add_title(
        conn,
        "tt0000200",
        "The Series",
        title_type="tvSeries",
        genres=("Drama",),
        rating=8.0,
        votes=5000,
    )
    for e in (1, 2):
        add_episode(
            conn,
            f"tt000020{e}",
            "tt0000200",
            f"Episode {e}",
            episode=e,
            genres=("Drama",),
            rating=8.0,
            votes=500,
        )
    add_title(conn, "tt0000300", "Obscure", genres=("Drama",), rating=6.0, votes=3)
    refresh_analytics(conn)
    train(conn, EmbeddingParams())


@pytest.fixture
def catalogue(db):
    build_catalogue(db)
    return db


def test_five_distinct_films_never_the_seed_with_reasons(catalogue):
    rows = catalogue.execute("SELECT * FROM recommend('tt0000005', 5)").fetchall()
    assert len(rows) == 5
    ids = [r[0] for r in rows]
    assert "tt0000005" not in ids and len(set(ids)) == 5
    assert all(r[7] for r in rows)  # a reason each
    scores = [r[6] for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_similar_films_come_first(catalogue):
    rows = catalogue.execute("SELECT genres FROM recommend('tt0000005', 3)").fetchall()
    assert all("Sci-Fi" in r[0] for r in rows)  # the seed is Action/Sci-Fi


def test_reason_names_the_shared_director(catalogue):
    reasons = [r[0] for r in catalogue.execute("SELECT reason FROM recommend('tt0000005', 5)")]
    assert any("same director: Person nm0000001" in r for r in reasons)


def test_never_the_series_of_the_seed_or_its_episodes(catalogue):
    rows = catalogue.execute("SELECT tconst FROM recommend('tt0000200', 10)").fetchall()
    ids = {r[0] for r in rows}
    assert len(rows) == 10
    assert not ids & {"tt0000200", "tt0000201", "tt0000202"}


def test_filters_still_return_k_rows(catalogue):
    rows = catalogue.execute(
        "SELECT tconst, genres, start_year, num_votes FROM recommend('tt0000005', 5,"
        " genre => 'Horror', year_from => 1985, min_votes => 500)"
    ).fetchall()
    assert len(rows) == 5  # 7 horror films qualify, none near the seed
    assert all("Horror" in r[1] and r[2] >= 1985 and r[3] >= 500 for r in rows)
    typed = catalogue.execute(
        "SELECT tconst FROM recommend('tt0000001', 3, title_types => '{tvSeries}')"
    ).fetchall()
    assert typed == [("tt0000200",)]


@pytest.mark.parametrize(
    "call, message",
    [
        ("recommend('tt9999999', 5)", "unknown title tt9999999"),
        ("recommend('tt0000001', 0)", "k must be between 1 and 100"),
        ("recommend('tt0000001', 1000)", "k must be between 1 and 100"),
        ("recommend('tt0000001', 5, genre => 'Westrn')", "unknown genre Westrn"),
        ("recommend_for('{tt0000001,tt9999998}', 5)", "unknown title"),
    ],
)
def test_bad_input_is_a_clear_error(catalogue, call, message):
    with pytest.raises(psycopg.Error, match=message):
        catalogue.execute(f"SELECT * FROM {call}")


def test_title_without_vector_returns_nothing(catalogue):
    assert catalogue.execute("SELECT * FROM recommend('tt0000300', 5)").fetchall() == []
    assert catalogue.execute("SELECT * FROM recommend('tt0000201', 5)").fetchall() == []


def test_recommend_for_several_liked_films(catalogue):
    rows = catalogue.execute(
        "SELECT tconst FROM recommend_for('{tt0000001,tt0000002}', 5)"
    ).fetchall()
    ids = [r[0] for r in rows]
    assert len(ids) == 5 and not {"tt0000001", "tt0000002"} & set(ids)


def test_search_titles_ignores_accents_case_and_typos(catalogue):
    first = catalogue.execute("SELECT tconst FROM search_titles('amelie poulain', 3)").fetchone()
    assert first == ("tt0000100",)
    typo = catalogue.execute("SELECT tconst FROM search_titles('Fabuleux Destn', 3)").fetchone()
    assert typo == ("tt0000100",)
    assert catalogue.execute("SELECT * FROM search_titles('', 3)").fetchall() == []
    # never episodes
    assert catalogue.execute("SELECT * FROM search_titles('Episode 1', 5)").fetchall() == []


def test_retrain_swaps_without_a_moment_of_failure(catalogue, db_url):
    errors, empty, calls = [], [], []
    stop = threading.Event()

    def hammer() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            while not stop.is_set():
                try:
                    rows = conn.execute("SELECT * FROM recommend('tt0000003', 5)").fetchall()
                    calls.append(1)
                    if len(rows) != 5:
                        empty.append(len(rows))
                except psycopg.Error as exc:
                    errors.append(str(exc))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        for _ in range(3):
            train(catalogue, EmbeddingParams(seed=_))
    finally:
        stop.set()
        thread.join(30)
    assert calls and not errors and not empty
    versions = catalogue.execute(
        "SELECT count(*), count(*) FILTER (WHERE active) FROM ml.embedding_model"
    ).fetchone()
    assert versions == (4, 1)

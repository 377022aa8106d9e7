"""Search ranks what people mean: match quality and popularity together, surnames, roles."""

from __future__ import annotations

import pytest

from tests.factories import add_person, add_title, refresh_analytics


def build(conn) -> None:
    for nconst, name in [
        ("nm0634240", "Christopher Nolan"),
        ("nm0636046", "Nolan North"),
        ("nm0000001", "Jonathan Nolan"),
    ]:
        add_person(conn, nconst, name)
    add_title(
        conn,
        "tt0068646",
        "The Godfather",
        year=1972,
        genres=("Crime", "Drama"),
        rating=9.2,
        votes=2_000_000,
    )
    add_title(
        conn,
        "tt8080122",
        "Godfather of Harlem",
        title_type="tvSeries",
        year=2019,
        genres=("Crime",),
        rating=8.1,
        votes=26_000,
    )
    add_title(conn, "tt1313130", "Godfather", year=2022, genres=("Drama",), rating=5.1, votes=8_000)
    add_title(
        conn,
        "tt0133093",
        "The Matrix",
        year=1999,
        genres=("Sci-Fi",),
        rating=8.7,
        votes=2_000_000,
        directors=["nm0000002"],
    )
    add_title(
        conn, "tt9999001", "Matrix of Lies", year=2015, genres=("Drama",), rating=5.0, votes=40
    )
    add_title(
        conn,
        "tt0816692",
        "Interstellar",
        year=2014,
        genres=("Sci-Fi",),
        rating=8.7,
        votes=2_500_000,
        directors=["nm0634240"],
        writers=["nm0000001"],
    )
    add_title(conn, "tt4007898", "Interstelar", year=2014, genres=("Drama",), rating=4.0, votes=138)
    add_title(
        conn,
        "tt1375666",
        "Inception",
        year=2010,
        genres=("Sci-Fi",),
        rating=8.8,
        votes=2_600_000,
        directors=["nm0634240"],
    )
    # Nolan North: more credits than Christopher Nolan, on films hardly anyone rated
    for i in range(40):
        add_title(
            conn,
            f"tt90{i:05d}",
            f"Game {i}",
            year=2010,
            genres=("Animation",),
            rating=6.0,
            votes=20,
            cast=["nm0636046"],
        )
    add_title(
        conn,
        "tt0211915",
        "Le Fabuleux Destin d'Amélie Poulain",
        year=2001,
        genres=("Comedy",),
        rating=8.3,
        votes=900_000,
    )
    refresh_analytics(conn)


@pytest.fixture
def catalogue(db):
    build(db)
    return db


def first_titles(conn, query: str, k: int = 3) -> list[str]:
    return [
        r[0] for r in conn.execute("SELECT primary_title FROM search_titles(%s, %s)", (query, k))
    ]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("godfather", "The Godfather"),
        ("The Godfather", "The Godfather"),
        ("matrix", "The Matrix"),
        ("matrx", "The Matrix"),
        ("the matrix", "The Matrix"),
        ("interstelar", "Interstellar"),
        ("INCEPTION", "Inception"),
        ("amelie poulain", "Le Fabuleux Destin d'Amélie Poulain"),
    ],
)
def test_titles_rank_the_famous_match_first(catalogue, typed, expected):
    assert first_titles(catalogue, typed)[0] == expected


def test_exact_obscure_titles_still_come_right_after(catalogue):
    assert first_titles(catalogue, "interstelar") == ["Interstellar", "Interstelar"]
    assert "Godfather" in first_titles(catalogue, "godfather", 3)


def people(conn, query: str, role: str | None = None) -> list[str]:
    return [
        r[0]
        for r in conn.execute("SELECT primary_name FROM search_people(%s, 3, %s)", (query, role))
    ]


def test_a_surname_finds_the_famous_person_first(catalogue):
    assert people(catalogue, "nolan")[0] == "Christopher Nolan"
    assert people(catalogue, "christopher nolan")[0] == "Christopher Nolan"
    assert people(catalogue, "christofer nolan")[0] == "Christopher Nolan"


def test_a_role_picker_ranks_people_known_in_that_role_first(catalogue):
    assert people(catalogue, "nolan", "actor")[0] == "Nolan North"
    assert people(catalogue, "nolan", "writer")[0] == "Jonathan Nolan"
    assert people(catalogue, "nolan", "director")[0] == "Christopher Nolan"


def test_an_unknown_role_is_a_clear_error(catalogue):
    import psycopg

    with pytest.raises(psycopg.errors.InvalidParameterValue, match="role must be director"):
        people(catalogue, "nolan", "composer")

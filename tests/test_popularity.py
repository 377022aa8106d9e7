"""The popularity model: no leakage, SQL = Python, registry switch and rollback, bad inputs."""

from __future__ import annotations

import psycopg
import pytest

from ml.popularity import fit, input_row, load_features, write
from tests.factories import add_title, refresh_analytics


def build_catalogue(conn: psycopg.Connection) -> None:
    """80 films: good and bad directors, genres with different levels, actors, producers."""
    for i in range(1, 81):
        good = i % 4 == 0
        genre = ("Documentary",) if i % 5 == 0 else ("Horror",) if i % 5 == 1 else ("Drama",)
        rating = (
            (7.5 if good else 5.5)
            + (1.0 if "Documentary" in genre else 0)
            - (1.0 if "Horror" in genre else 0)
            + (i % 3) * 0.1
        )
        add_title(
            conn,
            f"tt{i:07d}",
            f"Film {i}",
            year=1990 + i % 30,
            runtime=80 + i % 60,
            genres=genre,
            rating=round(rating, 1),
            votes=50 + 10 * i,
            directors=[f"nm{(i % 8) + 1:07d}"],
            writers=[f"nm{(i % 6) + 20:07d}"],
            cast=[f"nm{(i % 10) + 40:07d}"],
            producers=[f"nm{(i % 5) + 60:07d}"],
        )
    refresh_analytics(conn)


@pytest.fixture
def trained(db):
    build_catalogue(db)
    result = fit(load_features(db))
    version = write(db, result)
    return db, result, version


INPUTS = [
    dict(genres=("Drama",), runtime_minutes=120, directors=("nm0000004",)),
    dict(
        title_type="movie",
        start_year=2005,
        genres=("Documentary", "Drama"),
        directors=("nm0000008", "nm0000003"),
        writers=("nm0000021",),
        actors=("nm0000041",),
        producers=("nm0000061",),
    ),
    dict(start_year=1950, runtime_minutes=40, genres=("Horror",), actors=("nm9999999",)),
    dict(),
]


def sql_predict(conn, **kw):
    args = {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}
    named = ", ".join(f"{k} => %({k})s" for k in args)
    return conn.execute(f"SELECT * FROM predict_rating({named})", args).fetchone()


@pytest.mark.parametrize("inputs", INPUTS)
def test_sql_scorer_agrees_with_the_python_pipeline(trained, inputs):
    conn, result, version = trained
    predicted, low, high, model_version = sql_predict(conn, **inputs)
    python = result.pipeline.predict(input_row(conn, version, **inputs))[0]
    assert abs(predicted - python) < 1e-6
    assert model_version == version and low < predicted < high


def test_explanations_sum_to_the_prediction(trained):
    conn, _, _ = trained
    predicted = sql_predict(conn, **INPUTS[1])[0]
    rows = conn.execute(
        "SELECT feature_group, contribution FROM explain_rating("
        "genres => '{Documentary,Drama}', directors => '{nm0000008,nm0000003}',"
        " writers => '{nm0000021}', actors => '{nm0000041}',"
        " producers => '{nm0000061}', start_year => 2005)"
    ).fetchall()
    groups = dict(rows)
    assert rows[0][0] == "baseline"
    assert abs(sum(groups.values()) - predicted) < 1e-9
    assert {"directors", "genres", "writers", "actors", "producers"} <= set(groups)


def test_good_director_and_documentary_push_the_rating_up(trained):
    conn, _, _ = trained
    good = sql_predict(conn, genres=("Drama",), directors=("nm0000001",))[0]  # i % 8 == 0: good
    bad = sql_predict(conn, genres=("Drama",), directors=("nm0000002",))[0]
    assert good > bad
    doc = sql_predict(conn, genres=("Documentary",))[0]
    horror = sql_predict(conn, genres=("Horror",))[0]
    assert doc > horror


def test_a_films_features_ignore_its_own_rating(trained):
    conn, _, _ = trained
    tconst = conn.execute(
        "SELECT tconst FROM ml.popularity_features WHERE NOT is_holdout ORDER BY tconst LIMIT 1"
    ).fetchone()[0]
    sibling = conn.execute(  # another training film of the same director
        """SELECT t2.tconst FROM catalog.title_director d1
           JOIN catalog.title_director d2 USING (person_id)
           JOIN catalog.title t1 ON t1.title_id = d1.title_id
           JOIN catalog.title t2 ON t2.title_id = d2.title_id
           WHERE t1.tconst = %s AND t2.tconst <> %s LIMIT 1""",
        (tconst, tconst),
    ).fetchone()[0]
    query = "SELECT * FROM ml.popularity_features WHERE tconst = %s"
    before, sibling_before = (conn.execute(query, (t,)).fetchone() for t in (tconst, sibling))
    conn.execute(
        "UPDATE catalog.rating SET average_rating = 1.0 WHERE title_id = %s", (int(tconst[2:]),)
    )
    conn.execute("REFRESH MATERIALIZED VIEW ml.popularity_features")
    after, sibling_after = (conn.execute(query, (t,)).fetchone() for t in (tconst, sibling))
    cols = [d.name for d in conn.execute(query, (tconst,)).description]

    def moved(old, new):
        return {
            c
            for c, a, b in zip(cols, old, new, strict=True)
            if (abs(a - b) > 1e-9 if isinstance(a, float) else a != b)
        }

    assert moved(before, after) == {"rating"}  # its target only: no feature moved
    sibling_changed = moved(sibling_before, sibling_after)
    assert "director_effect" in sibling_changed  # its rating is in the others' track records


def test_retrain_adds_a_version_and_rollback_switches_back(trained):
    conn, result, first = trained
    second = write(conn, fit(load_features(conn)))
    assert second == first + 1
    assert sql_predict(conn, genres=("Drama",))[3] == second
    conn.execute("SELECT ml.activate_model(%s)", (first,))
    assert sql_predict(conn, genres=("Drama",))[3] == first
    assert conn.execute("SELECT count(*) FROM ml.model WHERE active").fetchone()[0] == 1


def test_unknown_people_are_newcomers(trained):
    conn, _, _ = trained
    nobody = sql_predict(conn, genres=("Drama",))[0]
    newcomer = sql_predict(conn, genres=("Drama",), directors=("nm0999999",))[0]
    assert abs(nobody - newcomer) < 1e-9


@pytest.mark.parametrize(
    "call, message",
    [
        ("predict_rating(genres => '{Westrn}')", "genres: unknown genre"),
        ("predict_rating(title_type => 'film')", "title_type: unknown type film"),
        ("predict_rating(directors => '{Spielberg}')", "not an IMDb person id: Spielberg"),
        ("predict_rating(runtime_minutes => -5)", "runtime_minutes must be >= 0"),
        ("explain_rating(genres => '{Westrn}')", "genres: unknown genre"),
    ],
)
def test_bad_inputs_are_clear_errors(trained, call, message):
    conn, _, _ = trained
    with pytest.raises(psycopg.Error, match=message):
        conn.execute(f"SELECT * FROM {call}")


def test_no_model_is_a_clear_error(db):
    with pytest.raises(psycopg.Error, match="no active popularity model"):
        db.execute("SELECT * FROM predict_rating()")

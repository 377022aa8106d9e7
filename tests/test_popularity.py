"""The popularity model: no leakage, SQL = Python, registry switch and rollback, bad inputs."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from ml.popularity import contributions, fit, input_row, load_features, train, write
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


ROLE_SUFFIXES = ("_effect", "_best", "_films", "_audience")
SMALL_TREES = dict(min_samples_leaf=4, max_leaf_nodes=8, max_iter=40)


@pytest.fixture
def trained(db):
    """Rating and audience trees (activated) and a rating ridge (registered, inactive)."""
    build_catalogue(db)
    df = load_features(db)
    ridge = fit(df, "ridge", "rating")
    ridge_version = write(db, ridge, activate=False)
    audience = fit(df, "trees", "audience", SMALL_TREES)
    audience_version = write(db, audience)
    result = fit(df, "trees", "rating", SMALL_TREES)
    version = write(db, result)
    db.models = {  # version -> Trained, for the Python side of the comparisons
        version: result,
        audience_version: audience,
        ridge_version: ridge,
    }
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
    dict(start_year=2019, runtime_minutes=95, genres=("Drama", "Horror"), writers=("nm0000022",)),
    dict(),
]
ARGS = "title_type, start_year, runtime_minutes, genres, directors, writers, actors, producers"


def _args(inputs: dict) -> dict:
    full = dict(title_type="movie", start_year=None, runtime_minutes=None, genres=())
    full.update({r: () for r in ("directors", "writers", "actors", "producers")})
    full.update(inputs)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in full.items()}


def sql_predict(conn, fn="predict_rating", **kw):
    args = {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}
    named = ", ".join(f"{k} => %({k})s" for k in args)
    return conn.execute(f"SELECT * FROM {fn}({named})", args).fetchone()


def version_predict(conn, version: int, inputs: dict) -> float:
    named = ", ".join(f"%({k})s" for k in ARGS.split(", "))
    return conn.execute(
        f"SELECT prediction FROM ml.model_predict(%(v)s, {named})", {"v": version, **_args(inputs)}
    ).fetchone()[0]


@pytest.mark.parametrize("inputs", INPUTS)
def test_sql_scorer_agrees_with_python_for_every_model(trained, inputs):
    conn, _, _ = trained
    for version, model in conn.models.items():
        python = model.pipeline.predict(input_row(conn, version, **inputs))[0]
        assert abs(version_predict(conn, version, inputs) - python) < 1e-6, model.kind


def test_sql_scorer_agrees_with_python_on_every_catalogue_film(trained):
    """The trees' SQL walk = sklearn on all 80 films' real inputs (many paths through the trees)."""
    conn, result, version = trained
    df = load_features(conn)
    rows = conn.execute(
        """SELECT f.title_id, p.prediction FROM ml.popularity_features f
           CROSS JOIN LATERAL ml.model_predict(%s, f.title_type, f.start_year, f.runtime_minutes,
               f.genres, '{}', '{}', '{}', '{}') p""",
        (version,),
    ).fetchall()
    sql = dict(rows)
    blank = df.assign(**{c: 0.0 for c in df.columns if c.endswith(ROLE_SUFFIXES)})
    python = result.pipeline.predict(blank)
    assert len(rows) == len(df) == 80
    diffs = [abs(sql[t] - p) for t, p in zip(df["title_id"], python, strict=True)]
    assert max(diffs) < 1e-6
    assert len({round(v, 6) for v in sql.values()}) > 5  # the trees do split


def test_predictions_and_ranges(trained):
    conn, _, version = trained
    rating, low, high, v = sql_predict(conn, **INPUTS[0])
    assert v == version and 1 <= low < rating < high <= 10
    votes, low, high, v = sql_predict(conn, "predict_audience", **INPUTS[0])
    assert v != version and low < votes < high
    assert 20 <= votes < 10_000  # the factory films have 60-850 votes


def test_python_attributions_add_up(trained):
    conn, _, _ = trained
    df = load_features(conn)
    for model in conn.models.values():
        base, c = contributions(model, df)
        assert np.allclose(base + c.sum(axis=1), model.pipeline.predict(df), atol=1e-9)


@pytest.mark.parametrize("target", ["rating", "audience"])
def test_explanations_add_up_and_show_only_what_was_entered(trained, target):
    conn, _, _ = trained
    inputs = INPUTS[1]
    rows = conn.execute(
        f"SELECT feature_group, contribution, detail FROM explain_{target}("
        "genres => '{Documentary,Drama}', directors => '{nm0000008,nm0000003}',"
        " writers => '{nm0000021}', actors => '{nm0000041}',"
        " producers => '{nm0000061}', start_year => 2005)"
    ).fetchall()
    predicted = sql_predict(conn, f"predict_{target}", **inputs)[0]
    if target == "audience":
        predicted = np.log10(predicted)
    groups = {g: c for g, c, _ in rows}
    assert rows[0][0] == "average movie"
    assert abs(sum(groups.values()) - predicted) < 1e-9
    assert {"directors", "genres", "writers", "cast", "producers", "year"} <= set(groups)
    assert "runtime" not in groups  # not entered: folded into 'not given'
    assert "runtime" in dict((g, d) for g, _, d in rows)["not given"]
    details = {g: d for g, _, d in rows}
    assert details["genres"] == "Documentary, Drama" and details["year"] == "2005"
    assert not any("(no)" in (d or "") for d in details.values())


def test_the_average_film_of_its_type_is_the_mean_prediction(trained):
    conn, result, _ = trained
    (average,) = conn.execute(
        "SELECT contribution FROM explain_rating() WHERE feature_group = 'average movie'"
    ).fetchone()
    train = result.train[result.train["title_type"] == "movie"]
    assert abs(average - result.pipeline.predict(train).mean()) < 1e-6


def test_what_if_curves_are_sql_calls_of_the_same_model(trained):
    conn, _, _ = trained
    rows = conn.execute(
        "SELECT dimension, setting, x, predicted_rating, expected_votes FROM what_if("
        "genres => '{Drama}', runtime_minutes => 120, start_year => 2000,"
        " directors => '{nm0000004}', actors => '{nm0000041}')"
    ).fetchall()
    dims = {}
    for d, setting, x, rating, votes in rows:
        dims.setdefault(d, []).append((setting, x, rating, votes))
    base = dict(genres=("Drama",), runtime_minutes=120, start_year=2000)
    people = dict(directors=("nm0000004",), actors=("nm0000041",))
    (entered,) = dims["as entered"]
    assert abs(entered[2] - sql_predict(conn, **base, **people)[0]) < 1e-9
    assert len(dims["runtime"]) == 16 and len(dims["year"]) == 13
    at_90 = next(r for r in dims["runtime"] if r[1] == 90)
    assert abs(at_90[2] - sql_predict(conn, **{**base, "runtime_minutes": 90}, **people)[0]) < 1e-9
    swaps = {s: r for s, _, r, _ in dims["newcomer instead of"]}
    assert len(swaps) == 2
    newcomer = sql_predict(conn, **base, directors=("nm0999999",), actors=("nm0000041",))[0]
    assert any(abs(r - newcomer) < 1e-9 for r in swaps.values())


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


@pytest.mark.parametrize("column", ["average_rating", "num_votes"])
def test_no_training_film_sees_its_own_fold(trained, column):
    """Out-of-fold: change the rating (or votes) of every training film of a fold at once; none
    of those films' features move (held-out films, scored on full records, do)."""
    conn, _, _ = trained
    targets = {"rating", "num_votes", "log_votes"}
    query = "SELECT * FROM ml.popularity_features ORDER BY title_id"
    for fold in range(10):
        cur = conn.execute(query)
        cols = [d.name for d in cur.description]
        before = {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
        in_fold = [t for t, r in before.items() if r["fold"] == fold and not r["is_holdout"]]
        if not in_fold:
            continue
        new = (
            "average_rating = 1 + (title_id %% 9)"
            if column == "average_rating"
            else ("num_votes = num_votes * 7 + title_id")
        )
        conn.execute(f"UPDATE catalog.rating SET {new} WHERE title_id = ANY(%s)", (in_fold,))
        conn.execute("REFRESH MATERIALIZED VIEW ml.popularity_features")
        after = {r[0]: dict(zip(cols, r, strict=True)) for r in conn.execute(query).fetchall()}
        for t in in_fold:
            moved = {
                c
                for c in cols
                if c not in targets
                and (
                    abs(before[t][c] - after[t][c]) > 1e-9
                    if isinstance(before[t][c], float)
                    else before[t][c] != after[t][c]
                )
            }
            assert not moved, (fold, t, moved)
        held_out = [t for t, r in before.items() if r["is_holdout"]]
        assert any(before[t] != after[t] for t in held_out) or not held_out


def test_retrain_adds_a_version_and_rollback_switches_back(trained):
    conn, _, first = trained
    second = write(conn, fit(load_features(conn), "trees", "rating", SMALL_TREES))
    assert second == first + 1
    assert sql_predict(conn, genres=("Drama",))[3] == second
    conn.execute("SELECT ml.activate_model(%s)", (first,))
    assert sql_predict(conn, genres=("Drama",))[3] == first
    audience = sql_predict(conn, "predict_audience", genres=("Drama",))[3]
    assert audience not in (first, second)  # one active model per target
    assert conn.execute("SELECT count(*) FROM ml.model WHERE active").fetchone()[0] == 2


def _versions(conn) -> set[int]:
    return {r[0] for r in conn.execute("SELECT version FROM ml.model")}


def test_each_training_keeps_its_versions_and_the_previous_trainings_only(trained):
    """Three trainings: the first one's versions are gone with their track records, the
    second's stay for a rollback, which still scores."""
    conn, _, _ = trained
    first = _versions(conn)
    train(conn, SMALL_TREES)
    second = _versions(conn) - first
    assert len(first) == len(second) == 3 and _versions(conn) == first | second
    train(conn, SMALL_TREES)
    third = _versions(conn) - first - second
    assert len(third) == 3 and _versions(conn) == second | third
    left = conn.execute(
        "SELECT count(*) FROM ml.person_effect WHERE version = ANY(%s)", (list(first),)
    ).fetchone()[0]
    assert left == 0
    assert conn.execute("SELECT count(DISTINCT version) FROM ml.person_effect").fetchone()[
        0
    ] == len(second | third)
    previous = conn.execute(
        """SELECT version FROM ml.model WHERE version = ANY(%s) AND target = 'rating'
           AND kind = 'trees'""",
        (list(second),),
    ).fetchone()[0]
    conn.execute("SELECT ml.activate_model(%s)", (previous,))
    assert sql_predict(conn, **INPUTS[1])[3] == previous


def test_an_active_version_is_kept_however_old(trained):
    conn, _, version = trained
    ridge = next(v for v, m in conn.models.items() if m.kind == "ridge")
    conn.execute("SELECT ml.activate_model(%s)", (ridge,))
    for _ in range(2):
        write(conn, fit(load_features(conn), "ridge", "rating"), activate=False)
        write(conn, fit(load_features(conn), "trees", "rating", SMALL_TREES), activate=False)
    gone = {r[0] for r in conn.execute("SELECT ml.forget_models(1)")}
    assert ridge not in gone and version in gone
    assert sql_predict(conn, **INPUTS[1])[3] == ridge


def test_rollback_to_the_ridge_scores_with_its_coefficients(trained):
    conn, _, _ = trained
    ridge = next(v for v, m in conn.models.items() if m.kind == "ridge")
    conn.execute("SELECT ml.activate_model(%s)", (ridge,))
    rating, _, _, version = sql_predict(conn, **INPUTS[1])
    python = conn.models[ridge].pipeline.predict(input_row(conn, ridge, **INPUTS[1]))[0]
    assert version == ridge and abs(rating - python) < 1e-6
    rows = conn.execute("SELECT sum(contribution) FROM explain_rating(genres => '{Drama}')")
    assert abs(rows.fetchone()[0] - sql_predict(conn, genres=("Drama",))[0]) < 1e-9


@pytest.mark.parametrize("fn", ["predict_rating", "predict_audience"])
def test_unknown_people_are_newcomers(trained, fn):
    conn, _, _ = trained
    known = sql_predict(conn, fn, genres=("Drama",), directors=("nm0000004",))[0]
    newcomer = sql_predict(conn, fn, genres=("Drama",), directors=("nm0999999",))[0]
    other_newcomer = sql_predict(conn, fn, genres=("Drama",), directors=("nm0888888",))[0]
    assert abs(other_newcomer - newcomer) < 1e-9
    if fn == "predict_rating":  # the factory's directors drive the rating, not the votes
        assert known != newcomer


@pytest.mark.parametrize(
    "call, message",
    [
        ("predict_rating(genres => '{Westrn}')", "genres: unknown genre"),
        ("predict_rating(title_type => 'film')", "title_type: unknown type film"),
        ("predict_rating(directors => '{Spielberg}')", "not an IMDb person id: Spielberg"),
        ("predict_rating(runtime_minutes => -5)", "runtime_minutes must be >= 0"),
        ("explain_rating(genres => '{Westrn}')", "genres: unknown genre"),
        ("predict_audience(genres => '{Westrn}')", "genres: unknown genre"),
        ("predict_audience(title_type => 'film')", "title_type: unknown type film"),
        ("predict_audience(actors => '{Streep}')", "not an IMDb person id: Streep"),
        ("predict_audience(start_year => 1700)", "start_year between 1800 and 2200"),
        ("explain_audience(producers => '{x}')", "not an IMDb person id: x"),
        ("what_if(genres => '{Westrn}')", "genres: unknown genre"),
    ],
)
def test_bad_inputs_are_clear_errors(trained, call, message):
    conn, _, _ = trained
    with pytest.raises(psycopg.Error, match=message):
        conn.execute(f"SELECT * FROM {call}")


@pytest.mark.parametrize("fn", ["predict_rating", "predict_audience", "explain_audience"])
def test_no_model_is_a_clear_error(db, fn):
    with pytest.raises(psycopg.Error, match="no active popularity model"):
        db.execute(f"SELECT * FROM {fn}()")

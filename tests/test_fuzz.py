"""Bad input, generated (hypothesis): the public SQL functions answer or raise a clean documented
error (SQLSTATE class 22, 23, P0 or 02) whatever they are given, and the backend never crashes;
the web callbacks given garbage answer a message; corrupted IMDb files are rejected line by line
or refused whole, and the counts always add up."""

from __future__ import annotations

import gzip
import random

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database.imdb_import import ImportFailed, ImportOptions, run_import
from database.imdb_reader import ImportFileError
from ml.embeddings import EmbeddingParams, train
from ml.popularity import train as train_popularity
from tests.imdb_fixture import FILES, write_files
from tests.test_recommend import build_catalogue

CLEAN = ("22", "23", "P0", "02")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure in CI reproduces on a laptop
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=40),
    st.sampled_from(["tt0000005", "nm0000001", "Drama", "movie", "director", "", " ", "%", "_"]),
    st.just("x" * 20_000),
)
number = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 1, 5, 101]))
texts = st.one_of(st.none(), st.lists(text, max_size=5))

CALLS = {
    "search_titles(%s, %s)": st.tuples(text, number),
    "search_people(%s, %s, %s)": st.tuples(text, number, text),
    "recommend(%s, %s, %s, %s, %s, %s, %s)": st.tuples(
        text, number, texts, number, number, text, number
    ),
    "recommend_for(%s, %s)": st.tuples(texts, number),
    "recommend_for_client(%s, %s)": st.tuples(number, number),
    "predict_rating(%s, %s, %s, %s, %s, %s, %s, %s)": st.tuples(
        text, number, number, texts, texts, texts, texts, texts
    ),
    "explain_rating(%s, %s, %s, %s, %s, %s, %s, %s)": st.tuples(
        text, number, number, texts, texts, texts, texts, texts
    ),
}


@pytest.fixture(scope="module")
def served(pg_server_url, template_db):
    """One catalogue with both models for the module (hypothesis calls the test many times)."""
    import uuid

    from database.migrate import configure_database
    from database.server import create_database
    from tests.conftest import with_dbname

    name = f"netfloox_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        create_database(admin, name, template=template_db)
    url = with_dbname(pg_server_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        configure_database(conn)
        build_catalogue(conn)
        train_popularity(conn)
        train(conn, EmbeddingParams())
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("call", list(CALLS))
def test_public_functions_answer_or_raise_a_clean_error(served, call):
    with psycopg.connect(served, autocommit=True) as conn:

        @SETTINGS
        @given(args=CALLS[call])
        def check(args):
            try:
                conn.execute(f"SELECT * FROM {call}", args).fetchall()
            except psycopg.errors.UndefinedFunction:
                pass  # a NULL or an array given where the signature has none: no such call
            except psycopg.Error as exc:
                assert exc.sqlstate and exc.sqlstate[:2] in CLEAN, (args, exc.sqlstate, exc)
            assert conn.execute("SELECT 1").fetchone() == (1,)  # the backend is alive

        check()


@pytest.fixture
def site(served):
    from app.db import as_app_role
    from app.web import create_app

    create_app(as_app_role(served))
    from app.web.pages import predict, recommend

    return recommend, predict


garbage = st.one_of(st.none(), st.integers(), st.floats(), text, st.lists(text, max_size=3))


@SETTINGS
@given(liked=garbage, types=garbage, years=garbage, votes=garbage)
def test_recommend_callback_answers_garbage_with_a_page(site, liked, types, years, votes):
    recommend, _ = site
    first, second = recommend.update_recommendations(liked, types, years, votes)
    assert first is not None or second is not None


@SETTINGS
@given(kind=garbage, year=garbage, runtime=garbage, genres=garbage, people=garbage)
def test_predict_callback_answers_garbage_with_a_page(site, kind, year, runtime, genres, people):
    _, predict = site
    box, *_ = predict.update_prediction(1, kind, year, runtime, genres, people, [], people, [])
    assert box is not None


def corrupt(lines: list[bytes], rng: random.Random, how: str) -> bytes:
    data = b"\n".join(lines) + b"\n"
    if how == "flip":
        pos = rng.randrange(len(data))
        data = data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1 :]
    elif how == "cut":
        data = data[: rng.randrange(len(lines[0]) + 1, len(data))]
    elif how == "column":
        k = rng.randrange(1, len(lines))
        lines = lines[:k] + [lines[k] + b"\textra"] + lines[k + 1 :]
        data = b"\n".join(lines) + b"\n"
    elif how == "utf8":
        k = rng.randrange(1, len(lines))
        lines = lines[:k] + [lines[k] + b"\xc3\x28"] + lines[k + 1 :]
        data = b"\n".join(lines) + b"\n"
    elif how == "crlf":
        data = data.replace(b"\n", b"\r\n")
    return gzip.compress(data)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from([n for n in FILES if n != "title.akas.tsv.gz"]),
    how=st.sampled_from(["flip", "cut", "column", "utf8", "crlf"]),
    seed=st.integers(0, 10_000),
)
def test_corrupted_files_are_rejected_by_line_or_refused_and_counts_add_up(
    db, db_url, tmp_path_factory, name, how, seed
):
    folder = write_files(
        tmp_path_factory.mktemp("imdb"),
        replace={name: corrupt(FILES[name], random.Random(seed), how)},
    )
    before = db.execute("SELECT count(*) FROM catalog.title").fetchone()
    try:
        report = run_import(
            db_url, str(folder), ImportOptions(force=True, max_reject_rate=1.0), echo=lambda _: None
        )
    except (ImportFailed, ImportFileError) as exc:
        assert str(exc)  # refused whole, with a message; nothing changed
        assert db.execute("SELECT count(*) FROM catalog.title").fetchone() == before
        return
    for f in report.files.values():
        if f.present:
            assert f.read == f.stored + f.rejected + f.filtered, (name, how, f)

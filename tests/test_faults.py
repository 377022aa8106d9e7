"""Faults: trainings and the rating-log import killed with SIGKILL at their riskiest step leave the
previous state serving, and the next run cleans up and succeeds; the app survives a database
restart without being restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from ml.embeddings import EmbeddingParams, train
from ml.popularity import train as train_popularity
from tests.test_ratings import co_likes, write_log
from tests.test_recommend import build_catalogue

SCRIPTS = {
    "recommender": "from ml.embeddings import train; train(conn)",
    "popularity": "from ml.popularity import train; train(conn)",
    "ratings": "from database.ratings_import import run_ratings_import;"
    " run_ratings_import(sys.argv[1], sys.argv[2], force=True, echo=lambda _: None)",
}
PRELUDE = (
    "import sys; from database.connection import connect;"
    " conn = connect(sys.argv[1], autocommit=True); "
)


def start(job: str, db_url: str, *args: str) -> tuple[subprocess.Popen, str]:
    app = f"netfloox-{job}-under-test"
    env = dict(os.environ, PGAPPNAME=app)
    proc = subprocess.Popen([sys.executable, "-c", PRELUDE + SCRIPTS[job], db_url, *args], env=env)
    return proc, app


def kill_when_waiting(conn: psycopg.Connection, proc: subprocess.Popen, app: str) -> None:
    """SIGKILL the job once its backend waits on a lock (the step the test holds)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if conn.execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = %s"
            " AND wait_event_type = 'Lock'",
            (app,),
        ).fetchone():
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return
        assert proc.poll() is None, "the job ended before reaching the held step"
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the job never reached the held step")


@pytest.fixture
def trained(db, db_url, tmp_path):
    from database.ratings_import import run_ratings_import

    build_catalogue(db)
    train_popularity(db)
    run_ratings_import(db_url, write_log(tmp_path / "log", co_likes()), echo=lambda _: None)
    train(db, EmbeddingParams())
    return db


def serving(conn: psycopg.Connection) -> tuple:
    recs = conn.execute("SELECT tconst FROM recommend('tt0000005', 5)").fetchall()
    rating = conn.execute("SELECT predicted_rating, model_version FROM predict_rating()").fetchone()
    active = conn.execute(
        "SELECT (SELECT array_agg(version) FROM ml.embedding_model WHERE active),"
        " (SELECT array_agg(version) FROM ml.model WHERE active)"
    ).fetchone()
    return recs, rating, active


@pytest.mark.parametrize(
    "job, lock",
    [
        # held at the swap, after the new vectors and lists are built
        ("recommender", "LOCK TABLE ml.title_embedding IN ACCESS SHARE MODE"),
        # held when registering the new version, after the model is fitted
        ("recommender", "LOCK TABLE ml.embedding_model IN SHARE MODE"),
        ("popularity", "LOCK TABLE ml.model IN SHARE MODE"),
    ],
)
def test_a_killed_training_leaves_the_previous_model_serving(trained, db_url, job, lock):
    before = serving(trained)
    holder = psycopg.connect(db_url)
    holder.execute(lock)
    proc, app = start(job, db_url)
    try:
        kill_when_waiting(trained, proc, app)
    finally:
        holder.rollback()
        holder.close()
    assert serving(trained) == before
    # the next run cleans up what the killed one left and succeeds
    if job == "recommender":
        version, _ = train(trained, EmbeddingParams(seed=1))
        assert serving(trained)[2][0] == [version]
    else:
        train_popularity(trained)
        assert serving(trained)[2][1] != before[2][1]
    assert len(serving(trained)[0]) == 5
    leftovers = trained.execute(
        "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%\\_next'"
    ).fetchone()
    assert leftovers == (0,)


def test_a_killed_rating_log_import_keeps_the_previous_log(trained, db_url, tmp_path):
    count = "SELECT count(*), sum(rating) FROM clientlog.rating"
    before = trained.execute(count).fetchone()
    bigger = write_log(tmp_path / "bigger", co_likes() + ["99,1,5.0,1"])
    holder = psycopg.connect(db_url)
    holder.execute("LOCK TABLE clientlog.rating IN ACCESS SHARE MODE")  # held at the swap
    proc, app = start("ratings", db_url, bigger)
    try:
        kill_when_waiting(trained, proc, app)
    finally:
        holder.rollback()
        holder.close()
    assert trained.execute(count).fetchone() == before
    from database.ratings_import import run_ratings_import

    report = run_ratings_import(db_url, bigger, force=True, echo=lambda _: None)
    assert report.status == "succeeded" and report.stored == before[0] + 1


def test_the_app_says_the_database_is_down_then_recovers_without_a_restart(tmp_path):
    from app.db import as_app_role
    from app.web import create_app
    from database import migrate, server

    pgdata = tmp_path / "pgdata"
    url = server.start(pgdata)
    try:
        migrate.migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            build_catalogue(conn)
        create_app(as_app_role(url))
        from app.web.pages import recommend

        def page() -> str:
            from tests.test_app import texts

            _, cards = recommend.update_recommendations(["tt0000005"], ["movie"], [1920, 2030], 0)
            first, _ = recommend.update_recommendations(["tt0000005"], ["movie"], [1920, 2030], 0)
            return texts(first) + texts(cards)

        assert "Film" in page()
        server.stop(pgdata)
        down = page()
        assert "not reachable" in down and "Traceback" not in down
        server.start(pgdata)
        deadline = time.monotonic() + 30
        while "not reachable" in page() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "Film" in page() and "not reachable" not in page()
    finally:
        from app.db import db

        db().close()
        server.stop(pgdata)


def test_a_call_waiting_for_a_swap_answers_from_the_new_catalogue(trained, db_url):
    """A call that waits for a re-import's swap must read the new tables with a fresh snapshot
    (it answered "unknown title" when the API functions were STABLE)."""
    import threading

    swap = psycopg.connect(db_url)
    swap.execute("LOCK TABLE catalog.title IN ACCESS EXCLUSIVE MODE")
    swap.execute("CREATE TABLE catalog.title_new (LIKE catalog.title INCLUDING ALL)")
    swap.execute("INSERT INTO catalog.title_new SELECT * FROM catalog.title")
    result: list = []

    def call() -> None:
        with psycopg.connect(db_url, autocommit=True) as reader:
            try:
                result.append(reader.execute("SELECT * FROM recommend('tt0000005', 5)").fetchall())
            except psycopg.Error as exc:
                result.append(exc)

    reader = threading.Thread(target=call)
    reader.start()
    deadline = time.monotonic() + 30
    while not trained.execute(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query LIKE '%recommend(''tt0000005''%'"
    ).fetchone():
        assert time.monotonic() < deadline, "the call never waited for the swap"
        time.sleep(0.05)
    swap.execute("ALTER TABLE catalog.title RENAME TO title_old")
    swap.execute("ALTER TABLE catalog.title_new RENAME TO title")
    swap.commit()
    reader.join(30)
    swap.close()
    assert not isinstance(result[0], Exception), result[0]
    assert len(result[0]) == 5


@pytest.mark.parametrize("after", [1.0, 2.5, 4.0])
def test_a_training_killed_at_any_moment_leaves_one_model_serving(trained, db_url, after):
    """Killed at an arbitrary moment (computing, writing, indexing or swapping): exactly one
    active model, five answers, and the next run succeeds."""
    proc, _ = start("recommender", db_url)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    recs, _, (embedding_versions, _) = serving(trained)
    assert len(recs) == 5 and len(embedding_versions) == 1
    version, _ = train(trained, EmbeddingParams(seed=2))
    assert serving(trained)[2][0] == [version]

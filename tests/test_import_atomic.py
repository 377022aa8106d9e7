"""A re-import is atomic: readers keep the old catalogue, a killed import changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg

from database.imdb_import import ImportOptions, run_import
from tests.imdb_fixture import FILES, gz, write_files

IMPORT_SCRIPT = """
import sys
from database.imdb_import import ImportOptions, run_import
run_import(sys.argv[1], sys.argv[2], ImportOptions(force=True, full=True), echo=lambda _: None)
"""


def _wait_for_lock_wait(conn: psycopg.Connection, app: str, timeout: float = 60) -> int:
    """pid of the import's backend once it waits on a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
            " AND wait_event_type = 'Lock'",
            (app,),
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.1)
    raise AssertionError("the import never reached the locked step")


def test_killed_import_leaves_previous_catalogue_and_rerun_matches(db, db_url, tmp_path):
    folder = write_files(tmp_path / "imdb")
    first = run_import(db_url, str(folder), ImportOptions(), echo=lambda _: None)
    counts = "SELECT count(*), sum(title_id) FROM catalog.title"
    before = db.execute(counts).fetchone()

    # A second import of a bigger catalogue, held mid-build: its lookups step reads
    # catalog.category, which this connection locks.
    bigger = write_files(
        tmp_path / "bigger",
        replace={
            "title.basics.tsv.gz": gz(
                FILES["title.basics.tsv.gz"]
                + [b"tt0000020\tmovie\tNew\tNew\t0\t2020\t\\N\t90\tDrama"]
            )
        },
    )
    locker = psycopg.connect(db_url)
    locker.execute("LOCK TABLE catalog.category IN ACCESS EXCLUSIVE MODE")
    app = "netfloox-import-under-test"
    env = dict(os.environ, PGAPPNAME=app)
    proc = subprocess.Popen([sys.executable, "-c", IMPORT_SCRIPT, db_url, str(bigger)], env=env)
    try:
        backend = _wait_for_lock_wait(db, app)
        # staging is loaded and catalog_next half built: readers still see the old catalogue
        with psycopg.connect(db_url) as reader:
            assert reader.execute(counts).fetchone() == before
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        db.execute("SELECT pg_terminate_backend(%s)", (backend,))
    finally:
        locker.close()
        if proc.poll() is None:
            proc.kill()

    assert db.execute(counts).fetchone() == before
    assert db.execute("SELECT to_regnamespace('catalog_next') IS NULL").fetchone()[0]
    # the same files again: the killed run leaves no trace in the result
    again = run_import(db_url, str(folder), ImportOptions(force=True), echo=lambda _: None)
    assert db.execute(counts).fetchone() == before
    assert {n: f.stored for n, f in again.files.items()} == {
        n: f.stored for n, f in first.files.items()
    }


def test_duplicate_keys_keep_the_last_line_and_reject_the_others(db, db_url, tmp_path):
    lines = FILES["title.ratings.tsv.gz"] + [b"tt0000001\t9.1\t2100000"]
    folder = write_files(tmp_path / "imdb", replace={"title.ratings.tsv.gz": gz(lines)})
    report = run_import(db_url, str(folder), ImportOptions(), echo=lambda _: None)
    rating = db.execute(
        "SELECT average_rating::float, num_votes FROM catalog.rating WHERE title_id = 1"
    ).fetchone()
    assert rating == (9.1, 2100000)
    rejects = db.execute(
        "SELECT line_no, reason FROM ops.import_reject WHERE run_id = %s"
        " AND file_name = 'title.ratings.tsv.gz' AND reason LIKE 'duplicate%%'",
        (report.run_id,),
    ).fetchall()
    assert rejects == [(2, f"duplicate key: superseded by line {len(lines)}")]
    f = report.files["title.ratings.tsv.gz"]
    assert (f.read, f.rejected) == (len(lines) - 1, 2)  # the duplicate and the 11.0 rating
    assert f.stored == f.read - f.rejected

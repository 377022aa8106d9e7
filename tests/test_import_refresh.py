"""The incremental import: day 1 imported, day 2 applied as a refresh, equals a fresh full import
of day 2 — every catalogue table, row by row, and every materialized view over it."""

from __future__ import annotations

import psycopg
import pytest

from database.catalog_refresh import materialized_views, parents_first
from database.imdb_import import ImportOptions, run_import
from harness.imdb_generator import Generator
from harness.imdb_next_day import next_day
from tests.imdb_fixture import write_files

LOOKUPS = {"title_type_id": "title_type", "genre_id": "genre", "category_id": "category"}
LOOKUPS["profession_id"] = "profession"


def imported(url: str, folder, **options):
    return run_import(url, str(folder), ImportOptions(**options), echo=lambda _: None)


def table_rows(conn: psycopg.Connection, table: str) -> list[tuple]:
    """Every row, lookup ids replaced by their names (a lookup id depends on the names the
    database saw first, by design: database/catalog_build.py), sorted; without the time of the
    import (key_figures.imported_at), which differs between the two databases by nature."""
    columns = [
        r[0]
        for r in conn.execute(
            """SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0
               AND NOT attisdropped AND attname <> 'imported_at' ORDER BY attnum""",
            (table,),
        )
    ]
    shown = [
        f"(SELECT name FROM catalog.{LOOKUPS[c]} l WHERE l.{c} = t.{c})"
        if c in LOOKUPS and not table.endswith(f".{LOOKUPS[c]}")
        else f"t.{c}::text"
        for c in columns
        if not (table.startswith("catalog.") and table.endswith(f".{LOOKUPS.get(c, '-')}"))
    ]
    rows = conn.execute(f"SELECT {', '.join(shown)} FROM {table} t").fetchall()
    return sorted(rows, key=repr)


def snapshot(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        tables = [f"catalog.{t}" for t in parents_first(conn)]
        views = [name for name, _ in materialized_views(conn)]
        return {name: table_rows(conn, name) for name in tables + views}


@pytest.fixture
def days(tmp_path):
    """Two days of a generated dump (20,000 rows) and two of the hand-made one with its traps."""
    Generator(20_000, seed=3).write(tmp_path / "gen1")
    changed = next_day(tmp_path / "gen1", tmp_path / "gen2", rate=0.05, seed=1)
    write_files(tmp_path / "fix1")
    next_day(tmp_path / "fix1", tmp_path / "fix2", rate=0.5, seed=2)
    return tmp_path, changed


@pytest.mark.parametrize("dump", ["gen", "fix"])
def test_a_refresh_equals_a_full_import_table_by_table(days, dump, db_url, other_db_url):
    folder, changed = days
    assert changed["new titles"] > 0 and changed["removed titles"] > 0
    assert imported(db_url, folder / f"{dump}1").mode == "rebuild"
    report = imported(db_url, folder / f"{dump}2")
    assert (report.mode, report.status) == ("refresh", "succeeded")
    full = imported(other_db_url, folder / f"{dump}2")
    assert full.mode == "rebuild"
    assert {n: (f.read, f.stored, f.rejected) for n, f in report.files.items()} == {
        n: (f.read, f.stored, f.rejected) for n, f in full.files.items()
    }
    refreshed, rebuilt = snapshot(db_url), snapshot(other_db_url)
    assert refreshed.keys() == rebuilt.keys()
    differ = [name for name in refreshed if refreshed[name] != rebuilt[name]]
    assert differ == []
    # and the refresh did change something: on the generated dump in each kind of way
    counts = report.changes
    assert counts["title"]["inserted"] > 0 and counts["principal"]["inserted"] > 0
    if dump == "gen":
        assert counts["title"]["updated"] > 0 and counts["rating"]["updated"] > 0
        assert counts["aka"]["deleted"] > 0 and counts["person"]["updated"] > 0
    assert "(refresh)" in report.render() and "title " in report.render()


def test_full_forces_a_rebuild_and_unchanged_files_do_nothing(days, db_url):
    folder, _ = days
    imported(db_url, folder / "fix1")
    assert imported(db_url, folder / "fix1").status == "unchanged"
    again = imported(db_url, folder / "fix1", force=True)
    assert again.mode == "refresh" and all(
        not any(c.values()) for c in again.changes.values()
    )  # the same files: nothing to change
    assert imported(db_url, folder / "fix2", full=True).mode == "rebuild"
    # other options than the catalogue's (a subset of types): a rebuild, never a refresh
    assert imported(db_url, folder / "fix2", title_types=("movie",)).mode == "rebuild"


REFRESH_SCRIPT = """
import sys
from database.imdb_import import ImportOptions, run_import
run_import(sys.argv[1], sys.argv[2], ImportOptions(force=True), echo=lambda _: None)
"""


@pytest.mark.parametrize(
    "held",
    [
        # the build of catalog_next reads the lookups of the live catalogue
        "LOCK TABLE catalog.category IN ACCESS EXCLUSIVE MODE",
        # the apply: its UPDATE of catalog.rating waits (ROW EXCLUSIVE against SHARE)
        "LOCK TABLE catalog.rating IN SHARE MODE",
        # the views: catalog applied, the plain refresh of a summary view waits for a reader
        "SELECT count(*) FROM analytics.key_figures",
    ],
    ids=["building", "applying", "refreshing views"],
)
def test_a_refresh_killed_at_any_step_leaves_the_previous_catalogue(days, db_url, held):
    import os
    import signal
    import subprocess
    import sys
    import time

    folder, _ = days
    imported(db_url, folder / "gen1")
    before = snapshot(db_url)
    app = "netfloox-refresh-under-test"
    locker = psycopg.connect(db_url)
    locker.execute(held)
    proc = subprocess.Popen(
        [sys.executable, "-c", REFRESH_SCRIPT, db_url, str(folder / "gen2")],
        env=dict(os.environ, PGAPPNAME=app),
    )
    try:
        with psycopg.connect(db_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 120
            while not watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s"
                " AND wait_event_type = 'Lock'",
                (app,),
            ).fetchone():
                assert proc.poll() is None and time.monotonic() < deadline, "never held"
                time.sleep(0.05)
            with psycopg.connect(db_url) as reader:  # readers meanwhile: the previous rows
                assert table_rows(reader, "catalog.rating") == before["catalog.rating"]
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            watcher.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (app,),
            )
    finally:
        locker.close()
        if proc.poll() is None:
            proc.kill()
    assert snapshot(db_url) == before
    report = imported(db_url, folder / "gen2")  # the next run cleans up and succeeds
    assert (report.mode, report.status) == ("refresh", "succeeded")

"""The heavy analytics views are built on the new catalogue before the swap, beside the live
ones (database/derived_build.py)."""

from __future__ import annotations

import re

import psycopg
import pytest

from database import derived_build
from database.derived_build import NEXT, PREBUILT, for_next_catalogue, prebuilt_files
from database.imdb_import import ImportOptions, run_import
from tests.imdb_fixture import write_files


def _import(db_url, folder, **options):
    return run_import(
        db_url, str(folder), ImportOptions(force=True, full=True, **options), echo=lambda _: None
    )


def test_prebuilt_files_only_create_relations_in_analytics_from_the_catalogue():
    """What lets them run on catalog_next: a file that created a function or an object in
    another schema would be built in the wrong place (the swap only moves analytics_next's
    relations; the row functions they build from are made there first, then dropped with it)."""
    (functions,) = prebuilt_files((derived_build.ROW_FUNCTIONS,))
    assert not re.search(r"\b(catalog|analytics)\.", for_next_catalogue(functions.sql))
    for m in prebuilt_files():
        created = re.findall(
            r"^CREATE (?:UNIQUE )?(MATERIALIZED VIEW|VIEW|INDEX|TABLE) (\S+)(?:\s+ON (\S+))?",
            m.sql,
            re.M,
        )
        assert created, m.name
        for kind, name, table in created:
            assert (table if kind == "INDEX" else name).startswith("analytics."), (m.name, name)
        aimed = for_next_catalogue(m.sql)
        assert not re.search(r"\b(catalog|analytics)\.", aimed), m.name
        assert "pg_catalog." not in m.sql or "pg_catalog." in aimed


def test_an_import_moves_the_prebuilt_views_in_with_their_grants(db, db_url, tmp_path):
    report = _import(db_url, write_files(tmp_path / "imdb"))
    assert {f"prebuilt:{name.removesuffix('.sql')}" for name in PREBUILT} <= set(report.phases)
    assert not db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (NEXT,)).fetchone()
    views = [
        r[0]
        for r in db.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'analytics'::regnamespace"
            " AND relkind IN ('m', 'v', 'r') ORDER BY 1"
        )
    ]
    assert {"title_search", "person_search", "title_facts", "title_facts_by_genre"} <= set(views)
    (titles,) = db.execute(
        "SELECT count(*) FROM catalog.title t JOIN catalog.title_type tt USING (title_type_id)"
        " WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode'"
    ).fetchone()
    assert db.execute("SELECT count(*) FROM analytics.title_search").fetchone()[0] == titles
    db.execute("SET ROLE netfloox_app")
    for view in views:  # the app's role reads every one of them, as before the move
        db.execute(f"SELECT count(*) FROM analytics.{view}").fetchone()
    db.execute("RESET ROLE")


def test_readers_are_not_held_while_the_views_are_prebuilt(db, db_url, tmp_path, monkeypatch):
    """While the new views are built, the live catalogue and views answer at once: a reader with
    a 100 ms lock timeout reads them in the middle of the prebuild (and the views it built
    are there, in analytics_next)."""
    _import(db_url, write_files(tmp_path / "first"))
    seen = []
    real = derived_build.prebuild

    def prebuild_then_read(url, settings):
        took = real(url, settings)
        with psycopg.connect(db_url, autocommit=True) as reader:
            reader.execute("SET lock_timeout = '100ms'")
            seen.append(reader.execute("SELECT count(*) FROM analytics.title_search").fetchone())
            seen.append(reader.execute(f"SELECT count(*) FROM {NEXT}.title_search").fetchone())
            seen.append(reader.execute("SELECT count(*) FROM catalog.title").fetchone())
        return took

    monkeypatch.setattr("database.imdb_import.prebuild", prebuild_then_read)
    _import(db_url, write_files(tmp_path / "second"))
    assert len(seen) == 3 and all(n[0] > 0 for n in seen)


def test_a_failed_prebuild_keeps_the_live_catalogue_and_leaves_nothing(
    db, db_url, tmp_path, monkeypatch
):
    _import(db_url, write_files(tmp_path / "first"))
    before = db.execute("SELECT count(*) FROM analytics.title_search").fetchone()
    monkeypatch.setattr(derived_build, "for_next_catalogue", lambda sql: sql + "\nSELECT 1/0;")
    with pytest.raises(RuntimeError, match="on the new catalogue failed"):
        _import(db_url, write_files(tmp_path / "second"))
    assert db.execute("SELECT count(*) FROM analytics.title_search").fetchone() == before
    for schema in (NEXT, "catalog_next"):
        assert not db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()


def test_autovacuum_waits_for_the_swap_then_works_on_the_live_catalogue(
    db, db_url, tmp_path, monkeypatch
):
    """Off on catalog_next while the views are prebuilt (an autovacuum there held the swap's
    locks off), back on once the catalogue is live."""
    seen = []
    real = derived_build.prebuild

    def prebuild_and_look(url, settings):
        with psycopg.connect(db_url, autocommit=True) as c:
            seen.extend(
                c.execute(
                    "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname = 'catalog_next'"
                    " AND c.relkind = 'r'"
                ).fetchall()
            )
        return real(url, settings)

    monkeypatch.setattr("database.imdb_import.prebuild", prebuild_and_look)
    _import(db_url, write_files(tmp_path / "imdb"))
    assert seen and all(r[0] == ["autovacuum_enabled=false"] for r in seen)
    live = db.execute(
        "SELECT count(*) FILTER (WHERE c.reloptions IS NOT NULL), count(*) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'catalog' AND c.relkind = 'r'"
    ).fetchone()
    assert live[0] == 0 and live[1] > 10

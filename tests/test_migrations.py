"""Migrations: applied once, recorded, safe to re-run, and the API on the search_path."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from database import migrate as migrations
from database.backup import tool
from database.server import create_database


def test_every_migration_is_recorded(db):
    versioned, repeatable = migrations.discover()
    recorded = {r[0] for r in db.execute("SELECT filename FROM ops.schema_migration")}
    assert {m.name for m in versioned + repeatable} <= recorded


def test_rerun_applies_nothing_and_keeps_data(db, db_url):
    db.execute("INSERT INTO catalog.genre VALUES (1, 'Drama')")
    assert migrations.migrate(db_url) == []
    assert db.execute("SELECT name FROM catalog.genre").fetchall() == [("Drama",)]


def test_layered_schemas_and_extensions_exist(db):
    schemas = {r[0] for r in db.execute("SELECT nspname FROM pg_namespace")}
    assert {"staging", "catalog", "analytics", "ml", "api", "ops"} <= schemas
    extensions = {r[0] for r in db.execute("SELECT extname FROM pg_extension")}
    assert {"vector", "pg_trgm", "unaccent"} <= extensions


def test_api_schema_is_on_the_default_search_path(db_url):
    with psycopg.connect(db_url) as conn:
        path = conn.execute("SHOW search_path").fetchone()[0]
    assert "api" in path


def test_edited_applied_migration_is_refused(db_url, tmp_path):
    for m in migrations.discover()[0]:
        (tmp_path / m.name).write_text(m.sql)
    first = sorted(tmp_path.glob("V*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        migrations.migrate(db_url, tmp_path)


def _matview_oid(conn: psycopg.Connection, name: str) -> int:
    return conn.execute("SELECT %s::regclass::oid", (name,)).fetchone()[0]


def test_a_changed_repeatable_reapplies_it_and_the_files_after_it_only(db, db_url):
    """Changing an API file does not rebuild the analytics views before it (at the full dump's
    size tens of minutes behind a lock on the whole catalogue)."""
    _, repeatable = migrations.discover()
    names = [m.name for m in repeatable]
    changed = "R__41_api_recommend.sql"
    search = _matview_oid(db, "analytics.title_search")
    db.execute(
        "UPDATE ops.schema_migration SET checksum = 'edited' WHERE filename = %s", (changed,)
    )
    db.commit()
    assert migrations.migrate(db_url) == names[names.index(changed) :]
    assert _matview_oid(db, "analytics.title_search") == search  # not re-created
    with pytest.raises(psycopg.errors.NoDataFound, match="unknown title"):  # re-created, runs
        db.execute("SELECT * FROM api.recommend('tt0133093', 5)")
    db.rollback()
    assert migrations.migrate(db_url) == []


def _with_a_new_versioned_file(folder: Path, name: str, sql: str) -> list[str]:
    """The project's migrations copied into ``folder`` with one more versioned file; returns the
    names of the repeatable ones."""
    versioned, repeatable = migrations.discover()
    for m in versioned + repeatable:
        (folder / m.name).write_text(m.sql)
    (folder / name).write_text(sql)
    return [m.name for m in repeatable]


def test_a_versioned_file_that_drops_a_view_reapplies_every_repeatable(db, db_url, tmp_path):
    repeatable = _with_a_new_versioned_file(
        tmp_path, "V999__drop_a_view.sql", "DROP TABLE analytics.title_facts CASCADE;"
    )
    search = _matview_oid(db, "analytics.title_search")
    db.commit()
    assert migrations.migrate(db_url, tmp_path) == ["V999__drop_a_view.sql", *repeatable]
    assert db.execute("SELECT count(*) FROM analytics.title_facts").fetchone() == (0,)
    assert _matview_oid(db, "analytics.title_search") != search  # re-created


def test_a_versioned_file_that_drops_no_view_reapplies_nothing(db, db_url, tmp_path):
    _with_a_new_versioned_file(
        tmp_path, "V999__an_index.sql", "CREATE INDEX birth_year ON catalog.person (birth_year);"
    )
    assert migrations.migrate(db_url, tmp_path) == ["V999__an_index.sql"]


def test_badly_named_file_is_refused(tmp_path):
    (tmp_path / "create_things.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="create_things.sql"):
        migrations.discover(tmp_path)


LEGACY = Path(__file__).parent / "fixtures" / "migrations_v023"


def schema_dump(url: str) -> str:
    """``pg_dump --schema-only`` without its comments and settings lines (they name the dump)."""
    out = subprocess.run(
        [tool("pg_dump"), "--schema-only", "--no-owner", "--dbname", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "\n".join(
        line
        for line in out.splitlines()
        if not line.startswith(("--", "\\restrict", "\\unrestrict"))
    )


@pytest.fixture
def empty_database(pg_server_url):
    """A factory of empty databases (dropped afterwards)."""
    names = []

    def create() -> str:
        name = f"netfloox_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            create_database(admin, name)
        names.append(name)
        return make_conninfo(pg_server_url, dbname=name)

    yield create
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_database_of_the_squashed_migrations_gets_the_schema_of_a_fresh_install(empty_database):
    fresh, upgraded = empty_database(), empty_database()
    migrations.migrate(fresh)
    migrations.migrate(upgraded, LEGACY)  # as every database before the squash
    applied = migrations.migrate(upgraded)
    baseline = [m.name for m in migrations.discover()[0] if int(m.name[1:4]) in migrations.BASELINE]
    assert applied[:6] == baseline  # recorded, not run; the versions after it run as usual
    expected = schema_dump(fresh)
    assert "CREATE TABLE analytics.title_search" in expected
    assert "GRANT SELECT ON TABLE analytics.title_search TO netfloox_bi" in expected
    assert schema_dump(upgraded) == expected
    with psycopg.connect(upgraded) as conn:
        recorded = {r[0] for r in conn.execute("SELECT filename FROM ops.schema_migration")}
    versioned, repeatable = migrations.discover()
    assert recorded == {m.name for m in versioned + repeatable}
    assert migrations.migrate(upgraded) == []


def test_a_database_that_ran_part_of_the_squashed_migrations_is_refused(empty_database, tmp_path):
    for path in sorted(LEGACY.glob("V0*.sql"))[:9]:
        (tmp_path / path.name).write_text(path.read_text())
    partial = empty_database()
    migrations.migrate(partial, tmp_path)
    with pytest.raises(RuntimeError, match="only part of the migrations squashed.*V010"):
        migrations.migrate(partial)

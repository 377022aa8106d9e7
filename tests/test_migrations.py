"""Migrations: applied once, recorded, safe to re-run, and the API on the search_path."""

from __future__ import annotations

import psycopg
import pytest

from database import migrate as migrations


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


def test_badly_named_file_is_refused(tmp_path):
    (tmp_path / "create_things.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="create_things.sql"):
        migrations.discover(tmp_path)

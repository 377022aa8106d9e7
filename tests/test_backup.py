"""Backups: a catalogue with its models and client log round-trips with the same answers."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from database.backup import BackupError, backup, restore
from database.server import create_database
from ml.embeddings import EmbeddingParams, train
from ml.popularity import train as train_popularity
from tests.conftest import with_dbname
from tests.test_ratings import co_likes, write_log
from tests.test_recommend import build_catalogue

ANSWERS = [
    "SELECT tconst, round(score::numeric, 6), reason FROM recommend('tt0000005', 5)",
    "SELECT tconst FROM recommend_for_client(21, 5)",
    "SELECT round(predicted_rating::numeric, 6), round(low::numeric, 6) FROM"
    " predict_rating(genres => '{Drama}', runtime_minutes => 100, directors => '{nm0000001}')",
    "SELECT count(*) FROM analytics.title_search",
]


def answers(url: str) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        return [conn.execute(q).fetchall() for q in ANSWERS]


def test_a_backup_restores_into_an_empty_database_with_the_same_answers(
    db, db_url, pg_server_url, tmp_path
):
    from database.ratings_import import run_ratings_import

    build_catalogue(db)
    train_popularity(db)
    run_ratings_import(db_url, write_log(tmp_path / "log", co_likes()), echo=lambda _: None)
    train(db, EmbeddingParams())
    expected = answers(db_url)
    file = tmp_path / "netfloox.dump"
    assert backup(db_url, file) > 0
    name = f"netfloox_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        create_database(admin, name)
    target = with_dbname(pg_server_url, name)
    try:
        restore(target, file)
        assert answers(target) == expected
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_bad_backup_file_is_a_clear_error_and_changes_nothing(db, db_url, tmp_path):
    build_catalogue(db)
    before = db.execute("SELECT count(*) FROM catalog.title").fetchone()
    with pytest.raises(BackupError, match="no such backup file"):
        restore(db_url, tmp_path / "missing.dump")
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP" + b"\x00" * 100)
    with pytest.raises(BackupError, match="pg_restore failed"):
        restore(db_url, junk)
    assert db.execute("SELECT count(*) FROM catalog.title").fetchone() == before

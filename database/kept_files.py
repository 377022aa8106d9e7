"""The files a database's catalogue was built from, kept for the next import to compare with.

An incremental import (database/catalog_delta.py) reads what changed between the new files and
the previous ones (database/file_diff.py), so after each successful import the importer copies
its files into ``$NETFLOOX_IMPORTS_DIR/<server id>-<database>/`` (the gzip files as they came:
about 2 GB for IMDb's full dump), with a manifest of their sha256. The manifest is removed before
the copies change and written after them: a copy cut short has none, and is not used. It is used
only while its digests are those ``ops.catalog_source`` records for the live catalogue.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg

from database import config
from database.download import sha256

MANIFEST = "manifest.json"


def folder(conn: psycopg.Connection) -> Path:
    """This database's folder (a server's system identifier, then the database name)."""
    server, name = conn.execute(
        "SELECT system_identifier, current_database() FROM pg_control_system()"
    ).fetchone()
    return config.imports_dir() / f"{server}-{name}"


def catalogue_digests(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT file_name, sha256 FROM ops.catalog_source").fetchall())


def kept(conn: psycopg.Connection) -> dict[str, Path] | None:
    """The kept copy of each file the live catalogue was built from, or None if any is missing
    or is not the one recorded (its sha256 checked: about 2 s a GB)."""
    where = folder(conn)
    digests = catalogue_digests(conn)
    try:
        manifest = json.loads((where / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not digests or manifest != digests:
        return None
    paths = {name: where / name for name in digests}
    if not all(p.is_file() and sha256(p) == digests[name] for name, p in paths.items()):
        return None  # changed since it was kept: comparing with it could miss a change
    return paths


def keep(conn: psycopg.Connection, paths: dict[str, Path | None], digests: dict[str, str]) -> None:
    """Copy the files just imported (manifest last: a copy cut short is never used)."""
    where = folder(conn)
    where.mkdir(parents=True, exist_ok=True)
    (where / MANIFEST).unlink(missing_ok=True)
    for old in where.iterdir():
        if old.name not in digests:
            old.unlink()
    for name, path in paths.items():
        if path is not None:
            shutil.copyfile(path, where / name)
    (where / MANIFEST).write_text(json.dumps(digests, indent=1, sort_keys=True))


def forget(conn: psycopg.Connection) -> None:
    """Remove this database's copies (e.g. with the database itself)."""
    shutil.rmtree(folder(conn), ignore_errors=True)

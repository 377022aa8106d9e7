"""The files a database's catalogue was built from, kept for the next import to compare with.

An incremental import (database/catalog_delta.py) reads what changed between the new files and
the previous ones (database/file_diff.py), so while each import runs the importer copies its
files beside the kept ones (``Copy``) and, once the import has succeeded, moves them into
``$NETFLOOX_IMPORTS_DIR/<server id>-<database>/`` (the gzip files as they came: about 2 GB for
IMDb's full dump), with a manifest of their sha256. The manifest is removed before the copies
change and written after them: a copy cut short has none, and is not used. It is used only
while its digests are those ``ops.catalog_source`` records for the live catalogue.
"""

from __future__ import annotations

import json
import shutil
import threading
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


class Copy(threading.Thread):
    """The files being imported, copied into ``<folder>.next`` while the import runs: the copy
    (8.8 s for 2 GB after a full-size refresh) overlaps the database's work. ``keep`` moves it
    in once the import has succeeded; until then the previous copies stay as they were."""

    def __init__(self, target: Path, paths: dict[str, Path | None]):
        super().__init__(daemon=True)
        self.target, self.paths = target, paths
        self.error: OSError | None = None

    def run(self) -> None:
        try:
            shutil.rmtree(self.target, ignore_errors=True)  # a killed run's leftover
            self.target.mkdir(parents=True)
            for name, path in self.paths.items():
                if path is not None:
                    shutil.copyfile(path, self.target / name)
        except OSError as exc:
            self.error = exc


def _next(where: Path) -> Path:
    """Where a running import copies its files, beside the kept ones."""
    return where.with_name(where.name + ".next")


def start_copy(conn: psycopg.Connection, paths: dict[str, Path | None]) -> Copy:
    copy = Copy(_next(folder(conn)), paths)
    copy.start()
    return copy


def keep(conn: psycopg.Connection, copy: Copy, digests: dict[str, str]) -> None:
    """Make the finished copy this database's kept files (manifest last: a copy cut short is
    never used); raises the copy's error, if it had one."""
    copy.join()
    if copy.error:
        raise copy.error
    where = folder(conn)
    (where / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(where, ignore_errors=True)
    copy.target.rename(where)
    (where / MANIFEST).write_text(json.dumps(digests, indent=1, sort_keys=True))


def discard(copy: Copy) -> None:
    """A failed import's copy (the previous copies stay the kept ones)."""
    copy.join()
    shutil.rmtree(copy.target, ignore_errors=True)


def forget(conn: psycopg.Connection) -> None:
    """Remove this database's copies (e.g. with the database itself)."""
    where = folder(conn)
    shutil.rmtree(where, ignore_errors=True)
    shutil.rmtree(_next(where), ignore_errors=True)

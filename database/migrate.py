"""A migration runner small enough to read in a minute.

``migrations/`` holds two kinds of plain SQL files:

* ``V###__name.sql`` — versioned: applied once, in order, each in its own transaction, recorded with
  its checksum in ``ops.schema_migration``. Editing an applied file is an error (add a new one).
* ``R__##_name.sql`` — repeatable: views, materialized views and functions that read the catalogue,
  written idempotently (``DROP ... IF EXISTS`` / ``CREATE OR REPLACE``), each reading only what
  the files before it define. When one of them changed, it and every file after it are re-applied
  in name order in one transaction (``stale_repeatables``): the files before it still stand, so
  changing an API function does not rebuild the analytics views (tens of minutes at the full
  dump's size). A versioned file that dropped one of their objects (``CASCADE``) re-applies them
  all. The importer re-applies them in the same
  transaction that swaps in a freshly imported catalogue, so they always point at the live tables
  (the heavy analytics files it builds on the new catalogue just before: database/derived_build.py).

``squashed.txt`` lists versioned files that were folded into V100-V105 (their history squashed:
one definition per object). A database that ran all of them is recorded as having V100-V105
instead, without running anything (``baseline``): both paths end in identical schemas
(tests/test_migrations.py compares ``pg_dump --schema-only`` of the two).

Concurrent runs are serialised by an advisory lock.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from database import config

LOCK_KEY = 0x666C6F6F  # "floo"
VERSIONED = re.compile(r"^V(\d{3})__[a-z0-9_]+\.sql$")
REPEATABLE = re.compile(r"^R__\d{2}_[a-z0-9_]+\.sql$")

BOOKKEEPING = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.schema_migration (
    filename   text PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('versioned', 'repeatable')),
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


SQUASHED_FILE = "squashed.txt"
BASELINE = range(100, 106)  # V100-V105: the squashed history


@dataclass(frozen=True)
class Migration:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def kind(self) -> str:
        return "versioned" if self.name.startswith("V") else "repeatable"

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = config.MIGRATIONS_DIR) -> tuple[list[Migration], list[Migration]]:
    """Versioned and repeatable migrations in apply order; any other .sql file is an error."""
    versioned, repeatable = [], []
    for path in sorted(directory.glob("*.sql")):
        if VERSIONED.match(path.name):
            versioned.append(Migration(path))
        elif REPEATABLE.match(path.name):
            repeatable.append(Migration(path))
        else:
            raise ValueError(f"{path}: not a migration name (V###__name.sql or R__##_name.sql)")
    numbers = [m.name[1:4] for m in versioned]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"{directory}: two versioned migrations share a number: {numbers}")
    return versioned, repeatable


def squashed(directory: Path = config.MIGRATIONS_DIR) -> dict[str, str]:
    """{filename: sha256} of the migrations that V100-V105 replace (none without the file)."""
    path = directory / SQUASHED_FILE
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split() for line in lines if line.strip() and not line.startswith("#"))


def baseline(
    conn: psycopg.Connection, applied: dict[str, str], versioned: list[Migration], old: dict
) -> list[str]:
    """Record V100-V105 as applied on a database that ran the migrations they replace; returns
    the names recorded. A database that ran only some of them is refused: it must first be
    brought to the last of them by the release that still had them."""
    ran = {name for name in old if name in applied}
    if not ran:
        return []
    missing = sorted(set(old) - ran)
    changed = sorted(name for name in ran if applied[name] != old[name])
    if missing or changed:
        raise RuntimeError(
            "this database ran only part of the migrations squashed into V100-V105 "
            f"(missing: {', '.join(missing) or '-'}; changed: {', '.join(changed) or '-'}): "
            "migrate it with the release before the squash first (git checkout 85d21e8)"
        )
    recorded = [m for m in versioned if int(m.name[1:4]) in BASELINE]
    with conn.transaction():
        conn.execute("DELETE FROM ops.schema_migration WHERE filename = ANY(%s)", (sorted(ran),))
        for m in recorded:
            _record(conn, m)
    return [m.name for m in recorded]


def _applied(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT filename, checksum FROM ops.schema_migration").fetchall())


def _record(conn: psycopg.Connection, m: Migration) -> None:
    conn.execute(
        """INSERT INTO ops.schema_migration (filename, kind, checksum) VALUES (%s, %s, %s)
           ON CONFLICT (filename) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()""",
        (m.name, m.kind, m.checksum),
    )


# Every relation that a catalogue swap or the repeatable migrations drop or re-create: the
# catalogue, the analytics views, the views of ml and api; with their kind and owner.
SWAP_RELATIONS = """
SELECT format('%I.%I', n.nspname, c.relname), c.relkind = 'm',
       format('%I', pg_get_userbyid(c.relowner))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname IN ('catalog', 'analytics') AND c.relkind IN ('r', 'm', 'v', 'p'))
   OR (n.nspname IN ('ml', 'api') AND c.relkind IN ('v', 'm'))
ORDER BY 1"""


def lock_views(conn: psycopg.Connection, attempts: int = 3000) -> None:
    """Take every lock that re-creating the views (or swapping the catalogue) needs, in one go or
    none, before changing anything.

    Readers take their locks one relation at a time, in their own order (a query over
    title_search then title_facts, a function over catalog.title then ml.title_embedding). A swap
    that locked relation by relation as it dropped them deadlocked with them (measured:
    make bench-load). Here the whole set is requested at once with a short lock_timeout, inside a
    savepoint: on timeout every lock taken so far is released, readers go on, and the swap tries
    again. LOCK TABLE refuses materialized views: ALTER ... OWNER TO their own owner (a no-op)
    takes the same ACCESS EXCLUSIVE lock.
    """
    relations = conn.execute(SWAP_RELATIONS).fetchall()
    plain = [name for name, matview, _ in relations if not matview]
    for _ in range(attempts):
        try:
            with conn.transaction():  # a savepoint: a timeout releases what it took
                conn.execute("SET LOCAL lock_timeout = '200ms'")
                if plain:
                    conn.execute(f"LOCK TABLE {', '.join(plain)} IN ACCESS EXCLUSIVE MODE")
                for name, matview, owner in relations:
                    if matview:
                        conn.execute(f"ALTER MATERIALIZED VIEW {name} OWNER TO {owner}")
            conn.execute("SET LOCAL lock_timeout TO DEFAULT")
            return
        except psycopg.errors.LockNotAvailable:
            time.sleep(random.uniform(0.05, 0.3))
    raise RuntimeError("could not lock the catalogue and its views: readers never let go")


def apply_repeatables(
    conn: psycopg.Connection,
    repeatable: list[Migration] | None = None,
    built: tuple[str, ...] = (),
) -> dict[str, float]:
    """Re-create every view and function, in the caller's transaction (locks first: lock_views);
    returns the seconds each file it ran took. ``built``: files whose objects the caller has
    already created from the current text (an import's prebuilt views): recorded, not run."""
    if repeatable is None:
        repeatable = discover()[1]
    lock_views(conn)
    seconds = {}
    for m in repeatable:
        if m.name in built:
            _record(conn, m)
            continue
        start = time.perf_counter()
        try:
            conn.execute(m.sql)
        except psycopg.Error as exc:
            raise RuntimeError(f"migration {m.name} failed: {exc}") from exc
        _record(conn, m)
        seconds[m.name] = round(time.perf_counter() - start, 3)
    return seconds


# The objects the repeatable files create: views, materialized views and functions above the
# catalogue. A versioned migration that drops one of them (CASCADE) leaves its file to re-apply.
DERIVED_OBJECTS = """
SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname IN ('analytics', 'ml', 'api') AND c.relkind IN ('v', 'm'))
   OR (n.nspname = 'analytics' AND c.relkind = 'r')  -- tables of the repeatable files
UNION ALL
SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname IN ('analytics', 'ml', 'api')"""


def derived_objects(conn: psycopg.Connection) -> set[int]:
    return {r[0] for r in conn.execute(DERIVED_OBJECTS)}


def stale_repeatables(
    repeatable: list[Migration], applied: dict[str, str], dropped: bool
) -> list[Migration]:
    """The repeatable files to re-apply: from the first one that is new or changed to the last
    (a file reads only what the files before it define, so those stand), or all of them when a
    versioned migration dropped some of their objects."""
    if dropped:
        return repeatable
    changed = [i for i, m in enumerate(repeatable) if applied.get(m.name) != m.checksum]
    return repeatable[changed[0] :] if changed else []


def configure_database(conn: psycopg.Connection) -> None:
    """Per-database settings (not copied by CREATE DATABASE ... TEMPLATE): the API on the path."""
    (stmt,) = conn.execute(
        "SELECT format('ALTER DATABASE %I SET search_path = \"$user\", public, api',"
        " current_database())"
    ).fetchone()
    conn.execute(stmt)


def migrate(url: str, directory: Path = config.MIGRATIONS_DIR) -> list[str]:
    """Apply what is pending; returns the names of the files applied."""
    versioned, repeatable = discover(directory)
    done: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(BOOKKEEPING)
            applied = _applied(conn)
            recorded = baseline(conn, applied, versioned, squashed(directory))
            if recorded:
                applied = _applied(conn)
                done.extend(recorded)
            before = derived_objects(conn)
            for m in versioned:
                if m.name in applied:
                    if applied[m.name] != m.checksum:
                        raise RuntimeError(
                            f"migration {m.name} was changed after it was applied; "
                            "add a new versioned migration instead"
                        )
                    continue
                with conn.transaction():
                    try:
                        conn.execute(m.sql)
                    except psycopg.Error as exc:
                        raise RuntimeError(f"migration {m.name} failed: {exc}") from exc
                    _record(conn, m)
                done.append(m.name)
            stale = stale_repeatables(repeatable, applied, bool(before - derived_objects(conn)))
            if stale:
                with conn.transaction():
                    apply_repeatables(conn, stale)
                    conn.execute(  # files renamed or removed since: no longer part of the history
                        "DELETE FROM ops.schema_migration"
                        " WHERE kind = 'repeatable' AND NOT filename = ANY(%s)",
                        ([m.name for m in repeatable],),
                    )
                done.extend(m.name for m in stale)
            configure_database(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return done

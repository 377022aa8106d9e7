"""The incremental import: apply only what changed between ``catalog_next`` and ``catalog``.

``catalog_next`` is built from the new files by the same code as a full import
(database/catalog_build.py), so its rows are by construction those a full import would swap in.
Instead of the swap, one transaction makes ``catalog`` equal to it, table by table and keyed by
each table's primary key:

1. parents first (by their foreign keys): rows whose values changed are updated, new rows are
   inserted;
2. children first: rows absent from the new files are deleted;
3. the analytics tables follow the noted changes (database/analytics_upkeep.py: readers keep
   reading the previous rows meanwhile);

then the caller commits. Readers see the previous catalogue until that commit and the new one
after it, never a mix; the tables keep their identity (no view or function is re-created, no
reader waits on a schema lock). A run killed before the commit changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from database.catalog_build import catalog_tables


@dataclass
class TableChanges:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.deleted


def parents_first(conn: psycopg.Connection) -> list[str]:
    """The catalogue's tables, each after every table its foreign keys reference."""
    tables = catalog_tables(conn)
    edges = conn.execute(
        """SELECT c.relname, p.relname FROM pg_constraint k
           JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
           WHERE k.contype = 'f' AND k.connamespace = 'catalog'::regnamespace"""
    ).fetchall()
    parents = {t: {p for c, p in edges if c == t and p != t} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise RuntimeError(f"circular foreign keys among {set(tables) - set(ordered)}")
        ordered += ready
    return ordered


def key_and_columns(conn: psycopg.Connection, table: str) -> tuple[list[str], list[str]]:
    """(primary key columns, other stored columns) of catalog.<table>."""
    rows = conn.execute(
        """SELECT a.attname, a.attnum = ANY (i.indkey) FROM pg_attribute a
           JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
           WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attgenerated = '' ORDER BY a.attnum""",
        (f"catalog.{table}",),
    ).fetchall()
    return [n for n, key in rows if key], [n for n, key in rows if not key]


def _quoted(names: list[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{n}"' for n in names)


# The ids of the analytics rows a change can move (database/analytics_upkeep.py): every insert,
# update and delete below notes those of its rows in the temporary table ``touched`` (with a
# credit's ordering, which tells an added principal row from the others of its title, and its
# category, which a deleted row's role is).
NOTED = ("title_id", "person_id", "ordering", "category_id")
# Columns whose changes are also noted as differences in ``moved_<table>`` (its key, then these:
# new - old; an insert's old and a delete's new count as 0): when only a title's rating moved,
# came or went, the analytics move its people's vote and rating sums by that difference instead
# of re-computing them from all their credits.
DIFFERENCES = {"rating": ("average_rating", "num_votes")}


def start_noting(conn: psycopg.Connection) -> None:
    conn.execute(
        """CREATE TEMP TABLE touched (tab text, op text, title_id integer, person_id integer,
                                      ordering integer, category_id integer) ON COMMIT DROP"""
    )
    for table, columns in DIFFERENCES.items():
        key, _ = key_and_columns(conn, table)
        conn.execute(f"""CREATE TEMP TABLE moved_{table} ON COMMIT DROP AS
                         SELECT {_quoted(key + list(columns))} FROM catalog.{table} LIMIT 0""")


def noted(conn: psycopg.Connection, table: str, dml: str) -> int:
    """Run ``dml`` (an INSERT, UPDATE or DELETE of catalog.<table> aliased ``c``), noting the
    title and person ids of the rows it wrote (an update: their new values) and which it was,
    and an insert's or a delete's ``DIFFERENCES``; its row count."""
    key, other = key_and_columns(conn, table)
    if not set(key + other) & set(NOTED[:2]):  # a lookup table: no analytics row is keyed by it
        return conn.execute(dml).rowcount
    op = dml.split(None, 1)[0].lower()
    ids = [f"c.{c}" if c in key + other else "NULL::integer" for c in NOTED]
    returning = [f"{expr} AS noted_{c}" for c, expr in zip(NOTED, ids, strict=True)]
    also = ""
    if table in DIFFERENCES and op in ("insert", "delete"):
        sign = "-" if op == "delete" else ""
        moves = [f"c.{c} AS moved_{c}" for c in DIFFERENCES[table]]
        returning += [f"c.{k} AS key_{k}" for k in key] + moves
        also = f""", moved AS (INSERT INTO moved_{table} SELECT {
            ", ".join([f"key_{k}" for k in key] + [f"{sign}moved_{c}" for c in DIFFERENCES[table]])
        } FROM changed)"""
    return conn.execute(
        f"""WITH changed AS ({dml} RETURNING {", ".join(returning)}),
                 noted AS (INSERT INTO touched SELECT '{table}', '{op}',
                           {", ".join(f"noted_{c}" for c in NOTED)} FROM changed){also}
            SELECT count(*) FROM changed"""
    ).fetchone()[0]


def record_changes(conn: psycopg.Connection, run_id: int) -> tuple[int, int]:
    """Keep the ids of the titles this refresh wrote a row of (``touched``; with whether the
    title's own row or its rating was written) and of the people whose credits it wrote, in
    ``ops.title_change`` and ``ops.person_change``, for ``netfloox train --refresh``
    (ml/changes.py); how many of each."""
    titles = conn.execute(
        """INSERT INTO ops.title_change (run_id, title_id, facts)
           SELECT %s::bigint, title_id, bool_or(tab IN ('title', 'rating')) FROM touched
           WHERE title_id IS NOT NULL GROUP BY title_id""",
        (run_id,),
    ).rowcount
    people = conn.execute(
        """INSERT INTO ops.person_change (run_id, person_id)
           SELECT DISTINCT %s::bigint, person_id FROM touched
           WHERE person_id IS NOT NULL
             AND tab IN ('principal', 'title_director', 'title_writer')""",
        (run_id,),
    ).rowcount
    return titles, people


def upsert(conn: psycopg.Connection, table: str, changes: TableChanges) -> None:
    """catalog_next.<table>'s rows: those whose values differ updated in catalog, new ones
    inserted (ids noted: ``noted``)."""
    key, other = key_and_columns(conn, table)
    match = " AND ".join(f'n."{k}" = c."{k}"' for k in key)
    differ = f"({_quoted(other, 'c.')}) IS DISTINCT FROM ({_quoted(other, 'n.')})"
    if other:
        moved = [c for c in NOTED if c in other]  # an update can change them: note the old too
        if moved:
            conn.execute(
                f"""INSERT INTO touched SELECT '{table}', 'update', {
                    ", ".join(f"c.{c}" if c in key + other else "NULL" for c in NOTED)
                }
                    FROM catalog.{table} c JOIN catalog_next.{table} n ON {match}
                    WHERE {differ}"""
            )
        if table in DIFFERENCES:
            moves = ", ".join(f'n."{c}" - c."{c}"' for c in DIFFERENCES[table])
            conn.execute(
                f"""INSERT INTO moved_{table} SELECT {_quoted(key, "c.")}, {moves}
                    FROM catalog.{table} c JOIN catalog_next.{table} n ON {match}
                    WHERE {differ}"""
            )
        changes.updated = noted(
            conn,
            table,
            f"""UPDATE catalog.{table} c SET ({_quoted(other)}) = ROW({_quoted(other, "n.")})
                FROM catalog_next.{table} n WHERE {match} AND {differ}""",
        )
    every = key + other
    changes.inserted = noted(
        conn,
        table,
        f"""INSERT INTO catalog.{table} AS c ({_quoted(every)})
            SELECT {_quoted(every, "n.")} FROM catalog_next.{table} n
            WHERE NOT EXISTS (SELECT 1 FROM catalog.{table} c WHERE {match})""",
    )


def _delete(conn: psycopg.Connection, table: str, changes: TableChanges) -> None:
    key, _ = key_and_columns(conn, table)
    match = " AND ".join(f'n."{k}" = c."{k}"' for k in key)
    changes.deleted = noted(
        conn,
        table,
        f"""DELETE FROM catalog.{table} c
            WHERE NOT EXISTS (SELECT 1 FROM catalog_next.{table} n WHERE {match})""",
    )


def apply_changes(conn: psycopg.Connection) -> dict[str, TableChanges]:
    """Make every catalog table equal to its catalog_next twin, in the caller's transaction."""
    start_noting(conn)
    order = parents_first(conn)
    changes = {t: TableChanges() for t in order}
    for table in order:
        upsert(conn, table, changes[table])
    for table in reversed(order):
        _delete(conn, table, changes[table])
    return changes

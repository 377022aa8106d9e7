"""The incremental import from the changed lines only: apply them to the live catalogue.

The importer compares each new file with the one the catalogue was built from
(database/file_diff.py): the new file's changed lines are staged (and checked) as usual, the
keys of the lines gone are noted in ``staging.removed_line``. The build then runs its usual SQL
over those lines alone into ``catalog_next`` (database/catalog_build.py: ``build_changes``): the
rows they make, and placeholders for the ids they reference that neither they nor the live
catalogue hold. Each catalogue row comes from one line (and lists from their line), so one
transaction makes the catalogue what a full import of the new files would (``apply_delta``):

1. the lookups, titles and people of the changed lines are upserted (parents first);
2. in each other table, the rows of a changed or removed key that no new line brings back are
   deleted, and the new lines' rows upserted;
3. a title or person whose basics line is gone becomes a placeholder if a row still references
   it, else is deleted; a placeholder no row references any more is deleted; so is a lookup name
   no row uses.

For a subset of the title types (``subset``): the changed lines of kept titles only, the
people they credit now staged from their unchanged lines (database/imdb_import.py), people no kept
title credits deleted, a title removed taking its known-for entries and its series' episodes
(``_leave_subset``); a lookup name only while a kept row uses it.

Only where that equivalence holds: no vote floor (a title's votes move it in or out), no title
moving in or out of the kept types (its unchanged lines would be needed:
CatalogBuilder.check_titles_now_kept, ``_leave_subset``), no line rejected or repeated, before or
now (the last line of a repeated key wins, which needs every line). Otherwise the importer
refreshes from every line (database/catalog_refresh.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from database.catalog_build import LOOKUP_USES, UNUSED_LOOKUP, NotIncremental, catalog_tables
from database.catalog_refresh import (
    TableChanges,
    key_and_columns,
    noted,
    parents_first,
    start_noting,
    upsert,
)

# table: (file whose lines make its rows, the columns that key a line: owner id[, ordering])
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "title": ("title.basics.tsv.gz", ("title_id",)),
    "title_genre": ("title.basics.tsv.gz", ("title_id",)),
    "title_director": ("title.crew.tsv.gz", ("title_id",)),
    "title_writer": ("title.crew.tsv.gz", ("title_id",)),
    "rating": ("title.ratings.tsv.gz", ("title_id",)),
    "episode": ("title.episode.tsv.gz", ("title_id",)),
    "aka": ("title.akas.tsv.gz", ("title_id", "ordering")),
    "principal": ("title.principals.tsv.gz", ("title_id", "ordering")),
    "person": ("name.basics.tsv.gz", ("person_id",)),
    "person_profession": ("name.basics.tsv.gz", ("person_id",)),
    "known_for": ("name.basics.tsv.gz", ("person_id",)),
}

# staging table of each file: (file, its owner key column, its ordering column or NULL)
STAGED = (
    ("title.basics.tsv.gz", "title_basics", "title_key", "NULL"),
    ("title.crew.tsv.gz", "title_crew", "title_key", "NULL"),
    ("title.ratings.tsv.gz", "title_ratings", "title_key", "NULL"),
    ("title.episode.tsv.gz", "title_episode", "title_key", "NULL"),
    ("title.akas.tsv.gz", "title_akas", "title_key", "ordering"),
    ("title.principals.tsv.gz", "title_principals", "title_key", "ordering"),
    ("name.basics.tsv.gz", "name_basics", "person_key", "NULL"),
)

# what references a title or a person (a placeholder exists only while one of these does)
TITLE_REFERENCES = (
    ("rating", "title_id"),
    ("episode", "title_id"),
    ("episode", "series_title_id"),
    ("aka", "title_id"),
    ("principal", "title_id"),
    ("title_director", "title_id"),
    ("title_writer", "title_id"),
    ("known_for", "title_id"),
)
PERSON_REFERENCES = (("principal", "person_id"), ("title_director", "person_id"))
PERSON_REFERENCES += (("title_writer", "person_id"),)


def _scope(conn: psycopg.Connection) -> None:
    """scope(file_name, owner, ordering): the key of every changed or removed line."""
    staged = " UNION ".join(
        f"SELECT '{file}', {owner}, {ordering}::integer FROM staging.{table}"
        for file, table, owner, ordering in STAGED
    )
    conn.execute(f"""CREATE TEMP TABLE scope ON COMMIT DROP AS
                     SELECT file_name, owner, ordering FROM staging.removed_line
                     UNION {staged}""")
    conn.execute("CREATE INDEX ON scope (file_name, owner, ordering)")
    conn.execute("ANALYZE scope")


def _in_scope(table: str, alias: str = "c") -> str:
    """SQL condition: the row ``alias`` of catalog.<table> has the key of a changed line.

    A one-column key is looked up in an array of the changed owners, which the planner takes
    for a few index lookups: as a semi-join with ``scope`` it guessed a quarter to half of the
    table and read all of it (at 20 M rows, 0.3-0.8 s a statement, growing with the catalogue).
    Akas and principals (owner and ordering) keep the semi-join, which the planner drives from
    ``scope`` (the array there would be searched again for every one of its rows)."""
    file, key = SOURCES[table]
    if len(key) == 1:
        return f"{alias}.{key[0]} = ANY (ARRAY(SELECT owner FROM scope WHERE file_name = '{file}'))"
    return (
        f"EXISTS (SELECT 1 FROM scope s WHERE s.file_name = '{file}'"
        f" AND s.owner = {alias}.{key[0]} AND s.ordering = {alias}.{key[1]})"
    )


def _candidates(conn: psycopg.Connection) -> None:
    """Before any change: the titles, people and lookup names that may lose their last reference
    (every id the in-scope rows reference, and the owners of the changed lines)."""
    titles = ["SELECT owner FROM scope WHERE file_name <> 'name.basics.tsv.gz'"]
    titles += [  # the referenced titles that are not the owner of the referencing line
        f"SELECT c.{col} FROM catalog.{table} c WHERE {_in_scope(table)}"
        for table, col in (("episode", "series_title_id"), ("known_for", "title_id"))
    ]
    people = ["SELECT owner FROM scope WHERE file_name = 'name.basics.tsv.gz'"]
    people += [
        f"SELECT c.{col} FROM catalog.{table} c WHERE {_in_scope(table)}"
        for table, col in PERSON_REFERENCES
    ]
    conn.execute(f"CREATE TEMP TABLE candidate_title ON COMMIT DROP AS {' UNION '.join(titles)}")
    conn.execute(f"CREATE TEMP TABLE candidate_person ON COMMIT DROP AS {' UNION '.join(people)}")
    lookups = " UNION ALL ".join(
        f"SELECT '{lookup}' AS lookup, c.{key} AS id FROM catalog.{table} c"
        f" WHERE {_in_scope(table)}"
        for lookup, (key, table) in LOOKUP_USES.items()
    )
    conn.execute(f"CREATE TEMP TABLE candidate_lookup ON COMMIT DROP AS {lookups}")


def _delete_gone(conn: psycopg.Connection, table: str, changes: TableChanges) -> None:
    """Rows of changed or removed keys that no new line brings back."""
    key, _ = key_and_columns(conn, table)
    same = " AND ".join(f"n.{k} = c.{k}" for k in key)
    changes.deleted += noted(
        conn,
        table,
        f"""DELETE FROM catalog.{table} c WHERE {_in_scope(table)}
            AND NOT EXISTS (SELECT 1 FROM catalog_next.{table} n WHERE {same})""",
    )


def _referenced(kind: str, alias: str) -> str:
    refs = TITLE_REFERENCES if kind == "title" else PERSON_REFERENCES
    return " OR ".join(
        f"EXISTS (SELECT 1 FROM catalog.{t} r WHERE r.{col} = {alias}.{kind}_id)" for t, col in refs
    )


def _leave_subset(conn: psycopg.Connection, kind: str, changes: dict[str, TableChanges]) -> None:
    """A subset's refresh, before ``_settle`` deletes what it no longer keeps. Titles: those gone
    (their line removed, or of a type left out now) take with them the known-for entries and the
    episodes of their series that reference them; a row of theirs that no changed line removed
    means that lines of theirs remain in the files (their type changed): NotIncremental. People:
    those no credit references any more are gone, with their professions and known-for titles."""
    if kind == "title":
        for table, col in (("known_for", "title_id"), ("episode", "series_title_id")):
            changes[table].deleted += noted(
                conn,
                table,
                f"DELETE FROM catalog.{table} c WHERE c.{col} IN (SELECT id FROM gone_title)",
            )
        row = conn.execute(
            f"""SELECT c.tconst FROM catalog.title c WHERE c.title_id IN (SELECT id FROM gone_title)
                AND ({_referenced("title", "c")}) LIMIT 1"""
        ).fetchone()
        if row:
            raise NotIncremental(
                f"{row[0]} left the kept types, and the files still hold lines of it"
            )
        return
    conn.execute(f"""CREATE TEMP TABLE unreferenced ON COMMIT DROP AS
                     SELECT c.person_id AS id FROM catalog.person c
                     WHERE c.person_id IN (SELECT id FROM gone_person
                                           UNION SELECT * FROM candidate_person)
                       AND NOT ({_referenced("person", "c")})""")
    for table in ("person_profession", "known_for"):
        changes[table].deleted += noted(
            conn,
            table,
            f"DELETE FROM catalog.{table} c WHERE c.person_id IN (SELECT id FROM unreferenced)",
        )


def _settle(
    conn: psycopg.Connection, kind: str, prefix: str, changes: dict[str, TableChanges], subset: bool
) -> None:
    """Titles (or people) whose basics line is gone: a placeholder while a row references them,
    else deleted; placeholders no row references any more: deleted; for a subset, whatever it
    no longer keeps (``_leave_subset``). Leaves ``gone_<kind>``: the ids that had a line."""
    conn.execute(f"""CREATE TEMP TABLE gone_{kind} ON COMMIT DROP AS
                     SELECT c.{kind}_id AS id FROM catalog.{kind} c
                     WHERE NOT c.is_placeholder AND {_in_scope(kind)}
                       AND NOT EXISTS (SELECT 1 FROM catalog_next.{kind} n
                                       WHERE n.{kind}_id = c.{kind}_id)""")
    if subset:
        _leave_subset(conn, kind, changes)
    changes[kind].deleted += noted(
        conn,
        kind,
        f"""DELETE FROM catalog.{kind} c
            WHERE c.{kind}_id IN (SELECT id FROM gone_{kind} UNION SELECT * FROM candidate_{kind})
              AND ({"true" if subset and kind == "person" else "c.is_placeholder"}
                   OR c.{kind}_id IN (SELECT id FROM gone_{kind}))
              AND NOT ({_referenced(kind, "c")})""",
    )
    key, other = key_and_columns(conn, kind)
    columns = [
        c for c in key + other if c not in (f"{kind}_id", "tconst", "nconst", "is_placeholder")
    ]
    ident = "tconst" if kind == "title" else "nconst"
    number = f"c.{kind}_id"
    changes[kind].updated += noted(
        conn,
        kind,
        f"""UPDATE catalog.{kind} c SET {", ".join(f"{col} = DEFAULT" for col in columns)},
                   is_placeholder = true,
                   {ident} = '{prefix}' || lpad({number}::text, greatest(7, length({number}::text)),
                                                '0')
            WHERE c.{kind}_id IN (SELECT id FROM gone_{kind})""",
    )


def _drop_unused_lookups(conn: psycopg.Connection, changes: dict[str, TableChanges]) -> None:
    """The names a changed row used that no row uses any more (a name the changed rows still
    use is kept without a look)."""
    for lookup, (key, table) in LOOKUP_USES.items():
        which = f"SELECT id FROM candidate_lookup WHERE lookup = '{lookup}'"
        which += f" EXCEPT SELECT c.{key} FROM catalog.{table} c WHERE {_in_scope(table)}"
        changes[lookup].deleted += conn.execute(
            UNUSED_LOOKUP.format(schema="catalog", lookup=lookup, key=key, table=table, which=which)
        ).rowcount


def real_count(conn: psycopg.Connection, kind: str, subset: bool) -> int:
    """Titles (people) of the changed lines' keys that have a basics line (not placeholders);
    for a subset's people, all of them (a person whose line did not change goes when no kept
    title credits them any more)."""
    where = "true" if subset and kind == "person" else _in_scope(kind)
    return conn.execute(
        f"SELECT count(*) FROM catalog.{kind} c WHERE NOT c.is_placeholder AND {where}"
    ).fetchone()[0]


# a subset's crew lines stored: those of kept titles (in the changed lines, or among those removed)
CREW_KEPT = {
    "added": """SELECT count(*) FROM staging.title_crew s
                WHERE EXISTS (SELECT 1 FROM catalog.title t WHERE t.title_id = s.title_key)""",
    "removed": """SELECT count(*) FROM staging.removed_line s
                  WHERE s.file_name = 'title.crew.tsv.gz'
                    AND EXISTS (SELECT 1 FROM catalog.title t WHERE t.title_id = s.owner)""",
}


# Changed keys are this share of the catalogue's rows or fewer: every join to a catalogue table
# probes its index (see ``_probing_indexes``)
PROBE_SHARE = 0.05


@contextmanager
def _probing_indexes(conn: psycopg.Connection) -> Iterator[None]:
    """For a day's few changed lines, no hash or merge joins inside the block. The planner took
    a day's 12 k principals against the catalogue's 2.9 M (20 M rows) for a hash join reading
    every principal: 1.0-1.2 s for each of the three statements of an update that changed none,
    where index probes take milliseconds; its estimates of the big tables lag after a refresh
    and those of temp tables are guesses. Left to the planner when many lines changed (up to
    ``max_share`` of a file): there, reading the table once beats probing it for every changed
    key. Not for the analytics upkeep that follows the block: its joins of temp tables without
    indexes became nested loops over each other (a 20 M-row day's upkeep: 11 s -> 415 s)."""
    changed = conn.execute("SELECT count(*) FROM scope").fetchone()[0]
    rows = conn.execute(
        "SELECT sum(greatest(reltuples, 0)) FROM pg_class WHERE oid = ANY (%s::regclass[])",
        ([f"catalog.{t}" for t in SOURCES],),
    ).fetchone()[0]
    if changed <= PROBE_SHARE * float(rows or 0):
        conn.execute("SET LOCAL enable_hashjoin = off")
        conn.execute("SET LOCAL enable_mergejoin = off")
    yield
    conn.execute("RESET enable_hashjoin")
    conn.execute("RESET enable_mergejoin")


def apply_delta(
    conn: psycopg.Connection, subset: bool = False
) -> tuple[dict[str, TableChanges], dict[str, int]]:
    """Apply catalog_next (the changed lines' rows) and staging.removed_line to the catalogue,
    in the caller's transaction; ``subset``: the catalogue keeps some title types. Returns the
    changes per table and, per file, by how many rows its stored count moved (for the import
    report; a crew line is always stored, unfiltered; for a subset, the crew lines of the titles
    gone whose line did not change are not counted: see ``gone_title``). Joins probe indexes
    while it runs (``_probing_indexes``)."""
    start_noting(conn)
    _scope(conn)
    with _probing_indexes(conn):
        return _apply(conn, subset)


def _apply(
    conn: psycopg.Connection, subset: bool
) -> tuple[dict[str, TableChanges], dict[str, int]]:
    """``apply_delta``'s work once the changed keys are in ``scope``."""
    _candidates(conn)
    built = set(catalog_tables(conn, "catalog_next"))
    order = [t for t in parents_first(conn) if t in built]
    changes = {t: TableChanges() for t in order}
    before = {k: real_count(conn, k, subset) for k in ("title", "person")}
    crew_removed = conn.execute(CREW_KEPT["removed"]).fetchone()[0] if subset else 0
    parents = [t for t in order if t in LOOKUP_USES or t in ("title", "person")]
    for table in parents:
        upsert(conn, table, changes[table])
    for table in reversed(order):
        if table in SOURCES and table not in parents:
            _delete_gone(conn, table, changes[table])
    for table in order:
        if table not in parents:
            upsert(conn, table, changes[table])
    _settle(conn, "title", "tt", changes, subset)
    _settle(conn, "person", "nm", changes, subset)
    _drop_unused_lookups(conn, changes)
    moved = {
        SOURCES[t][0]: changes[t].inserted - changes[t].deleted
        for t in ("rating", "episode", "aka", "principal")
    }
    for kind in ("title", "person"):
        moved[SOURCES[kind][0]] = real_count(conn, kind, subset) - before[kind]
    if subset:
        moved["title.crew.tsv.gz"] = conn.execute(CREW_KEPT["added"]).fetchone()[0] - crew_removed
    return changes, moved

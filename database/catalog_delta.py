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

Only where that equivalence holds: every title type kept (a subset makes a title's rows depend on
its type and votes, and its people on their credits), no line rejected or repeated, before or
now (the last line of a repeated key wins, which needs every line). Otherwise the importer
refreshes from every line (database/catalog_refresh.py).
"""

from __future__ import annotations

import psycopg

from database.catalog_build import catalog_tables
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
# lookup: (its key, the table whose rows use it)
LOOKUP_USES = {
    "title_type": ("title_type_id", "title"),
    "genre": ("genre_id", "title_genre"),
    "category": ("category_id", "principal"),
    "profession": ("profession_id", "person_profession"),
}


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


def _settle(conn: psycopg.Connection, kind: str, prefix: str, changes: TableChanges) -> None:
    """Titles (or people) whose basics line is gone: a placeholder while a row references them,
    else deleted; placeholders no row references any more: deleted."""
    conn.execute(f"""CREATE TEMP TABLE gone ON COMMIT DROP AS
                     SELECT c.{kind}_id AS id FROM catalog.{kind} c
                     WHERE NOT c.is_placeholder AND {_in_scope(kind)}
                       AND NOT EXISTS (SELECT 1 FROM catalog_next.{kind} n
                                       WHERE n.{kind}_id = c.{kind}_id)""")
    changes.deleted += noted(
        conn,
        kind,
        f"""DELETE FROM catalog.{kind} c
            WHERE c.{kind}_id IN (SELECT id FROM gone UNION SELECT * FROM candidate_{kind})
              AND (c.is_placeholder OR c.{kind}_id IN (SELECT id FROM gone))
              AND NOT ({_referenced(kind, "c")})""",
    )
    key, other = key_and_columns(conn, kind)
    columns = [
        c for c in key + other if c not in (f"{kind}_id", "tconst", "nconst", "is_placeholder")
    ]
    ident = "tconst" if kind == "title" else "nconst"
    number = f"c.{kind}_id"
    changes.updated += noted(
        conn,
        kind,
        f"""UPDATE catalog.{kind} c SET {", ".join(f"{col} = DEFAULT" for col in columns)},
                   is_placeholder = true,
                   {ident} = '{prefix}' || lpad({number}::text, greatest(7, length({number}::text)),
                                                '0')
            WHERE c.{kind}_id IN (SELECT id FROM gone)""",
    )
    conn.execute("DROP TABLE gone")


def _drop_unused_lookups(conn: psycopg.Connection, changes: dict[str, TableChanges]) -> None:
    """The names a changed row used that no row uses any more. A name the changed rows still
    use is kept without a look; for the others ``OFFSET 0`` keeps each check a probe that stops
    at the first row using the name; as an anti-join it read the whole table (principal's
    categories: 2.4 s at 20 M rows)."""
    for lookup, (key, table) in LOOKUP_USES.items():
        changes[lookup].deleted += conn.execute(
            f"""DELETE FROM catalog.{lookup} l
                WHERE l.{key} IN (SELECT id FROM candidate_lookup WHERE lookup = '{lookup}'
                                  EXCEPT SELECT c.{key} FROM catalog.{table} c
                                  WHERE {_in_scope(table)})
                  AND NOT EXISTS (SELECT 1 FROM catalog.{table} u WHERE u.{key} = l.{key}
                                  OFFSET 0)"""
        ).rowcount


def real_count(conn: psycopg.Connection, kind: str) -> int:
    """Titles (people) of the changed lines' keys that have a basics line (not placeholders)."""
    return conn.execute(
        f"SELECT count(*) FROM catalog.{kind} c WHERE NOT c.is_placeholder AND {_in_scope(kind)}"
    ).fetchone()[0]


def apply_delta(conn: psycopg.Connection) -> tuple[dict[str, TableChanges], dict[str, int]]:
    """Apply catalog_next (the changed lines' rows) and staging.removed_line to the catalogue,
    in the caller's transaction. Returns the changes per table and, per file, by how many rows
    its stored count moved (for the import report; a crew line is always stored, unfiltered)."""
    start_noting(conn)
    _scope(conn)
    _candidates(conn)
    built = set(catalog_tables(conn, "catalog_next"))
    order = [t for t in parents_first(conn) if t in built]
    changes = {t: TableChanges() for t in order}
    before = {k: real_count(conn, k) for k in ("title", "person")}
    parents = [t for t in order if t in LOOKUP_USES or t in ("title", "person")]
    for table in parents:
        upsert(conn, table, changes[table])
    for table in reversed(order):
        if table in SOURCES and table not in parents:
            _delete_gone(conn, table, changes[table])
    for table in order:
        if table not in parents:
            upsert(conn, table, changes[table])
    _settle(conn, "title", "tt", changes["title"])
    _settle(conn, "person", "nm", changes["person"])
    _drop_unused_lookups(conn, changes)
    moved = {
        SOURCES[t][0]: changes[t].inserted - changes[t].deleted
        for t in ("rating", "episode", "aka", "principal")
    }
    for kind in ("title", "person"):
        moved[SOURCES[kind][0]] = real_count(conn, kind) - before[kind]
    return changes, moved

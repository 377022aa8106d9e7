"""The SQL that turns the staging tables into a typed catalogue, in schema ``catalog_next``.

The staging tables are typed (migrations/V101__staging.sql): COPY already refused every bad value.

1. lookup tables, then each typed table from its staging table, each created in the transaction
   that fills it (with ``wal_level = minimal`` its rows then skip the WAL); primary keys right after
   each load (a duplicate key keeps the file's last line and rejects the others); placeholders for
   people and titles that other files reference but the basics files lack.
2. ``finish``: the unique, foreign-key and secondary indexes declared on ``catalog`` (the one home
   of the DDL, cloned from its catalogue), then ANALYZE (``ANALYZED``).

Three transactions (``build``): the lookups, titles (and people) first; then the tables that
depend only on those, in two lanes on two connections (both cores): principals, genres and
professions; akas, crew, ratings, episodes and known-for (about equal: 20 M IMDb-shaped rows); then
the placeholders and the keys. A subset keeps only the people its titles credit: they load after
the lanes, then their professions and known-for titles in two lanes. ``catalog_next`` is scratch
until the importer swaps it in: a run stopped half-way leaves it to the next run, which drops it
first.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import psycopg

from database import config

log = logging.getLogger(__name__)

# Memory for the build's hash joins, aggregates and sorts (one session, on a laptop), and a
# second core for its index builds (PostgreSQL 18 builds B-tree and GIN indexes in parallel).
BUILD_SETTINGS = {
    "work_mem": "512MB",
    "maintenance_work_mem": "1GB",
    "max_parallel_maintenance_workers": "1",
}


def use_build_settings(conn: psycopg.Connection) -> None:
    """BUILD_SETTINGS for the rest of the caller's transaction."""
    for name, value in BUILD_SETTINGS.items():
        conn.execute(f"SET LOCAL {name} = '{value}'")


def catalog_tables(conn: psycopg.Connection, schema: str = "catalog") -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,)
    ).fetchall()
    return [r[0] for r in rows]


def enable_autovacuum(conn: psycopg.Connection) -> None:
    """At the swap, once catalog_next is the catalogue: autovacuum back on its tables (off since
    their creation, CatalogBuilder.create_schema)."""
    for table in catalog_tables(conn):
        conn.execute(f"ALTER TABLE catalog.{table} RESET (autovacuum_enabled)")


def _imdb_id(prefix: str, number: str) -> str:
    """SQL text id of a numeric id: the prefix then at least 7 digits (IMDb's convention)."""
    return f"{prefix} || lpad({number}::text, greatest(7, length({number}::text)), '0')"


def _id(col: str) -> str:
    """Numeric surrogate key of a tt…/nm… id."""
    return f"substr({col}, 3)::integer"


# analyzed by the build: the tables the prebuilt views and the app look up by key, and the lookups
ANALYZED = ("title", "person", "rating", "title_type", "genre", "category", "profession")


# lookup: (its key, the table whose rows use it)
LOOKUP_USES = {
    "title_type": ("title_type_id", "title"),
    "genre": ("genre_id", "title_genre"),
    "category": ("category_id", "principal"),
    "profession": ("profession_id", "person_profession"),
}

# A name no row uses any more: gone. ``OFFSET 0`` keeps each check a probe that stops at the first
# row using the name; as an anti-join it read the whole table (principal's categories: 2.4 s at
# 20 M rows). The names checked in an array: as ``IN (which)`` the plan probed every name of the
# lookup, a rare title type a scan of every title (1.1 s at 20 M rows for none checked).
# Formatted with lookup, key, table, schema and which (the names checked).
UNUSED_LOOKUP = """DELETE FROM {schema}.{lookup} l WHERE l.{key} = ANY (ARRAY({which}))
  AND NOT EXISTS (SELECT 1 FROM {schema}.{table} u WHERE u.{key} = l.{key} OFFSET 0)"""


@dataclass
class Subset:
    """What to keep: all titles (None, None) or some types and/or a vote floor."""

    title_types: tuple[str, ...] | None = None
    min_votes: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.title_types) or self.min_votes is not None


@dataclass
class BuildStats:
    placeholder_titles: int = 0
    placeholder_people: int = 0
    duplicate_list_entries: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class NotIncremental(Exception):
    """The changed lines cannot be applied on their own: the import reads every line instead."""


class LaneStopped(Exception):
    """The other lane of the build failed: this one stops before its next statement."""


Steps = list[tuple[str, Callable[["CatalogBuilder"], None]]]  # (name, unbound method)


class CatalogBuilder:
    """Builds ``catalog_next`` from staging, committing as it goes (``build``)."""

    def __init__(
        self,
        conn: psycopg.Connection,
        run_id: int,
        subset: Subset,
        timer,
        validate_foreign_keys: bool = False,
        url: str | None = None,
    ):
        self.validate_foreign_keys = validate_foreign_keys
        self.conn = conn
        self.run_id = run_id
        self.subset = subset
        self.timer = timer  # context manager factory: timer("phase")
        self.url = url  # for a second connection (None: every step on ``conn``)
        self.stats = BuildStats()
        self.stop: threading.Event | None = None  # set while two lanes run: one of them failed
        self.changes_only = False  # staging holds the changed lines only (``build_changes``)
        self.stage_people: Callable[[list[int]], None] = lambda ids: None
        self.largest_old_title = 0

    def on(self, conn: psycopg.Connection) -> CatalogBuilder:
        """The same build on another connection, with statistics of its own."""
        other = copy.copy(self)
        other.conn = conn
        other.stats = BuildStats()
        return other

    # ------------------------------------------------------------------ helpers
    def x(self, query: str, params=None) -> int:
        if self.stop is not None and self.stop.is_set():
            raise LaneStopped("the other lane of the build failed")
        start = time.perf_counter()
        rowcount = self.conn.execute(query, params).rowcount
        log.info("%.2f s  %s", time.perf_counter() - start, " ".join(query.split())[:110])
        return rowcount

    def create_tables(self, *tables: str) -> None:
        """Empty tables shaped like their catalog twins, in the transaction that fills them.

        Autovacuum stays off them until the swap (which turns it back on): between the build's
        commit and the swap the views are prebuilt for minutes, and an autovacuum of a new table
        then held the swap's locks off (measured at full size: 137 s, readers waiting), since
        lock_views gives up each try before autovacuum would yield."""
        for t in tables:
            self.x(f"""CREATE TABLE catalog_next.{t} (LIKE catalog.{t} INCLUDING DEFAULTS
                       INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING COMMENTS)
                       WITH (autovacuum_enabled = false)""")

    def constraint_defs(self, kinds: str) -> list[tuple[str, str, str]]:
        """(table, name, definition) of catalog constraints of the given kinds (p, u, f)."""
        return self.conn.execute(
            """SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'catalog' AND k.contype = ANY(%s)
               ORDER BY k.contype DESC, c.relname, k.conname""",
            (list(kinds),),
        ).fetchall()

    def add_primary_key(self, table: str, dedup=None) -> None:
        """Add the catalog's primary key to catalog_next.<table>; on duplicates call ``dedup``."""
        (name, definition) = next((n, d) for t, n, d in self.constraint_defs("p") if t == table)
        stmt = f"ALTER TABLE catalog_next.{table} ADD CONSTRAINT {name} {definition}"
        try:
            with self.conn.transaction():
                self.x(stmt)
        except psycopg.errors.UniqueViolation:
            if dedup is None:
                raise
            dedup()
            self.x(stmt)

    def dedup_file(self, staging: str, file_name: str, key: str, table: str, insert) -> None:
        """Duplicate keys in a file: the last line wins, the earlier ones are rejected."""
        if self.changes_only:  # which line is last needs them all
            raise NotIncremental(f"{file_name}: a key repeated among the changed lines")
        columns = [c.strip() for c in key.split(",")]
        same = " AND ".join(f"s.{c} = dup.{c}" for c in columns)
        self.x(f"""CREATE TEMP TABLE dup ON COMMIT DROP AS
                   SELECT {key}, max(line_no) AS keep FROM staging.{staging}
                   GROUP BY {key} HAVING count(*) > 1""")
        self.x(
            f"""WITH gone AS (
                       DELETE FROM staging.{staging} s USING dup
                       WHERE {same} AND s.line_no <> dup.keep
                       RETURNING s.line_no, dup.keep)
                   INSERT INTO ops.import_reject (run_id, file_name, line_no, reason)
                   SELECT %s, %s, line_no, 'duplicate key: superseded by line ' || keep
                   FROM gone""",
            (self.run_id, file_name),
        )
        self.x("DROP TABLE dup")
        self.x(f"TRUNCATE catalog_next.{table}")
        insert()

    def dedup_list(self, table: str, key: str) -> None:
        """The same person twice in one list: keep the first position."""
        self.stats.duplicate_list_entries += self.x(
            f"""DELETE FROM catalog_next.{table} a USING catalog_next.{table} b
                WHERE ({key.replace("#", "a.")}) = ({key.replace("#", "b.")})
                  AND a.position > b.position"""
        )

    def insert(
        self, query: str, refs: tuple[tuple[str, str], ...] = (("title_id", "title"),)
    ) -> None:
        """Run ``INSERT ... SELECT`` and, for a full import, note from its RETURNING rows the
        referenced ids that the basics files lack (placeholders to create): ``refs`` pairs a
        column with "title" or "person". No re-scan of the big tables afterwards (that scan
        cost ~0.6 us a row, most of it I/O). Filtered imports resolve references otherwise."""
        if self.subset.active:
            self.x(query)
            return
        live = " AND NOT EXISTS (SELECT 1 FROM catalog.{kind} t WHERE t.{kind}_id = i.{col})"
        notes = [
            f"INSERT INTO staging.missing_{kind} SELECT DISTINCT i.{col} FROM ins i "
            f"WHERE NOT EXISTS (SELECT 1 FROM catalog_next.{kind} t WHERE t.{kind}_id = i.{col})"
            + (live.format(kind=kind, col=col) if self.changes_only else "")
            for col, kind in refs
        ]
        ctes = "".join(f", note_{n} AS ({note})" for n, note in enumerate(notes[:-1]))
        columns = ", ".join(col for col, _ in refs)
        self.x(f"WITH ins AS ({query} RETURNING {columns}){ctes} {notes[-1]}")

    def title_kept(self, key: str) -> str:
        """SQL condition: the title whose integer id is ``key`` is in catalog_next (always true
        when unfiltered, since every referenced title exists, as a placeholder if need be)."""
        if not self.subset.active:
            return "true"
        kept = (
            f"EXISTS (SELECT 1 FROM catalog_next.title k "
            f"WHERE k.title_id = {key} AND NOT k.is_placeholder)"
        )
        if self.changes_only:  # or kept already (a subset has no placeholder titles)
            kept += f" OR EXISTS (SELECT 1 FROM catalog.title k WHERE k.title_id = {key})"
        return f"({kept})"

    # ------------------------------------------------------------------ steps
    def create_schema(self) -> None:
        self.x("DROP SCHEMA IF EXISTS catalog_next CASCADE")
        self.x("TRUNCATE staging.missing_title, staging.missing_person")
        self.x("CREATE SCHEMA catalog_next")

    def lookups(self) -> None:
        """Small reference tables; ids stay the same across imports for names seen before."""
        sources = {
            "title_type": ("title_type_id", "SELECT DISTINCT title_type FROM staging.title_basics"),
            "genre": (
                "genre_id",
                "SELECT DISTINCT g FROM staging.title_basics, "
                "unnest(string_to_array(genres, ',')) g",
            ),
            "category": ("category_id", "SELECT DISTINCT category FROM staging.title_principals"),
            "profession": (
                "profession_id",
                "SELECT DISTINCT p FROM staging.name_basics, "
                "unnest(string_to_array(primary_profession, ',')) p",
            ),
        }
        for table, (key, names) in sources.items():
            self.create_tables(table)
            # the names read first: a query that only reads is planned in parallel (the scan of
            # the staged principals, 98 M rows at full size); an INSERT ... SELECT never is
            found = [
                r[0]
                for r in self.conn.execute(
                    f"SELECT * FROM ({names}) n(name) WHERE n.name IS NOT NULL AND n.name <> ''"
                )
            ]
            self.x(
                f"""INSERT INTO catalog_next.{table} ({key}, name)
                    SELECT coalesce(o.{key},
                           (SELECT coalesce(max({key}), 0) FROM catalog.{table})
                           + row_number() OVER (PARTITION BY o.{key} IS NULL ORDER BY n.name)),
                           n.name
                    FROM unnest(%s::text[]) n(name) LEFT JOIN catalog.{table} o USING (name)""",
                (found,),
            )
            self.add_primary_key(table)
        # their statistics before the big tables join them: without, the planner took a lookup
        # for the larger side and probed it with each staged row, which wrote titles and principals
        # grouped by type and category, not in their files' order (a check of a category's last
        # use then read most of the principals: 2.6 s at 20 M rows)
        self.x(f"ANALYZE {', '.join(f'catalog_next.{t}' for t in sources)}")

    def check_subset(self) -> None:
        if not self.subset.title_types:
            return
        known = {r[0] for r in self.conn.execute("SELECT name FROM catalog_next.title_type")}
        unknown = sorted(set(self.subset.title_types) - known)
        # the default list (config.DEFAULT_TITLE_TYPES) names types a file set may lack
        if unknown and set(self.subset.title_types) != set(config.DEFAULT_TITLE_TYPES):
            raise ValueError(
                f"--title-types: unknown title type(s) {', '.join(unknown)}; "
                f"the files have: {', '.join(sorted(known))}"
            )

    def titles(self) -> None:
        where = []
        params: dict = {}
        if self.subset.title_types:
            where.append("b.title_type = ANY(%(types)s)")
            params["types"] = list(self.subset.title_types)
        if self.subset.min_votes is not None:
            where.append(
                "EXISTS (SELECT 1 FROM staging.title_ratings r"
                " WHERE r.title_key = b.title_key AND r.num_votes >= %(min_votes)s)"
            )
            params["min_votes"] = self.subset.min_votes
        self.create_tables("title")

        def insert() -> None:
            self.x(
                f"""INSERT INTO catalog_next.title (title_id, tconst, title_type_id,
                           primary_title, original_title, is_adult, start_year, end_year,
                           runtime_minutes)
                       SELECT b.title_key, b.tconst, t.title_type_id, b.primary_title,
                              b.original_title, b.is_adult, b.start_year, b.end_year,
                              b.runtime_minutes
                       FROM staging.title_basics b
                       JOIN catalog_next.title_type t ON t.name = b.title_type
                       WHERE {" AND ".join(where) or "true"}""",
                params,
            )

        insert()
        self.add_primary_key(
            "title",
            lambda: self.dedup_file(
                "title_basics", "title.basics.tsv.gz", "tconst", "title", insert
            ),
        )

    def placeholder_titles(self) -> None:
        """Titles referenced by the other files but absent from title.basics (full import only),
        as noted by ``insert`` while the tables loaded."""
        if self.subset.active:
            return
        self.stats.placeholder_titles = self.x(
            f"""INSERT INTO catalog_next.title (title_id, tconst, is_placeholder)
                SELECT DISTINCT id, {_imdb_id("'tt'", "id")}, true FROM staging.missing_title"""
        )

    def title_genres(self) -> None:
        self.create_tables("title_genre")
        self.x("""INSERT INTO catalog_next.title_genre (title_id, genre_id, position)
                   SELECT t.title_id, g.genre_id, x.pos
                   FROM staging.title_basics b
                   JOIN catalog_next.title t ON t.title_id = b.title_key
                   CROSS JOIN LATERAL unnest(string_to_array(b.genres, ','))
                        WITH ORDINALITY x(name, pos)
                   JOIN catalog_next.genre g ON g.name = x.name""")
        self.add_primary_key(
            "title_genre", lambda: self.dedup_list("title_genre", "#title_id, #genre_id")
        )

    def ratings(self) -> None:
        self.create_tables("rating")

        def insert() -> None:
            self.insert(f"""INSERT INTO catalog_next.rating (title_id, average_rating, num_votes)
                       SELECT r.title_key, r.average_rating,
                              r.num_votes
                       FROM staging.title_ratings r WHERE {self.title_kept("r.title_key")}""")

        insert()
        self.add_primary_key(
            "rating",
            lambda: self.dedup_file(
                "title_ratings", "title.ratings.tsv.gz", "tconst", "rating", insert
            ),
        )

    def episodes(self) -> None:
        self.create_tables("episode")

        def insert() -> None:
            self.insert(
                f"""INSERT INTO catalog_next.episode (title_id, series_title_id,
                           season_number, episode_number)
                       SELECT e.title_key, e.parent_key,
                              e.season_number, e.episode_number
                       FROM staging.title_episode e
                       WHERE {self.title_kept("e.title_key")}
                         AND {self.title_kept("e.parent_key")}""",
                (("title_id", "title"), ("series_title_id", "title")),
            )

        insert()
        self.add_primary_key(
            "episode",
            lambda: self.dedup_file(
                "title_episode", "title.episode.tsv.gz", "tconst", "episode", insert
            ),
        )

    def akas(self) -> None:
        self.create_tables("aka")

        def insert() -> None:
            self.insert(f"""INSERT INTO catalog_next.aka (title_id, ordering, title, region,
                           language, types, attributes, is_original_title)
                       SELECT a.title_key, a.ordering, a.title, a.region,
                              a.language, string_to_array(a.types, E'\\x02'),
                              string_to_array(a.attributes, E'\\x02'), a.is_original_title
                       FROM staging.title_akas a WHERE {self.title_kept("a.title_key")}""")

        insert()
        self.add_primary_key(
            "aka",
            lambda: self.dedup_file(
                "title_akas", "title.akas.tsv.gz", "title_id, ordering", "aka", insert
            ),
        )

    def principals(self) -> None:
        self.create_tables("principal")

        def insert() -> None:
            self.insert(
                f"""INSERT INTO catalog_next.principal (title_id, ordering, person_id,
                           category_id, job, characters)
                       SELECT p.title_key, p.ordering, p.person_key,
                              c.category_id, p.job, p.characters
                       FROM staging.title_principals p
                       JOIN catalog_next.category c ON c.name = p.category
                       WHERE {self.title_kept("p.title_key")}""",
                (("title_id", "title"), ("person_id", "person")),
            )

        insert()
        self.add_primary_key(
            "principal",
            lambda: self.dedup_file(
                "title_principals",
                "title.principals.tsv.gz",
                "tconst, ordering",
                "principal",
                insert,
            ),
        )

    def crew(self) -> None:
        for table, column in (("title_director", "directors"), ("title_writer", "writers")):
            self.create_tables(table)
            self.insert(
                f"""INSERT INTO catalog_next.{table} (title_id, person_id, position)
                       SELECT c.title_key, {_id("x.nconst")}, x.pos
                       FROM staging.title_crew c
                       CROSS JOIN LATERAL unnest(string_to_array(c.{column}, ','))
                            WITH ORDINALITY x(nconst, pos)
                       WHERE {self.title_kept("c.title_key")}""",
                (("title_id", "title"), ("person_id", "person")),
            )
            self.add_primary_key(table, lambda t=table: self.dedup_list(t, "#title_id, #person_id"))

    REFERENCED_PEOPLE = (
        "SELECT person_id FROM catalog_next.principal UNION ALL "
        "SELECT person_id FROM catalog_next.title_director UNION ALL "
        "SELECT person_id FROM catalog_next.title_writer"
    )

    def people(self) -> None:
        """People of name.basics: all of them (loaded before principals and crew, which note the
        unnamed ones), or, for a subset, those the kept titles reference (loaded after)."""
        where = "true"
        if self.subset.active:
            where = f"n.person_key IN ({self.REFERENCED_PEOPLE})"
            if self.changes_only:  # or kept already (probed: as IN, every person was read)
                where += (
                    " OR EXISTS (SELECT 1 FROM catalog.person p WHERE p.person_id = n.person_key)"
                )
        self.create_tables("person")

        def insert() -> None:
            self.x(f"""INSERT INTO catalog_next.person (person_id, nconst, primary_name,
                           birth_year, death_year)
                       SELECT n.person_key, n.nconst, n.primary_name, n.birth_year,
                              n.death_year
                       FROM staging.name_basics n WHERE {where}""")

        insert()
        self.add_primary_key(
            "person",
            lambda: self.dedup_file(
                "name_basics", "name.basics.tsv.gz", "nconst", "person", insert
            ),
        )

    def unused_lookups(self) -> None:
        """A subset keeps the names its rows use: those of the lines it leaves out are gone
        (the lookups load before the titles are chosen); for a refresh, the new names no
        changed row uses (database/catalog_delta.py drops the old ones no row uses any more)."""
        if not self.subset.active:
            return
        for lookup, (key, table) in LOOKUP_USES.items():
            which = f"SELECT {key} FROM catalog_next.{lookup}"
            if self.changes_only:
                which += f" EXCEPT SELECT {key} FROM catalog.{lookup}"
            self.x(
                UNUSED_LOOKUP.format(
                    schema="catalog_next", lookup=lookup, key=key, table=table, which=which
                )
            )

    def placeholder_people(self) -> None:
        """People that principals and crew reference but name.basics lacks, unnamed."""
        missing = "SELECT id FROM staging.missing_person"
        if self.subset.active:
            missing = f"""SELECT r.person_id FROM ({self.REFERENCED_PEOPLE}) r
                          WHERE NOT EXISTS (SELECT 1 FROM catalog_next.person p
                                            WHERE p.person_id = r.person_id)"""
            if self.changes_only:  # nor in the catalogue
                missing += """ AND NOT EXISTS (SELECT 1 FROM catalog.person p
                                               WHERE p.person_id = r.person_id)"""
        self.stats.placeholder_people = self.x(
            f"""INSERT INTO catalog_next.person (person_id, nconst, is_placeholder)
                SELECT DISTINCT m.id, {_imdb_id("'nm'", "m.id")}, true FROM ({missing}) m(id)"""
        )

    def professions(self) -> None:
        """Each named person's professions (placeholders have none: no line of their own)."""
        self.create_tables("person_profession")
        self.x("""INSERT INTO catalog_next.person_profession (person_id, profession_id, position)
                   SELECT n.person_key, f.profession_id, x.pos
                   FROM staging.name_basics n
                   CROSS JOIN LATERAL unnest(string_to_array(n.primary_profession, ','))
                        WITH ORDINALITY x(name, pos)
                   JOIN catalog_next.profession f ON f.name = x.name
                   WHERE EXISTS (SELECT 1 FROM catalog_next.person p
                                 WHERE p.person_id = n.person_key)""")
        self.add_primary_key(
            "person_profession",
            lambda: self.dedup_list("person_profession", "#person_id, #profession_id"),
        )

    def known_for(self) -> None:
        """Each named person's known-for titles (placeholders have none)."""
        self.create_tables("known_for")
        self.insert(f"""INSERT INTO catalog_next.known_for (person_id, title_id, position)
                   SELECT n.person_key, {_id("x.tconst")}, x.pos
                   FROM staging.name_basics n
                   CROSS JOIN LATERAL unnest(string_to_array(n.known_for_titles, ','))
                        WITH ORDINALITY x(tconst, pos)
                   WHERE EXISTS (SELECT 1 FROM catalog_next.person p
                                 WHERE p.person_id = n.person_key)
                     AND {self.title_kept(_id("x.tconst"))}""")
        self.add_primary_key(
            "known_for", lambda: self.dedup_list("known_for", "#person_id, #title_id")
        )

    def finish(self) -> None:
        """Unique and foreign keys, then the secondary indexes, as declared on catalog.

        Foreign keys hold by construction (every reference resolves, to a placeholder if need be),
        so unless ``validate_foreign_keys`` they are added NOT VALID: enforced for every later
        write, without one full anti-join per key (17 % of the build at 10 M rows).
        tests/test_import.py validates them all after an import."""
        built = set(catalog_tables(self.conn, "catalog_next"))
        self.create_tables(*(t for t in catalog_tables(self.conn) if t not in built))  # no loader
        for table, name, definition in self.constraint_defs("uf"):
            definition = definition.replace("REFERENCES catalog.", "REFERENCES catalog_next.")
            if definition.startswith("FOREIGN KEY") and not self.validate_foreign_keys:
                definition += " NOT VALID"
            self.x(f"ALTER TABLE catalog_next.{table} ADD CONSTRAINT {name} {definition}")
        indexes = self.conn.execute(
            """SELECT indexdef FROM pg_indexes i
               WHERE schemaname = 'catalog' AND NOT EXISTS (
                   SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname
                     AND k.connamespace = 'catalog'::regnamespace)"""
        ).fetchall()
        for (indexdef,) in indexes:
            self.x(indexdef.replace(" ON catalog.", " ON catalog_next."))
        # the lookups too (tiny; without statistics the planner took 141 genres for 1,310 rows);
        # the big link tables are left to autovacuum after the swap (the plans of the prebuilt
        # views and of a first refresh were not measured with their statistics at full size)
        self.x(f"ANALYZE {', '.join(f'catalog_next.{t}' for t in ANALYZED)}")

    def run(self, steps: Steps) -> None:
        """The steps in one transaction of this builder's connection, each timed."""
        with self.conn.transaction():
            use_build_settings(self.conn)
            for name, step in steps:
                with self.timer(f"build:{name}"):
                    step(self)

    def run_lanes(self, lanes: tuple[Steps, Steps]) -> None:
        """The first lane here and the second on a connection of its own, at once (one core
        each); on one connection one after the other without a URL. A lane that fails stops the
        other — its running statement cancelled, and in case the cancel came between two
        statements, its next one refused (``stop``) — so that the other lane commits nothing;
        the failing lane's error is the one raised."""
        if self.url is None:
            self.run(lanes[0] + lanes[1])
            return
        self.stop = stop = threading.Event()

        def halt(conn: psycopg.Connection) -> None:
            stop.set()
            conn.cancel_safe()

        try:
            with psycopg.connect(self.url) as second, ThreadPoolExecutor(1) as pool:
                other = self.on(second)
                future = pool.submit(other.run, lanes[1])
                future.add_done_callback(lambda f: f.exception() is not None and halt(self.conn))
                try:
                    self.run(lanes[0])
                except BaseException:
                    if not future.done():
                        halt(second)
                    wait([future])
                    error = future.exception()
                    stopped = (psycopg.errors.QueryCanceled, LaneStopped)
                    if error is not None and not isinstance(error, stopped):
                        raise error from None
                    raise
                future.result()
        finally:
            self.stop = None
        self.stats.duplicate_list_entries += other.stats.duplicate_list_entries

    def build_changes(
        self, stage_people: Callable[[list[int]], None], largest_old_title: int
    ) -> BuildStats:
        """The rows of the changed lines alone (staging holds only them), on this connection in
        one transaction: the same steps as ``build``, a reference counted missing only if the
        live catalogue lacks it too, no keys or indexes beyond the primary keys
        (database/catalog_delta.py applies these rows to the catalogue).

        A subset of the title types: the lines of the titles kept (changed now or kept already),
        and the people they credit: those the catalogue lacks are named from their line of
        name.basics, changed or not (``stage_people`` stages those lines). Where the unchanged
        lines of the other files would be needed too (a title now kept whose id the previous
        files reach: ``largest_old_title``, their largest title id), NotIncremental."""
        if self.subset.min_votes is not None:
            raise NotIncremental("a vote floor is kept: a title's votes move it in or out")
        self.changes_only = True
        self.stage_people = stage_people
        self.largest_old_title = largest_old_title
        titles = [*FIRST, ("titles", CatalogBuilder.titles)]
        credits = LANES[0] + LANES[1]
        if self.subset.active:  # the people after the credits that choose them
            steps = [
                *titles,
                ("titles now kept", CatalogBuilder.check_titles_now_kept),
                *credits,
                ("people now credited", CatalogBuilder.people_now_credited),
                *PEOPLE,
            ]
        else:
            steps = titles + PEOPLE + credits
        self.run([*steps, *LINKS, *PLACEHOLDERS, ("analyze", CatalogBuilder.analyze_next)])
        return self.stats

    def check_titles_now_kept(self) -> None:
        """A subset's refresh: a title of a kept type that the catalogue lacks and whose id the
        previous files reach (its type changed, or it comes back) may have lines that did not
        change in the other files, which the changed lines lack: NotIncremental."""
        row = self.conn.execute(
            """SELECT t.tconst FROM catalog_next.title t
               WHERE t.title_id <= %s
                 AND NOT EXISTS (SELECT 1 FROM catalog.title k WHERE k.title_id = t.title_id)
               LIMIT 1""",
            (self.largest_old_title,),
        ).fetchone()
        if row:
            raise NotIncremental(
                f"{row[0]} is of a kept type now, and the previous files may hold lines of it"
            )

    def people_now_credited(self) -> None:
        """A subset's refresh: the lines of name.basics of the people the changed credits
        reference and the catalogue lacks, staged beside the changed lines (a line that did not
        change names them all the same)."""
        rows = self.conn.execute(
            f"""SELECT DISTINCT r.person_id FROM ({self.REFERENCED_PEOPLE}) r
                WHERE NOT EXISTS (SELECT 1 FROM catalog.person p WHERE p.person_id = r.person_id)
                  AND NOT EXISTS (SELECT 1 FROM staging.name_basics n
                                  WHERE n.person_key = r.person_id)"""
        ).fetchall()
        self.stage_people([r[0] for r in rows])

    def analyze_next(self) -> None:
        """Statistics for the planner: the apply joins these few rows to the big tables."""
        for table in catalog_tables(self.conn, "catalog_next"):
            self.x(f"ANALYZE catalog_next.{table}")

    def build(self) -> BuildStats:
        """Lookups and titles; the other tables in two lanes; placeholders and keys. Unfiltered,
        people load first (principals and crew note the unnamed ones); for a subset, after the
        principals and crew, since only the people the kept titles reference are kept, and then
        their professions and known-for titles in two lanes of their own."""
        unfiltered = not self.subset.active
        self.run(
            [
                *FIRST,
                ("check", CatalogBuilder.check_subset),
                ("titles", CatalogBuilder.titles),
                *(PEOPLE if unfiltered else []),
            ]
        )
        self.run_lanes(
            (
                LANES[0] + (LINKS[:1] if unfiltered else []),
                LANES[1] + (LINKS[1:] if unfiltered else []),
            )
        )
        if not unfiltered:  # the people the kept titles credit, then their two link tables
            self.run(PEOPLE)
            self.run_lanes((LINKS[:1], LINKS[1:]))
        self.run([*PLACEHOLDERS, ("keys and indexes", CatalogBuilder.finish)])
        return self.stats


# The steps that ``build`` and ``build_changes`` share, in their order (each a loader above).
FIRST: Steps = [("schema", CatalogBuilder.create_schema), ("lookups", CatalogBuilder.lookups)]
PEOPLE: Steps = [("people", CatalogBuilder.people)]
LINKS: Steps = [
    ("professions", CatalogBuilder.professions),
    ("known for", CatalogBuilder.known_for),
]
# the tables that depend only on titles and people: two lanes of about equal work (build)
LANES: tuple[Steps, Steps] = (
    [("principals", CatalogBuilder.principals), ("genres", CatalogBuilder.title_genres)],
    [
        ("akas", CatalogBuilder.akas),
        ("crew", CatalogBuilder.crew),
        ("ratings", CatalogBuilder.ratings),
        ("episodes", CatalogBuilder.episodes),
    ],
)
PLACEHOLDERS: Steps = [
    ("placeholder people", CatalogBuilder.placeholder_people),
    ("placeholder titles", CatalogBuilder.placeholder_titles),
    ("unused lookups", CatalogBuilder.unused_lookups),
]

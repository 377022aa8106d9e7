"""The heavy derived views of a new catalogue, built before the import's swap, two at a time.

The repeatable files of ``PREBUILT`` only create relations in ``analytics`` from ``catalog`` (the
statistics, the title and the people search views: 12.7 of the 31.7 minutes of a full-size import).
Re-applied inside the swap's transaction, after its locks, they made readers wait for all of them.
Instead, once ``catalog_next`` is committed, each file runs on a connection of its own with its
schemas renamed (``catalog`` -> ``catalog_next``, ``analytics`` -> ``analytics_next``): readers
still use the live catalogue and views meanwhile, and both cores work. The swap then moves the
relations of ``analytics_next`` into ``analytics`` (after the old ones went with the old catalogue)
and re-applies only the other repeatable files. A materialized view follows its tables by oid, so
once ``catalog_next`` is renamed ``catalog`` the moved views read the live catalogue.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg

from database.migrate import Migration, discover

# longest first (measured at full size: 471, 331, 187 s), so that two workers end close together
PREBUILT = (
    "R__22_analytics_person_search.sql",
    "R__21_analytics_title_search.sql",
    "R__20_analytics_statistics.sql",
)
# the functions the prebuilt files build their tables from, created in analytics_next first; the
# swap re-applies it like any other repeatable file (over the live catalogue)
ROW_FUNCTIONS = "R__15_analytics_rows.sql"
NEXT = "analytics_next"
WORKERS = 2


def for_next_catalogue(sql: str) -> str:
    """A PREBUILT file's SQL aimed at catalog_next and analytics_next (``pg_catalog.`` stays)."""
    sql = re.sub(r"\bcatalog\.", "catalog_next.", sql)
    return re.sub(r"\banalytics\.", f"{NEXT}.", sql)


def prebuilt_files(names: tuple[str, ...] = PREBUILT) -> list[Migration]:
    by_name = {m.name: m for m in discover()[1]}
    return [by_name[name] for name in names]


def prebuild(url: str, settings: dict[str, str]) -> dict[str, float]:
    """Build every PREBUILT file into analytics_next over catalog_next (committed); returns the
    seconds each took. An error leaves analytics_next for the caller to drop."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {NEXT} CASCADE")
        admin.execute(f"CREATE SCHEMA {NEXT}")

    def build(m: Migration) -> tuple[str, float]:
        start = time.perf_counter()
        with psycopg.connect(url) as conn:
            for name, value in settings.items():
                conn.execute(f"SET {name} = '{value}'")
            try:
                conn.execute(for_next_catalogue(m.sql))
            except psycopg.Error as exc:
                raise RuntimeError(f"{m.name} on the new catalogue failed: {exc}") from exc
            conn.commit()
        return m.name, round(time.perf_counter() - start, 3)

    seconds = dict(map(build, prebuilt_files((ROW_FUNCTIONS,))))
    with ThreadPoolExecutor(WORKERS) as pool:
        return seconds | dict(pool.map(build, prebuilt_files()))


MOVABLE = """
SELECT c.relname, CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'v' THEN 'VIEW'
                                 ELSE 'TABLE' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'm', 'v') ORDER BY c.relname"""

# What creating a relation in analytics grants by itself (ALTER DEFAULT PRIVILEGES, V100):
# the moved relations were created elsewhere and get the same grants explicitly.
DEFAULT_GRANTS = """
SELECT a.privilege_type, quote_ident(r.rolname)
FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
JOIN pg_roles r ON r.oid = a.grantee
WHERE d.defaclnamespace = 'analytics'::regnamespace AND d.defaclobjtype = 'r'"""


def move_in(conn: psycopg.Connection) -> None:
    """In the swap's transaction, after the old catalogue (and with it the old views) is gone:
    the prebuilt relations into analytics, with analytics' default grants."""
    relations = conn.execute(MOVABLE, (NEXT,)).fetchall()
    grants = conn.execute(DEFAULT_GRANTS).fetchall()
    for name, kind in relations:
        conn.execute(f"DROP {kind} IF EXISTS analytics.{name} CASCADE")
    for name, kind in relations:
        conn.execute(f"ALTER {kind} {NEXT}.{name} SET SCHEMA analytics")
        for privilege, role in grants:
            conn.execute(f"GRANT {privilege} ON analytics.{name} TO {role}")
    conn.execute(f"DROP SCHEMA {NEXT} CASCADE")  # and the row functions made for the build

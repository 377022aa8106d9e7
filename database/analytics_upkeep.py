"""The four big analytics tables, kept up to date row by row after a refresh of the catalogue.

``analytics.title_facts``, ``title_search``, ``person_stats`` and ``person_search`` are tables
built from the functions of migrations/R__15_analytics_rows.sql. A refresh writes the ids of the
catalogue rows it changed into ``touched`` (database/catalog_refresh.py: ``noted``); here, in the
same transaction, the rows of those titles and people are deleted and computed again:

* titles: every title id a changed row holds;
* people: every person id a changed row holds, and the people credited on a title whose own row
  or rating changed (its type, year, rating or votes are in their track records and audience).

Then the one row of ``key_figures`` is updated in place. Readers see the previous rows until the
commit, and are never blocked. The two small summaries over title_facts (yearly statistics,
rating profiles) stay materialized views, refreshed whole and CONCURRENTLY after this.
"""

from __future__ import annotations

import time

import psycopg

# (table, its key, kind of id), in build order: person_stats reads title_facts
KEPT_BY_KEY = (
    ("title_facts", "title_id", "title"),
    ("title_search", "title_id", "title"),
    ("person_stats", "person_id", "person"),
    ("person_search", "person_id", "person"),
)

CHANGED_PEOPLE = """
SELECT person_id FROM touched WHERE person_id IS NOT NULL
UNION
SELECT x.person_id
FROM (SELECT DISTINCT title_id FROM touched WHERE tab IN ('title', 'rating')) t
CROSS JOIN LATERAL (
    SELECT p.person_id FROM catalog.principal p WHERE p.title_id = t.title_id
    UNION ALL SELECT d.person_id FROM catalog.title_director d WHERE d.title_id = t.title_id
    UNION ALL SELECT w.person_id FROM catalog.title_writer w WHERE w.title_id = t.title_id) x"""


def changed_ids(conn: psycopg.Connection) -> dict[str, list[int]]:
    """The titles and the people whose analytics rows the noted changes can move."""
    titles = conn.execute("SELECT DISTINCT title_id FROM touched WHERE title_id IS NOT NULL")
    return {
        "title": sorted(r[0] for r in titles),
        "person": sorted(r[0] for r in conn.execute(CHANGED_PEOPLE)),
    }


def keep_up(conn: psycopg.Connection) -> dict[str, float]:
    """Re-compute the rows of the changed titles and people, in the caller's transaction;
    returns the seconds per table."""
    ids = changed_ids(conn)
    took = {}
    for table, key, kind in KEPT_BY_KEY:
        start = time.perf_counter()
        conn.execute(f"DELETE FROM analytics.{table} WHERE {key} = ANY (%s)", (ids[kind],))
        conn.execute(
            f"INSERT INTO analytics.{table} SELECT * FROM analytics.{table}_rows(%s::integer[])",
            (ids[kind],),
        )
        took[f"analytics.{table}"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    columns = [
        r[0] for r in conn.execute("SELECT * FROM analytics.key_figures LIMIT 0").description
    ]
    conn.execute(
        f"UPDATE analytics.key_figures SET ({', '.join(columns)}) ="
        " (SELECT * FROM analytics.key_figures_row())"
    )
    took["analytics.key_figures"] = round(time.perf_counter() - start, 3)
    return took

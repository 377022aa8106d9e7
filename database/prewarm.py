"""Read what a recommendation reads into memory when the web server starts.

A recommendation whose pages are not in memory reads 70-110 of them from disk (EXPLAIN BUFFERS at
full size): with a cold cache, p50 17.8 ms and p99 53.5 ms over random seeds, against 3.6 and
5.3 ms warm (docs/benchmarks.md, "JSON API and the client picker"). ``netfloox serve`` reads these
relations once, in the background, with ``pg_prewarm`` (mode ``read``: into the operating
system's cache, not PostgreSQL's buffers, so nothing is pinned): the embeddings and their lists,
the titles, the credits and the people that the reasons name. Best effort: a server without the
extension, or a role that may not create it, serves as before.
"""

from __future__ import annotations

import logging

import psycopg

log = logging.getLogger(__name__)

# What api.recommend reads: the seed and candidates (title, embedding), the reasons (credits,
# people, genres), the rating shown.
RELATIONS = (
    "ml.title_embedding",
    "catalog.title",
    "catalog.rating",
    "catalog.title_genre",
    "catalog.title_director",
    "catalog.title_writer",
    "catalog.principal",
    "catalog.person",
)

# Each relation, its TOAST table and every index of either.
PARTS = """
WITH rel AS (SELECT c.oid, c.reltoastrelid FROM pg_class c WHERE c.oid = to_regclass(%s))
SELECT o FROM (
    SELECT oid AS o FROM rel
    UNION ALL SELECT reltoastrelid FROM rel WHERE reltoastrelid <> 0
    UNION ALL SELECT i.indexrelid FROM pg_index i, rel
              WHERE i.indrelid IN (rel.oid, rel.reltoastrelid)) p
"""


def prewarm(url: str, relations: tuple[str, ...] = RELATIONS) -> int:
    """Read ``relations`` (with their TOAST tables and indexes) into the OS cache; the number of
    8 kB blocks read, 0 when the extension is not available to this role."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            blocks = 0
            for relation in relations:
                for (oid,) in conn.execute(PARTS, (relation,)).fetchall():
                    blocks += conn.execute("SELECT pg_prewarm(%s, 'read')", (oid,)).fetchone()[0]
    except psycopg.Error as exc:
        log.warning("no prewarm (%s): the first recommendations read from disk", exc)
        return 0
    log.info("prewarm: %.1f GB read into the OS cache", blocks * 8192 / 1e9)
    return blocks

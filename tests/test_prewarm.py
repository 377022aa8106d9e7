"""The start-up prewarm reads what a recommendation reads, and never stops a server that may not
use it."""

from __future__ import annotations

from app.db import as_app_role
from database.prewarm import RELATIONS, prewarm
from tests.test_recommend import build_catalogue


def test_prewarm_reads_every_relation_a_recommendation_reads(db, db_url):
    build_catalogue(db)
    sizes = db.execute(
        """SELECT sum(pg_relation_size(c.oid) / 8192)::bigint FROM pg_class c
           WHERE c.oid IN (SELECT to_regclass(r) FROM unnest(%s::text[]) r)""",
        (list(RELATIONS),),
    ).fetchone()[0]
    blocks = prewarm(db_url)
    assert blocks > sizes > 0  # the tables, and their indexes too


def test_a_role_that_may_not_prewarm_is_told_and_nothing_fails(db, db_url):
    build_catalogue(db)
    assert prewarm(as_app_role(db_url)) == 0  # the app role may not create the extension
    assert prewarm(db_url, ("catalog.no_such_table",)) == 0

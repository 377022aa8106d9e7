"""The build's two lanes (database/catalog_build.py): a lane that fails stops the other, whose
work is rolled back, and the failing lane's error is the one raised."""

from __future__ import annotations

from contextlib import nullcontext

import psycopg
import pytest

from database.catalog_build import CatalogBuilder, Subset


def _slow_then_mark(marker: str):
    def step(builder: CatalogBuilder) -> None:
        builder.x("SELECT pg_sleep(20)")
        builder.x(f"CREATE TABLE public.{marker} ()")  # committed if the lane ran to its end

    return step


def _broken(builder: CatalogBuilder) -> None:
    builder.x("SELECT 1 / 0")


@pytest.mark.parametrize("failing", [0, 1], ids=["first lane fails", "second lane fails"])
def test_a_failing_lane_cancels_the_other_and_raises_its_own_error(db, db_url, failing):
    lanes = [[("slow", _slow_then_mark("lane_done"))], [("slow", _slow_then_mark("lane_done"))]]
    lanes[failing] = [("broken", _broken)]
    with psycopg.connect(db_url) as conn:
        builder = CatalogBuilder(conn, 0, Subset(), lambda _: nullcontext(), url=db_url)
        with pytest.raises(psycopg.errors.DivisionByZero):
            builder.run_lanes((lanes[0], lanes[1]))
    assert db.execute("SELECT to_regclass('public.lane_done')").fetchone() == (None,)


def test_both_lanes_commit_their_work(db, db_url):
    def mark(name: str):
        return lambda builder: builder.x(f"CREATE TABLE public.{name} ()")

    with psycopg.connect(db_url) as conn:
        builder = CatalogBuilder(conn, 0, Subset(), lambda _: nullcontext(), url=db_url)
        builder.run_lanes(([("a", mark("lane_a"))], [("b", mark("lane_b"))]))
    made = (
        "SELECT to_regclass('public.lane_a') IS NOT NULL, to_regclass('public.lane_b') IS NOT NULL"
    )
    assert db.execute(made).fetchone() == (True, True)

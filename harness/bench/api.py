"""``make bench-api``: the JSON API over real HTTP, and the client picker at a service's scale.

1. The JSON API on the live database, served as ``netfloox serve`` serves it (waitress, the app's
   role and pool) on a free loopback port, called with keep-alive HTTP: ``/api/recommend`` for
   the 100 most-voted and 1,000 random recommendable seeds (first pass, then warm), and the
   other routes. Client time: HTTP, JSON and the SQL together.
2. The Recommend page's client picker on a scratch database whose log holds ``clients`` clients
   (300,000 by default, MovieLens-like activity): the section's layout, the suggestions for the
   digits typed, and /api/clients, as the page calls them; api.clients(), which the picker read
   before, timed once for comparison. The catalogue plays no part in these calls.

Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager

import numpy as np
import psycopg
import requests
from psycopg.conninfo import make_conninfo

from harness import reports
from harness.bench.full import RANDOM_SEEDS, quantile

TARGET_RECOMMEND_P99_MS = 20.0
TARGET_PICKER_P95_MS = 300.0
SCRATCH_DB = "netfloox_bench_clients"


def percentiles(times: list[float]) -> tuple[float, float, float, float]:
    """(p50, p95, p99, max) in ms, the quantiles as the full-size bench takes them."""
    ordered = sorted(times)
    return statistics.median(ordered), quantile(ordered, 0.95), quantile(ordered, 0.99), ordered[-1]


@contextmanager
def serving_api(url: str):
    """The product's server (web app + JSON API, waitress) on a free loopback port."""
    from app.db import as_app_role
    from app.server import create_server
    from harness.browser import free_port, serving

    with serving(create_server(as_app_role(url)), free_port(), production=True) as base:
        yield base


def timed_gets(session: requests.Session, base: str, paths: Iterable[str]) -> list[float]:
    times = []
    for path in paths:
        start = time.perf_counter()
        answer = session.get(base + path, timeout=30)
        answer.json()
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {answer.status_code} {answer.text[:200]}")
    return times


def seeds(url: str) -> tuple[list[str], list[str]]:
    """(100 most-voted, RANDOM_SEEDS random) recommendable tconsts."""
    with psycopg.connect(url) as conn:
        top = [
            r[0]
            for r in conn.execute(
                """SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t USING (title_id)
                   ORDER BY e.num_votes DESC, t.tconst LIMIT 100"""
            )
        ]
        random_ = [
            r[0]
            for r in conn.execute(
                """SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t USING (title_id)
                   ORDER BY hashtext(t.tconst) LIMIT %s""",
                (RANDOM_SEEDS,),
            )
        ]
    return top, random_


def http_rows(url: str, echo: Callable[[str], None]) -> list[tuple]:
    """(what, calls, p50, p95, p99, max) over HTTP on the live database, after the prewarm that
    ``netfloox serve`` runs as it starts (timed; database/prewarm.py)."""
    from database.prewarm import prewarm

    top, random_ = seeds(url)
    start = time.perf_counter()
    blocks = prewarm(url)
    seconds = (time.perf_counter() - start) * 1000
    rows = [(f"prewarm ({blocks * 8192 / 1e9:.2f} GB read), once", 1, *[seconds] * 4)]
    echo(rows[0][0] + f": {seconds / 1000:.1f} s")
    with serving_api(url) as base, requests.Session() as session:
        for label, batch in (
            ("100 most-voted seeds", top),
            (f"{len(random_):,} random seeds", random_),
        ):
            for when in ("first pass", "warm"):
                times = timed_gets(session, base, (f"/api/recommend?liked={s}" for s in batch))
                rows.append(
                    (f"GET /api/recommend, {label}, {when}", len(times), *percentiles(times))
                )
                echo(f"{rows[-1][0]}: p99 {rows[-1][4]:.1f} ms")
        pairs = [
            f"/api/recommend?liked={a}&liked={b}&k=5"
            for a, b in zip(top[::2], top[1::2], strict=False)
        ]
        times = timed_gets(session, base, pairs)
        rows.append(("GET /api/recommend, two liked films, warm", len(times), *percentiles(times)))
        others = {
            "GET /api/search/titles?q=godfathr": ["/api/search/titles?q=godfathr"] * 50,
            "GET /api/search/people?q=nolan": ["/api/search/people?q=nolan"] * 50,
            "GET /api/titles/{tconst}, 100 most-voted": [f"/api/titles/{s}" for s in top],
            "GET /api/health": ["/api/health"] * 50,
        }
        for what, paths in others.items():
            times = timed_gets(session, base, paths)
            rows.append((what, len(times), *percentiles(times)))
        times = []
        for minutes in range(80, 180, 2):
            start = time.perf_counter()
            answer = session.post(
                base + "/api/predict",
                json={"genres": ["Drama"], "runtime_minutes": minutes},
                timeout=30,
            )
            answer.json()
            times.append((time.perf_counter() - start) * 1000)
        rows.append(("POST /api/predict (a genre, a runtime)", len(times), *percentiles(times)))
    return rows


def scratch_log(server_url: str, clients: int, echo: Callable[[str], None]) -> str:
    """A migrated scratch database whose rating log holds ``clients`` clients; its URL."""
    from database.migrate import migrate
    from database.server import create_database

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        create_database(admin, SCRATCH_DB)
    url = make_conninfo(server_url, dbname=SCRATCH_DB)
    migrate(url)
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        # MovieLens-like activity: at least 20 ratings, a Pareto tail (mean about 52).
        conn.execute("SELECT setseed(0.42)")
        conn.execute(
            """INSERT INTO clientlog.rating (client_id, title_id, rating, rated_at)
               SELECT c, 1000000 + (c::bigint * 7919 + i * 104729) %% 5000000,
                      0.5 + floor(random() * 10) / 2, now() - i * interval '1 hour'
               FROM generate_series(1, %s) c
               CROSS JOIN LATERAL generate_series(
                   1, least(2000, 12 + floor(8 / power(1 - random(), 0.8))::int + 0 * c)) i""",
            (clients,),
        )
        conn.execute("ANALYZE clientlog.rating")
        n = conn.execute("SELECT count(*) FROM clientlog.rating").fetchone()[0]
    echo(
        f"scratch log: {n:,} ratings by {clients:,} clients in {time.perf_counter() - start:.0f} s"
    )
    return url


def picker_rows(server_url: str, clients: int, echo: Callable[[str], None]) -> tuple[list, int]:
    """(what, calls, p50, p95, p99, max) of the client picker on a log of ``clients`` clients."""
    from app.db import as_app_role, db
    from app.web import create_app
    from app.web.pages import recommend

    url = scratch_log(server_url, clients, echo)
    try:
        create_app(as_app_role(url))
        rng = np.random.default_rng(0)
        typed = [str(x) for x in rng.integers(1, clients, 100)]
        prefixes = [p[:n] for p in typed for n in (1, 2, 3, 4)]
        cases = {
            "Recommend page: the client section (layout)": [recommend.client_section] * 20,
            "client picker: 1 to 4 digits typed (400 prefixes of random ids)": [
                (lambda p=p: recommend.update_client_suggestions(p, None)) for p in prefixes
            ],
            "client picker: a whole id typed (100 random ids)": [
                (lambda p=p: recommend.update_client_suggestions(p, None)) for p in typed
            ],
            "client picker: a client chosen, more digits typed": [
                (lambda p=p: recommend.update_client_suggestions(p[:2], int(p))) for p in typed
            ],
        }
        rows = []
        for what, calls in cases.items():
            calls[0]()  # warm-up
            times = []
            for call in calls:
                start = time.perf_counter()
                call()
                times.append((time.perf_counter() - start) * 1000)
            rows.append((what, len(times), *percentiles(times)))
            echo(f"{what}: p95 {rows[-1][3]:.1f} ms")
        with serving_api(url) as base, requests.Session() as session:
            times = timed_gets(session, base, (f"/api/clients?q={p}" for p in prefixes))
            rows.append(
                ("GET /api/clients?q=… (the 400 prefixes)", len(times), *percentiles(times))
            )
        start = time.perf_counter()
        every = len(db().fetch("SELECT * FROM api.clients()"))
        old = (time.perf_counter() - start) * 1000
        rows.append(
            (f"before: api.clients(), every client ({every:,}), once", 1, old, old, old, old)
        )
        return rows, every
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


def table(rows: list[tuple]) -> str:
    lines = [
        "| call | calls | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {w} | {n:,} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} |" for w, n, a, b, c, d in rows
    ]
    return "\n".join(lines)


def main(url: str, server_url: str, clients: int, echo: Callable[[str], None] = print) -> None:
    with psycopg.connect(url) as conn:
        titles = conn.execute("SELECT count(*) FROM ml.title_embedding").fetchone()[0]
    http = http_rows(url, echo)
    worst = max(r[4] for r in http if r[0].startswith("GET /api/recommend"))
    picker, every = picker_rows(server_url, clients, echo)
    worst_picker = max(r[3] for r in picker if not r[0].startswith("before"))
    recommend_verdict = "met" if worst <= TARGET_RECOMMEND_P99_MS else "NOT met"
    picker_verdict = "met" if worst_picker <= TARGET_PICKER_P95_MS else "NOT met"
    body = f"""The JSON API served as `netfloox serve` serves it (waitress, 8 threads, the app's
role and pool) on the database {conninfo_name(url)} ({titles:,} recommendable titles), called over
loopback HTTP with keep-alive, one call at a time: client time, HTTP + JSON + SQL.

{table(http)}

Target: `/api/recommend` p99 ≤ {TARGET_RECOMMEND_P99_MS:.0f} ms: **{recommend_verdict}** (worst p99
{worst:.1f} ms).

The Recommend page's client picker on a scratch database whose rating log holds
**{every:,} clients** (MovieLens-like activity), called in the server process as Dash calls it
(JSON serialisation not included), then /api/clients over HTTP:

{table(picker)}

Target: the picker p95 ≤ {TARGET_PICKER_P95_MS:.0f} ms: **{picker_verdict}** (worst p95
{worst_picker:.1f} ms)."""
    reports.write_section("JSON API and the client picker", "make bench-api", body)
    echo(f"recommend p99 {worst:.1f} ms, picker p95 {worst_picker:.1f} ms; docs/benchmarks.md")


def conninfo_name(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return f"`{conninfo_to_dict(url).get('dbname', '?')}`"

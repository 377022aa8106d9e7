"""``netfloox bench recommend``: latency of recommend() on the catalogue, and HNSW at scale.

1. On the live catalogue: p50/p99 of ``recommend(tconst, 5)`` warm, without and with filters.
2. On N generated vectors of the same dimension (clustered, in a scratch schema ``bench_vec``):
   HNSW build time and size, p50/p99 of a top-5 query without and with a filter (iterative scan),
   and recall@5 of the index against an exact scan.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
import psycopg

from database import benchdoc
from ml.embeddings import DIM

QUERIES = 200


def _percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"{np.percentile(ms, 50):.2f} | {np.percentile(ms, 99):.2f}"


def _timed(conn: psycopg.Connection, sql: str, params_list: list[tuple]) -> list[float]:
    for params in params_list[:20]:  # warm-up
        conn.execute(sql, params).fetchall()
    out = []
    for params in params_list:
        start = time.perf_counter()
        conn.execute(sql, params).fetchall()
        out.append(time.perf_counter() - start)
    return out


def catalogue_latency(conn: psycopg.Connection) -> list[str]:
    seeds = [
        (r[0],)
        for r in conn.execute(
            """SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t USING (title_id)
           ORDER BY hashtext(t.tconst) LIMIT %s""",
            (QUERIES,),
        )
    ]
    plain = _timed(conn, "SELECT * FROM api.recommend(%s, 5)", seeds)
    filtered = _timed(
        conn,
        "SELECT * FROM api.recommend(%s, 5, genre => 'Drama',"
        " year_from => 2000, min_votes => 1000)",
        seeds,
    )
    n = conn.execute("SELECT count(*) FROM ml.title_embedding").fetchone()[0]
    return [
        f"| catalogue ({n:,} vectors), `recommend(tconst, 5)` | {_percentiles(plain)} |",
        f"| same, with genre + years + min votes filters | {_percentiles(filtered)} |",
    ]


def _vector(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.5f}" for x in v) + "]"


def scale_run(conn: psycopg.Connection, n: int, echo: Callable[[str], None]) -> list[str]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(1000, DIM))
    conn.execute("DROP SCHEMA IF EXISTS bench_vec CASCADE")
    conn.execute("CREATE SCHEMA bench_vec")
    conn.execute(
        f"CREATE TABLE bench_vec.item (id integer PRIMARY KEY, grp integer,"
        f" embedding vector({DIM}))"
    )
    echo(f"writing {n:,} vectors")
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        v = centres[rng.integers(0, 1000, size)] + 0.5 * rng.normal(size=(size, DIM))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        buf = io.StringIO()
        for i in range(size):
            buf.write(f"{start + i}\t{(start + i) % 20}\t{_vector(v[i])}\n")
        with conn.cursor().copy("COPY bench_vec.item FROM STDIN") as copy:
            copy.write(buf.getvalue())
    echo("building the HNSW index (serial, m=16, ef_construction=64)")
    conn.execute("SET maintenance_work_mem = '2GB'")
    conn.execute("SET max_parallel_maintenance_workers = 0")
    start = time.perf_counter()
    conn.execute(
        "CREATE INDEX item_hnsw ON bench_vec.item USING hnsw"
        " (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )
    build = time.perf_counter() - start
    size = conn.execute(
        "SELECT pg_size_pretty(pg_relation_size('bench_vec.item_hnsw'))"
    ).fetchone()[0]
    conn.execute("ANALYZE bench_vec.item")
    queries = [
        (_vector(q / np.linalg.norm(q)),)
        for q in centres[rng.integers(0, 1000, QUERIES)] + 0.5 * rng.normal(size=(QUERIES, DIM))
    ]
    conn.execute("SET hnsw.ef_search = 100")
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    top5 = "SELECT id FROM bench_vec.item ORDER BY embedding <=> %s::vector LIMIT 5"
    filtered = (
        "SELECT id FROM bench_vec.item WHERE grp = 3 ORDER BY embedding <=> %s::vector LIMIT 5"
    )
    plain_t = _timed(conn, top5, queries)
    filter_t = _timed(conn, filtered, queries)
    approx = [{r[0] for r in conn.execute(top5, q)} for q in queries[:100]]
    conn.execute("SET enable_indexscan = off")
    exact = [{r[0] for r in conn.execute(top5, q)} for q in queries[:100]]
    conn.execute("RESET enable_indexscan")
    recall = np.mean([len(a & e) / 5 for a, e in zip(approx, exact, strict=True)])
    conn.execute("DROP SCHEMA bench_vec CASCADE")
    return [
        f"| {n:,} generated vectors, top-5 | {_percentiles(plain_t)} |",
        f"| same, filtered to 1/20 of the rows (iterative scan) | {_percentiles(filter_t)} |",
        "",
        f"HNSW build on {n:,} vectors of {DIM} dimensions: {build:.0f} s (serial), index "
        f"{size}; recall@5 against an exact scan: {recall:.3f} (ef_search 100).",
    ]


def main(url: str, vectors: int, echo: Callable[[str], None] = print) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        lines = ["| query | p50 (ms) | p99 (ms) |", "| --- | ---: | ---: |"]
        lines += catalogue_latency(conn)
        lines += scale_run(conn, vectors, echo)
    body = "\n".join(lines) + (
        f"\n\nWarm, {QUERIES} queries each, from one client on the same machine."
        " Target: p99 ≤ 10 ms at 1 M vectors with recall@5 ≥ 0.95."
    )
    benchdoc.write_section(
        "Recommender latency", f"make bench-recommend  # --vectors {vectors}", body
    )
    echo(body)

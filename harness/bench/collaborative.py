"""``netfloox bench collaborative``: the collaborative model (EASE, ml/collaborative.py) on a
generated client log shaped like a real one, timed and measured in a child process.

The log: a power law of ratings per client and per film (Zipf-like popularity), ``clients``
clients, ``films`` films, about ``ratings`` ratings of which the likes (about half, as in
MovieLens) enter the model. The child process builds the item vectors as training does and
reports its wall time and peak memory (``ru_maxrss``). Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import multiprocessing
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from database import config
from database.server import create_database
from harness import reports
from ml.collaborative import MAX_FILMS, item_vectors

# MovieLens' share of each star value (ml-latest-small): about half the ratings are 4 or more
STARS = np.arange(1, 11) / 2
STAR_SHARE = np.array([1.4, 2.8, 1.8, 7.5, 5.6, 19.9, 13.0, 26.6, 7.7, 13.3])


def power_law_ratings(
    ratings: int, clients: int, films: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """About ``ratings`` distinct (film row, client, stars): film popularity ~ 1/rank^0.9,
    client activity ~ Pareto(1.2), stars drawn as MovieLens' are. A client rates a film once:
    pairs are drawn until that many distinct ones are found (a power law repeats many)."""
    rng = np.random.default_rng(seed)
    film_p = 1.0 / np.arange(1, films + 1) ** 0.9
    film_p /= film_p.sum()
    activity = rng.pareto(1.2, clients) + 1
    client_p = activity / activity.sum()
    pairs = np.zeros(0, np.int64)
    for _ in range(10):
        missing = ratings - len(pairs)
        if missing <= ratings // 1000:
            break
        draw = int(missing * 1.5)
        rows = rng.choice(films, draw, p=film_p).astype(np.int64)
        who = rng.choice(clients, draw, p=client_p).astype(np.int64)
        pairs = np.unique(np.concatenate([pairs, rows * clients + who]))
    pairs = rng.permutation(pairs)[:ratings]
    stars = rng.choice(STARS, len(pairs), p=STAR_SHARE / STAR_SHARE.sum())
    return (pairs // clients).astype(np.int32), (pairs % clients).astype(np.int32), stars


def power_law_log(
    ratings: int, clients: int, films: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The likes (4 stars or more) of ``power_law_ratings``: (film row, client)."""
    rows, who, stars = power_law_ratings(ratings, clients, films, seed)
    liked = stars >= 4
    return rows[liked], who[liked]


def _train(args, queue) -> None:
    ratings, clients, films = args
    start = time.perf_counter()
    rows, who = power_law_log(ratings, clients, films)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    got = item_vectors(rows, who, films, dim=64)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    kept = int((got.likes > 0).sum())
    queue.put((len(rows), generated, seconds, peak, kept, got.clients))


def measure(ratings: int, clients: int, films: int) -> tuple:
    queue = multiprocessing.get_context("spawn").Queue()
    child = multiprocessing.get_context("spawn").Process(
        target=_train, args=((ratings, clients, films), queue)
    )
    child.start()
    result = queue.get()
    child.join()
    return result


def main(
    server_url: str,
    ratings: int = 20_000_000,
    clients: int = 300_000,
    films: int = 50_000,
    end_to_end: bool = True,
    echo: Callable[[str], None] = print,
) -> None:
    likes, generated, seconds, peak, kept, active = measure(ratings, clients, films)
    body = f"""The model alone: a generated log of {ratings:,} ratings ({likes:,} distinct likes)
by {clients:,} clients on {films:,} films (popularity ~ 1/rank^0.9, client activity Pareto(1.2));
EASE over the {kept:,} most-liked films (cap {MAX_FILMS:,}), {active:,} clients with a like.

| step | wall time | peak memory (process) |
| --- | ---: | ---: |
| generate the log | {generated:.0f} s | |
| EASE item vectors (Gram, inverse, SVD to 64 dims) | **{seconds:.0f} s** | **{peak:.1f} GiB** |"""
    if end_to_end:
        body += "\n\n" + service_scale(server_url, ratings, clients, films, echo)
    reports.write_section(
        "Collaborative model at a service's scale",
        f"netfloox bench collaborative --ratings {ratings} --clients {clients} --films {films}",
        body,
    )
    echo(body)


SERVICE_DB = "netfloox_bench_log"


def write_log_files(
    folder: Path, title_ids: list[int], ratings: int, clients: int, seed: int = 0
) -> int:
    """ratings.csv and links.csv (MovieLens format) of a power-law log over ``title_ids`` (the
    most popular first); returns the ratings written."""
    rows, who, stars = power_law_ratings(ratings, clients, len(title_ids), seed)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"movieId": np.arange(1, len(title_ids) + 1), "imdbId": title_ids, "tmdbId": 0}
    ).to_csv(folder / "links.csv", index=False)
    stamps = 1_700_000_000 + np.random.default_rng(seed).integers(0, 31_536_000, len(rows))
    order = np.argsort(stamps, kind="stable")  # a log is written in time order
    pd.DataFrame(
        {
            "userId": who[order] + 1,
            "movieId": rows[order] + 1,
            "rating": stars[order],
            "timestamp": stamps[order],
        }
    ).to_csv(folder / "ratings.csv", index=False, chunksize=1_000_000)
    return len(rows)


def service_scale(
    server_url: str,
    ratings: int = 20_000_000,
    clients: int = 300_000,
    films: int = 50_000,
    echo: Callable[[str], None] = print,
) -> str:
    """`netfloox import ratings` then `netfloox train recommender` of a generated log over the
    live catalogue's ``films`` most-voted recommendable titles, on a copy of the live database
    (CREATE DATABASE ... TEMPLATE: the live log and models are not touched); both commands are
    timed with their peaks (client process and server), then the copy and the files go."""
    from harness.bench.full import GB, run_step

    live = conninfo_to_dict(server_url).get("dbname") or "netfloox"
    url = make_conninfo(server_url, dbname=SERVICE_DB)
    folder = config.home_dir() / "bench-log"
    data_dir = config.pgdata_dir() if not config.external_database_url() else folder
    with psycopg.connect(server_url, autocommit=True) as conn:
        title_ids = [
            r[0]
            for r in conn.execute(
                """SELECT title_id FROM ml.title_embedding
                   ORDER BY num_votes DESC, title_id LIMIT %s""",
                (films,),
            )
        ]
    start = time.perf_counter()
    written = write_log_files(folder, title_ids, ratings, clients)
    echo(f"generated {written:,} ratings in {time.perf_counter() - start:.0f} s")
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SERVICE_DB} WITH (FORCE)")
        try:
            create_database(admin, SERVICE_DB, template=live)
        except psycopg.errors.ObjectInUse as exc:
            raise RuntimeError(
                f"cannot copy {live}: other sessions use it (stop `netfloox serve`)"
            ) from exc
    try:
        baseline = shutil.disk_usage(data_dir).used
        steps = [
            run_step(
                "netfloox import ratings",
                ["import", "ratings", "--source", str(folder), "--force"],
                url,
                data_dir,
                baseline,
                echo,
            ),
            run_step(
                "netfloox train recommender",
                ["train", "recommender"],
                url,
                data_dir,
                baseline,
                echo,
            ),
        ]
        with psycopg.connect(url) as conn:
            kept, clients_seen = conn.execute(
                """SELECT (metrics->>'titles_with_likes')::int, (metrics->>'clients')::int
                   FROM ml.embedding_model WHERE active"""
            ).fetchone()
            catalogue = conn.execute("SELECT count(*) FROM ml.title_embedding").fetchone()[0]
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SERVICE_DB} WITH (FORCE)")
        shutil.rmtree(folder, ignore_errors=True)
    rows = "\n".join(
        f"| `{s.name}` | **{s.seconds:,.0f} s** | {s.client_peak / GB:.1f} GB | "
        f"{s.server_peak / GB:.1f} GB |"
        for s in steps
    )
    total = sum(s.seconds for s in steps)
    return f"""End to end, on a copy of the live database ({catalogue:,} recommendable titles): a
generated log of {written:,} ratings by {clients:,} clients over its {films:,} most-voted titles
(same power laws; stars drawn as MovieLens'), loaded and trained with the CLI. EASE kept the
{kept:,} most-liked films (cap {MAX_FILMS:,}); {clients_seen:,} clients with a like.

| command | wall time | peak memory, the command | peak memory, PostgreSQL (all processes, PSS) |
| --- | ---: | ---: | ---: |
{rows}

Both: **{total / 60:.1f} min** (target: 15 min, 8 GB)."""

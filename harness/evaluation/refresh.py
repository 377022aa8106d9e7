"""``netfloox eval refresh``: how far `train --refresh` drifts from a full training.

On a copy of the live database (``CREATE DATABASE ... TEMPLATE``; the live one is not touched):

1. a full training (the reference of day 1, with its stored projection);
2. the next day of the catalogue's files (harness/imdb_next_day.py, ``rate`` of the titles
   changed) applied as a refresh import, then ``train --refresh``;
3. a full training on the same day 2.

Between 2 and 3, for 1,000 random recommendable seeds and the 300 most-voted: the overlap of the
two top-5s, the share of identical top-5s, and the evaluation on the even MovieLens users (the
co-like protocol's precision@5, harness/evaluation/recommend.py) of both models.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from database.connection import connect
from database.imdb_import import ImportOptions, run_import
from database.server import create_database
from harness.evaluation.recommend import (
    build_split,
    load_movielens,
    load_stored,
    score,
    sql_recommendations,
)
from harness.imdb_next_day import next_day
from ml.embedding_refresh import refresh
from ml.embeddings import train

COPY_DB = "netfloox_eval_refresh"


def top5s(conn: psycopg.Connection, seeds: list[str]) -> dict[str, list[str]]:
    return {
        s: [r[0] for r in conn.execute("SELECT tconst FROM api.recommend(%s, 5)", (s,))]
        for s in seeds
    }


def held_out_precision(conn: psycopg.Connection) -> float:
    stored = load_stored(conn)
    catalogue = set(stored.title_ids.tolist())
    split = build_split(load_movielens(), 0, catalogue)
    return score(split, sql_recommendations(conn, split.seeds), len(catalogue))["precision@5"]


def main(
    server_url: str, source: str, rate: float = 0.01, echo: Callable[[str], None] = print
) -> dict:
    live = conninfo_to_dict(server_url).get("dbname") or "netfloox"
    url = make_conninfo(server_url, dbname=COPY_DB)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {COPY_DB} WITH (FORCE)")
        create_database(admin, COPY_DB, template=live)
    try:
        with tempfile.TemporaryDirectory() as tmp, connect(url, autocommit=True) as conn:
            options = conn.execute(
                "SELECT r.options FROM ops.catalog_source s JOIN ops.import_run r USING (run_id)"
                " LIMIT 1"
            ).fetchone()[0]
            echo("day 1: full training")
            train(conn)
            changed = next_day(Path(source), Path(tmp) / "day2", rate=rate)
            echo(f"day 2: {changed}; refresh import")
            report = run_import(
                url,
                str(Path(tmp) / "day2"),
                ImportOptions(
                    title_types=tuple(options["title_types"] or ()) or None,
                    min_votes=options["min_votes"],
                ),
                echo=lambda _: None,
            )
            start = time.perf_counter()
            _, changes = refresh(conn)
            refresh_seconds = time.perf_counter() - start
            seeds = [
                r[0]
                for r in conn.execute(
                    """(SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t
                        USING (title_id) ORDER BY hashint4(e.title_id) LIMIT 1000)
                       UNION
                       (SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t
                        USING (title_id) ORDER BY e.num_votes DESC LIMIT 300)"""
                )
            ]
            refreshed, refreshed_p = top5s(conn, seeds), held_out_precision(conn)
            echo("day 2: full training")
            start = time.perf_counter()
            train(conn)
            train_seconds = time.perf_counter() - start
            full, full_p = top5s(conn, seeds), held_out_precision(conn)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {COPY_DB} WITH (FORCE)")
    overlap = [len(set(refreshed[s]) & set(full[s])) / 5 for s in seeds]
    return {
        "rate": rate,
        "day 2": changed,
        "import mode": report.mode,
        "new titles embedded": changes["new_titles"],
        "tokens unknown to the fit": changes["tokens_unknown_to_the_fit"],
        "train --refresh seconds": round(refresh_seconds, 1),
        "full training seconds": round(train_seconds, 1),
        "seeds": len(seeds),
        "mean top-5 overlap": sum(overlap) / len(overlap),
        "minimum top-5 overlap": min(overlap),
        "identical top-5s": sum(refreshed[s] == full[s] for s in seeds) / len(seeds),
        "precision@5 even users, refreshed": refreshed_p,
        "precision@5 even users, full training": full_p,
    }


def write_report(server_url: str, source: str, rate: float, echo) -> str:
    from harness.reports import write_evaluation

    r = main(server_url, source, rate, echo)
    rows = "\n".join(
        f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in r.items()
    )
    body = f"""The catalogue's files ({source}) and their next day ({rate:.0%} of the titles
changed), on a copy of the database: `train --refresh` after the refresh import, against a full
training on the same day.

| measure | value |
| --- | ---: |
{rows}"""
    write_evaluation("Refresh vs full training", f"netfloox eval refresh --rate {rate}", body)
    return body

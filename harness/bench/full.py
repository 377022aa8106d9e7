"""``make bench-full`` (``netfloox bench full``): the whole product at the full dump's size.

Generated IMDb-shaped files (``harness/imdb_generator.py``, the full dump's shape; reused when
the folder already holds that size) go through the CLI, as a data engineer runs it, into a fresh
database ``netfloox_full`` on the same server: ``netfloox import``, then ``netfloox train``. For
each step: wall time, peak memory of the server processes (sum of their PSS, so that shared
buffers count once) and of the CLI process, peak disk used on the data directory's filesystem.
Then serving on the result: how the titles collapse into points, ``recommend`` on the 100
most-voted seeds and on 1,000 random ones (first pass, then warm; per kind: answered from a list
or by the exact scan, with the share of each and the slowest call), the Recommend page's filtered
call on random movies, ``predict_rating``, and the app's callbacks. Results go to
docs/benchmarks.md. A benchmark: CI never runs it (hours and tens of GB at full size).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from psycopg.conninfo import make_conninfo

from database import config
from database.server import create_database
from harness import reports
from harness.bench.imports import generate

FULL_ROWS = 200_000_000  # ~ the full dump: 11.8 M titles, 96.7 M principals, 14.8 M people...
BENCH_DB = "netfloox_full"
GB = 1024**3
# Measured at full size before the lean import (issue 11): 60 GB peak for 2.0 GB of gzip; the
# check asks for that, scaled to the rows asked, plus the generated files.
PEAK_BYTES_PER_ROW = 60 * GB / FULL_ROWS
FILE_BYTES_PER_ROW = 2.0 * GB / FULL_ROWS


def server_pss_bytes() -> int:
    """Proportional set size of every PostgreSQL process (Linux /proc; 0 elsewhere)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:  # the process ended, or is not ours to read
            continue
    return total


class Peaks(threading.Thread):
    """Samples server memory and disk use every ``every`` seconds until stopped."""

    def __init__(self, disk_path: Path, every: float = 1.0):
        super().__init__(daemon=True)
        self.disk_path, self.every = disk_path, every
        self.baseline_used = shutil.disk_usage(disk_path).used
        self.memory = self.disk = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.memory = max(self.memory, server_pss_bytes())
            self.disk = max(self.disk, shutil.disk_usage(self.disk_path).used)
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()


@dataclass
class Step:
    name: str
    seconds: float
    server_peak: int
    client_peak: int
    disk_peak: int  # bytes used on the filesystem at the step's peak, minus before the run


def run_step(name: str, args: list[str], url: str, disk_path: Path, baseline: int, echo) -> Step:
    """One CLI command on the bench database, with its peaks; fails loudly if it fails."""
    env = {**os.environ, "DATABASE_URL": url}
    peaks = Peaks(disk_path)
    peaks.start()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    peaks.stop()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"`netfloox {' '.join(args)}` failed (exit {status})")
    step = Step(name, seconds, peaks.memory, usage.ru_maxrss * 1024, peaks.disk - baseline)
    echo(
        f"{name}: {seconds:,.0f} s, server {step.server_peak / GB:.1f} GB, "
        f"client {step.client_peak / GB:.1f} GB, disk +{step.disk_peak / GB:.1f} GB"
    )
    return step


def sizes(url: str) -> dict[str, int]:
    """Bytes per schema of the bench database, the 12 largest relations, the whole database."""
    with psycopg.connect(url) as conn:
        largest = conn.execute(
            """SELECT n.nspname || '.' || c.relname, pg_total_relation_size(c.oid)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'm') AND n.nspname NOT LIKE 'pg_%'
               ORDER BY 2 DESC LIMIT 12"""
        ).fetchall()
        rows = conn.execute(
            """SELECT n.nspname, sum(pg_total_relation_size(c.oid))::bigint
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'm') AND n.nspname NOT LIKE 'pg_%'
                 AND n.nspname <> 'information_schema'
               GROUP BY 1 ORDER BY 2 DESC"""
        ).fetchall()
        (total,) = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return {**dict(rows), **{f"  {name}": b for name, b in largest}, "(database)": total}


def quantile(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted times: the value with a share q of them at or below it."""
    return ordered[max(0, int(round(q * len(ordered))) - 1)]


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), quantile(times, 0.99)


RANDOM_SEEDS = 1000
PAGE_CALL = """SELECT * FROM api.recommend(%s, 5, title_types => '{movie}', year_from => 1920,
                                         year_to => 2030, min_votes => 1000)"""


def points_shape(conn: psycopg.Connection) -> dict[str, int]:
    """How the recommendable titles collapse into points, and how many points have a list."""
    row = conn.execute(
        """SELECT count(*), count(*) FILTER (WHERE title_id = point_id),
                  count(*) FILTER (WHERE title_id = point_id AND neighbours IS NOT NULL),
                  (SELECT max(c) FROM (SELECT count(*) c FROM ml.title_embedding
                                       GROUP BY point_id) g)
           FROM ml.title_embedding"""
    ).fetchone()
    return dict(zip(("titles", "points", "listed points", "largest group"), row, strict=True))


def _timed_calls(conn, sql: str, seeds: list[str]) -> list[float]:
    times = []
    for seed in seeds:
        start = time.perf_counter()
        conn.execute(sql, (seed,)).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return times


def serving(url: str) -> tuple[list[tuple[str, float, float]], list[str]]:
    """(what, p50 ms, p99 ms) of the public functions on the bench database, and notes: the
    points' shape, the share of random seeds on the scan path, the worst times."""
    rows, notes = [], []
    with psycopg.connect(url, autocommit=True) as conn:
        shape = points_shape(conn)
        notes.append(
            f"{shape['titles']:,} recommendable titles, {shape['points']:,} points "
            f"({shape['points'] / max(shape['titles'], 1):.1%}), {shape['listed points']:,} "
            f"with a list, largest group {shape['largest group']:,} titles."
        )
        most_voted = [
            r[0]
            for r in conn.execute(
                """SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t USING (title_id)
                   JOIN catalog.rating r USING (title_id) ORDER BY r.num_votes DESC LIMIT 100"""
            )
        ]
        random_seeds = conn.execute(
            """SELECT t.tconst, p.neighbours IS NOT NULL, e.title_type = 'movie'
               FROM ml.title_embedding e
               JOIN ml.title_embedding p ON p.title_id = e.point_id
               JOIN catalog.title t ON t.title_id = e.title_id
               ORDER BY hashtext(t.tconst) LIMIT %s""",
            (RANDOM_SEEDS,),
        ).fetchall()
        seeds = [r[0] for r in random_seeds]
        listed = np.array([r[1] for r in random_seeds], dtype=bool)
        for label, batch in (("first pass", most_voted), ("warm", most_voted)):
            times = _timed_calls(conn, "SELECT * FROM api.recommend(%s, 5)", batch)
            rows.append(
                (f"recommend(tconst, 5), 100 most-voted seeds, {label}", *percentiles(times))
            )
        for label in ("first pass", "warm"):
            times = np.array(_timed_calls(conn, "SELECT * FROM api.recommend(%s, 5)", seeds))
            rows.append(
                (f"recommend(tconst, 5), {len(seeds):,} random seeds, {label}", *percentiles(times))
            )
            for kind, mask in (("with a list", listed), ("exact scan", ~listed)):
                if mask.any() and not mask.all():
                    rows.append(
                        (
                            f"— of which {kind} ({mask.sum():,}), {label}",
                            *percentiles(times[mask].tolist()),
                        )
                    )
            notes.append(
                f"Random seeds, {label}: {(~listed).mean():.1%} on the scan path, "
                f"{(times > 10).mean():.1%} over 10 ms, {(times > 50).mean():.1%} over 50 ms, "
                f"slowest {times.max():.1f} ms."
            )
        movies = [r[0] for r in random_seeds if r[2]][:200]
        times = _timed_calls(conn, PAGE_CALL, movies)
        rows.append(
            (
                f"the Recommend page's call (movies, 1920-2030, >= 1,000 votes), {len(movies)} "
                "random movie seeds, warm",
                *percentiles(times),
            )
        )
        times = []
        for i in range(50):
            start = time.perf_counter()
            conn.execute(
                "SELECT * FROM api.predict_rating(genres => %s, runtime_minutes => %s)",
                (["Drama"], 90 + i),
            ).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        rows.append(("predict_rating, 50 calls (first included)", *percentiles(times)))
    return rows, notes


def app_callbacks(url: str) -> list[tuple[str, float, float]]:
    """(callback, p50 ms, p95 ms): the cases of ``make bench-app`` on the bench database."""
    from app.db import as_app_role
    from app.web import create_app
    from harness.bench.app import cases, measure

    create_app(as_app_role(url))
    out = []
    for name, fn in cases().items():
        times = sorted(measure(fn, repeats=10))
        out.append((name, statistics.median(times), times[int(0.95 * (len(times) - 1))]))
    return out


def check_disk(rows: int, folder: Path, data_dir: Path, echo) -> None:
    need = rows * PEAK_BYTES_PER_ROW
    if not (folder / "rows.json").exists():
        need += rows * FILE_BYTES_PER_ROW
    free = shutil.disk_usage(data_dir).free
    echo(f"disk: this run needs up to ~{need / GB:.0f} GB; {free / GB:.0f} GB free")
    if free < need:
        raise RuntimeError(
            f"not enough free disk for {rows:,} rows: ~{need / GB:.0f} GB needed, "
            f"{free / GB:.0f} GB free on {data_dir}; use --rows for a smaller run"
        )


def render(rows: int, steps: list[Step], size: dict[str, int], serve, app) -> str:
    fresh = steps and steps[0].name == "netfloox import"
    where = "a fresh database" if fresh else "the kept database"
    lines = [
        f"{rows:,} generated rows shaped like the real dump (harness/imdb_generator.py, its "
        f"TARGETS), through the CLI into {where} "
        "on the embedded server. Peak memory: the server processes' PSS summed (shared "
        "buffers counted once) and the CLI process's max RSS; peak disk: the data "
        "filesystem's use above its level before the step.",
        "",
        "| step | wall time | server memory peak | CLI memory peak | disk peak |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for s in steps:
        lines.append(
            f"| {s.name} | {s.seconds / 60:.1f} min | {s.server_peak / GB:.1f} GB | "
            f"{s.client_peak / GB:.1f} GB | {s.disk_peak / GB:.1f} GB |"
        )
    if not steps:
        lines = lines[:1]
    after = steps[-1].name if steps else "last run"
    lines += ["", f"| database after the {after} | size |", "| --- | ---: |"]
    lines += [f"| {k} | {v / GB:.2f} GB |" for k, v in size.items()]
    if serve:
        lines += ["", "| call | p50 ms | p99 ms |", "| --- | ---: | ---: |"]
        lines += [f"| {n} | {a:.1f} | {b:.1f} |" for n, a, b in serve]
    if app:
        lines += ["", "| app callback | p50 ms | p95 ms |", "| --- | ---: | ---: |"]
        lines += [f"| {n} | {a:.1f} | {b:.1f} |" for n, a, b in app]
    return "\n".join(lines)


def require_kept(server_url: str) -> None:
    """The database a ``--keep`` run left, or a clear error."""
    with psycopg.connect(server_url, autocommit=True) as admin:
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)
        ).fetchone():
            raise RuntimeError(f"no database {BENCH_DB}: run `bench full --keep` first")


def main(
    server_url: str,
    rows: int,
    workdir: str | None,
    keep: bool,
    echo: Callable[[str], None],
    title_types: str = "all",
    import_only: bool = False,
    train_only: bool = False,
    serve_only: bool = False,
) -> None:
    """``train_only``: train and serve on the database a previous ``--keep`` run left (the
    import is the longest step; the training is what changes most often); ``serve_only``: only
    serve on it (after a migration that changed a query, say)."""
    train_only = train_only or serve_only
    folder = Path(workdir) if workdir else config.home_dir() / "bench-full"
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = config.pgdata_dir() if not config.external_database_url() else folder
    url = make_conninfo(server_url, dbname=BENCH_DB)
    steps = []
    if train_only:
        baseline = shutil.disk_usage(data_dir).used
        require_kept(server_url)
    else:
        check_disk(rows, folder, data_dir, echo)
        baseline = shutil.disk_usage(data_dir).used
        generate(rows, folder, echo)
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            create_database(admin, BENCH_DB)
    try:
        if not train_only:
            steps.append(
                run_step(
                    "netfloox import",
                    ["import", "--source", str(folder), "--force", "--no-disk-check"]
                    + ["--title-types", title_types],
                    url,
                    data_dir,
                    baseline,
                    echo,
                )
            )
        if not import_only and not serve_only:
            steps.append(run_step("netfloox train", ["-v", "train"], url, data_dir, baseline, echo))
        size = sizes(url)
        serve, notes = ([], []) if import_only else serving(url)
        app = [] if import_only else app_callbacks(url)
    finally:
        if not keep:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    body = "\n\n".join(
        [render(rows, steps, size, serve, app), *notes, f"Title types imported: {title_types}."]
    )
    millions = f"{rows / 1e6:.0f} M" if rows >= 1e6 else f"{rows:,}"
    what = (
        "import only"
        if import_only
        else "serving"
        if serve_only
        else "training"
        if train_only
        else "run"
    )
    flag = (
        " --import-only"
        if import_only
        else " --serve-only"
        if serve_only
        else " --train-only"
        if train_only
        else ""
    )
    if title_types != "all":
        flag += f" --title-types {title_types}"
    kept = "" if title_types == "all" else ", a subset of the types"  # its own section
    reports.write_section(
        f"Full-size {what}, {millions} rows shaped like IMDb{kept}",
        f"netfloox bench full --rows {rows}{flag}",
        body,
    )
    echo(body)

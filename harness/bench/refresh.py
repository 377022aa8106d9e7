"""``netfloox bench refresh``: the daily refresh against the rebuild, on generated days.

Day 1: generated IMDb-shaped files (harness/imdb_generator.py), imported into a fresh database
``netfloox_refresh`` (a rebuild). Day 2: the next day of those files (harness/imdb_next_day.py,
``rate`` of the titles changed), applied with ``netfloox import`` (a refresh), then the same day
again with ``netfloox import --full --force`` (the rebuild it replaces). Each step through the CLI
with its wall time and peaks (harness/bench/full.py); during each, a reader runs the queries a page
runs (a title by id, the key figures, a title search) in a loop and the slowest answer is kept:
how long a reader waited. Results go to docs/benchmarks.md; the database and files are deleted.

``on_full`` (``--on-full``): the full-size day 2, on what ``bench full --keep`` left (its files,
every title type, and its trained database ``netfloox_full``): the refresh import, then
``netfloox train --refresh``, each with a reader. The database is kept; day 2's files deleted.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from database import config, kept_files
from database.server import create_database
from harness import reports
from harness.bench.full import BENCH_DB as FULL_DB
from harness.bench.full import GB, Step, require_kept, run_step
from harness.bench.imports import generate
from harness.imdb_next_day import next_day

BENCH_DB = "netfloox_refresh"
READS = (
    "SELECT * FROM catalog.title WHERE title_id = 1",
    "SELECT * FROM analytics.key_figures",
    "SELECT title_id FROM analytics.title_search WHERE search_text % 'title 12' LIMIT 5",
)


class Reader(threading.Thread):
    """Runs READS in a loop until stopped; keeps the slowest round and the count of rounds."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.slowest, self.rounds, self.errors = url, 0.0, 0, 0
        self._done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._done.is_set():
                start = time.perf_counter()
                try:
                    for sql in READS:
                        conn.execute(sql).fetchall()
                except psycopg.Error:
                    self.errors += 1  # e.g. a view dropped by the swap: the reader retries
                self.slowest = max(self.slowest, time.perf_counter() - start)
                self.rounds += 1
                self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        self.join()


def read_during(step: Callable[[], Step], url: str) -> tuple[Step, Reader]:
    reader = Reader(url)
    reader.start()
    try:
        return step(), reader
    finally:
        reader.stop()


def line(step: Step, reader: Reader | None) -> str:
    """A step's row: wall time, the slowest reader round during it, disk and server peaks."""
    wait = f"{reader.slowest:.2f} s ({reader.rounds:,} rounds)" if reader else ""
    return (
        f"| {step.name} | **{step.seconds:,.0f} s** | {wait} | {step.disk_peak / GB:.1f} GB"
        f" | {step.server_peak / GB:.1f} GB |"
    )


HEADER = (
    "| step | wall time | slowest reader round during it | peak extra disk | server memory (PSS) |"
    "\n| --- | ---: | ---: | ---: | ---: |"
)


def last_report(url: str) -> dict:
    """The report of the last import that succeeded; it must have been a refresh."""
    with psycopg.connect(url) as conn:
        (report,) = conn.execute(
            "SELECT report FROM ops.import_run WHERE status = 'succeeded'"
            " ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    assert report["mode"] == "refresh", report["mode"]
    return report


def applied(report: dict) -> str:
    """The refresh's main phases and its changes per table (a Markdown table)."""
    changes = {t: c for t, c in report["changes"].items() if any(c.values())}
    rows = "\n".join(
        f"| {t} | {c['inserted']:,} | {c['updated']:,} | {c['deleted']:,} |"
        for t, c in changes.items()
    )
    phases = ", ".join(
        f"{k} {v:,.1f} s"
        for k, v in report["phases"].items()
        if k
        in (
            "compare",
            "stage",
            "stage changes",
            "build",
            "build:keys and indexes",
            "apply changes",
            "analytics",
            "keep files",
        )
        or k.startswith("refresh:")  # each analytics table and view
    )
    return f"""The refresh (from {report.get("scope") or "every line"}), its phases: {phases}.
What it applied:

| table | inserted | updated | deleted |
| --- | ---: | ---: | ---: |
{rows}"""


def changed_text(changed: dict[str, int]) -> str:
    return (
        f"{changed['new titles']:,} new titles, {changed['removed titles']:,} removed,"
        f" {changed['new people']:,} new people, {changed['removed people']:,} removed"
    )


def main(
    server_url: str,
    rows: int = 20_000_000,
    rate: float = 0.01,
    workdir: str | None = None,
    title_types: str = "all",
    rebuild_too: bool = True,
    echo: Callable[[str], None] = print,
) -> str:
    folder = Path(workdir) if workdir else config.home_dir() / "bench-refresh"
    data_dir = config.pgdata_dir() if not config.external_database_url() else folder
    url = make_conninfo(server_url, dbname=BENCH_DB)
    start = time.perf_counter()
    generate(rows, folder / "day1", echo)
    changed = next_day(folder / "day1", folder / "day2", rate=rate)
    echo(f"two days generated in {time.perf_counter() - start:,.0f} s: {changed}")
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        create_database(admin, BENCH_DB)
    try:

        def cli(name: str, *args: str) -> Step:
            """One import; its peak extra disk counted from the disk in use just before it (the
            refresh's own, not the catalogue it starts from)."""
            command = ["import", *args, "--title-types", title_types, "--no-disk-check"]
            baseline = shutil.disk_usage(data_dir).used
            return run_step(name, command, url, data_dir, baseline, echo)

        first = cli("day 1: netfloox import (rebuild)", "--source", str(folder / "day1"))
        refresh, refresh_reader = read_during(
            lambda: cli("day 2: netfloox import (refresh)", "--source", str(folder / "day2")),
            url,
        )
        report = last_report(url)
        rebuild, rebuild_reader = None, None
        if rebuild_too:  # the rebuild the refresh replaces (at full size: most of the run)
            rebuild, rebuild_reader = read_during(
                lambda: cli(
                    "day 2 again: netfloox import --full (rebuild)",
                    "--source",
                    str(folder / "day2"),
                    "--full",
                    "--force",
                ),
                url,
            )
    finally:
        with contextlib.suppress(psycopg.Error), psycopg.connect(url) as conn:
            kept_files.forget(conn)  # the copies of its files that the imports kept
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        shutil.rmtree(folder, ignore_errors=True)
    kind = " (every one)" if title_types == "all" else " (a subset: the main job's default)"
    body = f"""{rows:,} generated rows (day 1), then its next day with {rate:.1%} of the titles
changed ({changed_text(changed)}; ratings, principals,
runtimes and names changed: harness/imdb_next_day.py). Title types: {title_types}{kind}.

{HEADER}
{line(first, None)}
{line(refresh, refresh_reader)}
{line(rebuild, rebuild_reader) if rebuild else ""}

{applied(report)}"""
    reports.write_section(
        f"Daily refresh, {rows / 1e6:.0f} M generated rows"
        + (", every title type" if title_types == "all" else ", a subset of the types"),
        f"netfloox bench refresh --rows {rows} --rate {rate} --title-types {title_types}"
        + ("" if rebuild_too else " --no-rebuild"),
        body,
    )
    echo(body)
    return body


def full_day_two(rate: float = 0.01) -> tuple[Path, dict[str, int]]:
    """The next day of the files a ``bench full`` run generated, in their own folder; reused when
    already written for those files and this rate (at full size it takes minutes, which can be
    spent while ``bench full`` still trains: ``python -c 'from harness.bench.refresh import
    full_day_two; full_day_two()'``)."""
    folder = config.home_dir() / "bench-full"
    day2 = config.home_dir() / "bench-full-day2"
    stamp = day2 / "day.json"
    made = {"rate": rate, "day1": json.loads((folder / "rows.json").read_text())}
    written = json.loads(stamp.read_text()) if stamp.exists() else {}
    if written.get("made") == made:
        return day2, written["changed"]
    shutil.rmtree(day2, ignore_errors=True)
    changed = next_day(folder, day2, rate=rate)
    stamp.write_text(json.dumps({"made": made, "changed": changed}))
    return day2, changed


def on_full(
    server_url: str,
    rate: float = 0.01,
    title_types: str = "all",
    echo: Callable[[str], None] = print,
) -> str:
    """Day 2 at full size on the database and files a ``bench full --keep`` run left;
    ``title_types`` as that run imported them (another set makes the refresh read every line)."""
    folder = config.home_dir() / "bench-full"
    data_dir = config.pgdata_dir() if not config.external_database_url() else folder
    url = make_conninfo(server_url, dbname=FULL_DB)
    require_kept(server_url)
    start = time.perf_counter()
    day2, changed = full_day_two(rate)
    echo(f"day 2 generated (or reused) in {time.perf_counter() - start:,.0f} s: {changed}")
    try:
        baseline = shutil.disk_usage(data_dir).used
        args = ["import", "--source", str(day2), "--title-types", title_types, "--no-disk-check"]
        refresh, refresh_reader = read_during(
            lambda: run_step(
                "day 2: netfloox import (refresh)", args, url, data_dir, baseline, echo
            ),
            url,
        )
        report = last_report(url)
        train, train_reader = read_during(
            lambda: run_step(
                "day 2: netfloox train --refresh",
                ["-v", "train", "--refresh"],
                url,
                data_dir,
                baseline,
                echo,
            ),
            url,
        )
    finally:
        shutil.rmtree(day2, ignore_errors=True)
    kind = "every title type" if title_types == "all" else f"title types {title_types}"
    body = f"""The files and the trained database a `netfloox bench full --keep` run left ({kind}),
then their next day with {rate:.1%} of the titles changed ({changed_text(changed)};
ratings, principals, runtimes and names changed: harness/imdb_next_day.py).

{HEADER}
{line(refresh, refresh_reader)}
{line(train, train_reader)}

{applied(report)}"""
    reports.write_section(
        "Daily refresh at full size, on the IMDb-shaped run",
        f"netfloox bench full --keep, then netfloox bench refresh --on-full --rate {rate}"
        + ("" if title_types == "all" else f" --title-types {title_types}"),
        body,
    )
    echo(body)
    return body

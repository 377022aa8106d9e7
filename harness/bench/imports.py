"""``netfloox bench import``: the full import against the physical floor, on generated files.

The floor is a bare ``COPY`` of the same files, streamed by the same reader, into unlogged text
tables without indexes: what this machine needs to move the bytes into PostgreSQL at all. Both run
in a scratch database ``netfloox_bench`` on the same server, so the live catalogue is untouched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from database import config
from database.imdb_files import FILES
from database.imdb_import import ImportOptions, run_import
from database.imdb_reader import COPY_OPTIONS, prefetch, read_blocks
from database.migrate import migrate
from database.server import create_database
from harness import reports
from harness.imdb_generator import GENERATOR_VERSION, Generator

BENCH_DB = "netfloox_bench"


def generate(rows: int, folder: Path, echo: Callable[[str], None]) -> dict[str, int]:
    """Generated files, reused when the folder already holds this size."""
    stamp = folder / "rows.json"
    made = {"total": rows, "generator": GENERATOR_VERSION}
    if stamp.exists() and {k: json.loads(stamp.read_text()).get(k) for k in made} == made:
        return json.loads(stamp.read_text())["files"]
    echo(f"generating ~{rows:,} rows of IMDb-shaped files in {folder}")
    counts = Generator(rows).write(folder)
    stamp.write_text(json.dumps({**made, "files": counts}))
    return counts


def copy_floor(url: str, folder: Path) -> dict[str, float]:
    """Seconds per file of a bare COPY into unlogged text tables, no indexes."""
    seconds = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE")
        conn.execute("CREATE SCHEMA bench_floor")
        for spec in FILES:
            cols = ", ".join(f"{c} text" for c in spec.columns)
            conn.execute(f"CREATE UNLOGGED TABLE bench_floor.{spec.table} ({cols})")
            start = time.perf_counter()
            with conn.cursor().copy(
                f"COPY bench_floor.{spec.table} FROM STDIN WITH ({COPY_OPTIONS})"
            ) as copy:
                for block in prefetch(read_blocks(folder / spec.name, spec)):
                    copy.write(block.data)
            seconds[spec.name] = time.perf_counter() - start
        conn.execute("DROP SCHEMA bench_floor CASCADE")
    return seconds


def bench_database(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        create_database(conn, BENCH_DB)
    bench_url = make_conninfo(url, dbname=BENCH_DB)
    migrate(bench_url)
    return bench_url


def main(url: str, rows: int, workdir: str | None, echo: Callable[[str], None] = print) -> None:
    folder = Path(workdir) if workdir else config.home_dir() / "bench-import" / str(rows)
    counts = generate(rows, folder, echo)
    total = sum(counts.values())
    bench_url = bench_database(url)
    echo("floor: bare COPY into unlogged text tables")
    floor = copy_floor(bench_url, folder)
    echo("full import")
    report = run_import(bench_url, str(folder), ImportOptions(force=True), echo=lambda _: None)
    floor_s = sum(floor.values())
    ratio = report.seconds / floor_s
    lines = ["| file | rows | bare COPY (s) | import staging (s) |", "| --- | ---: | ---: | ---: |"]
    for spec in FILES:
        stage = report.phases.get(f"stage:{spec.name}", 0)
        lines.append(
            f"| {spec.name} | {counts[spec.name]:,} | {floor[spec.name]:.1f} | {stage:.1f} |"
        )
    # the analytics views built beside the live ones before the swap, and the others in it
    derived = report.phases.get("prebuilt views", 0) + report.phases.get("derived views", 0)
    workers = config.import_workers()
    lanes = (
        f"{workers} files staged at a time, the build's two lanes at once"
        if workers > 1
        else "one file staged at a time, the build on one connection"
    )
    build = {
        k.removeprefix("build:"): v for k, v in report.phases.items() if k.startswith("build:")
    }
    body = (
        "\n".join(lines)
        + f"""

| run | seconds | rows/s |
| --- | ---: | ---: |
| bare COPY, one file after the other (the floor) | {floor_s:.1f} | {total / floor_s:,.0f} |
| full Netfloox import | {report.seconds:.1f} | {total / report.seconds:,.0f} |
| of which derived views (analytics, ML features, search) | {derived:.1f} | |
| **ratio import / floor** | **{ratio:.2f}** | |
| ratio without the derived views | {(report.seconds - derived) / floor_s:.2f} | |

Import phases (s), {lanes}: staging {report.phases.get("stage", 0):.1f}, build \
{report.phases.get("build", 0):.1f} (wall time; its steps: """
        + ", ".join(f"{k} {v:.1f}" for k, v in build.items())
        + f"), swap {report.phases.get('swap', 0):.1f}, derived views {derived:.1f} "
        f"(prebuilt {report.phases.get('prebuilt views', 0):.1f}). "
        "Target: ratio ≤ 1.5 at ≥ 10 M rows."
    )
    reports.write_section(
        f"Import, {total / 1e6:.1f} M generated rows",
        f"make bench-import  # netfloox bench import --rows {rows}",
        body,
    )
    echo(body)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

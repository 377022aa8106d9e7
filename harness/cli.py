"""The harness's commands: ``netfloox eval|bench|screenshots|slides|reference``.

They measure and present the product; nothing the product serves depends on them. The serving
CLI (app/cli.py) finds them through the ``netfloox.commands`` entry points (pyproject.toml), so
imports keep pointing down: harness -> app -> ml -> database.
"""

from __future__ import annotations

import functools
import importlib.util

import click

from app.cli import not_ready_is_an_error
from database import config
from database.connection import database_url


def needs_extra(module: str):
    """Refuse in one line, naming the extra to install, when ``module`` is not installed."""

    def wrap(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            if importlib.util.find_spec(module) is None:
                raise click.ClickException(
                    f"this command needs {module}: pip install 'netfloox[tools]'"
                )
            return command(*args, **kwargs)

        return run

    return wrap


@click.group("eval")
def evaluate() -> None:
    """Offline evaluation of the AI services."""


@evaluate.command("recommend")
@not_ready_is_an_error
def eval_recommend() -> None:
    """MovieLens item-item neighbours protocol; writes docs/evaluation.md."""
    from database.connection import connect
    from harness.evaluation.recommend import write_report

    with connect(database_url(), autocommit=True) as conn:
        click.echo(write_report(conn))


@evaluate.command("content")
@not_ready_is_an_error
def eval_content() -> None:
    """Ablation of the content vectors (odd users to choose, even users shown); writes
    docs/evaluation.md."""
    from database.connection import connect
    from harness.evaluation.content import write_report

    with connect(database_url(), autocommit=True) as conn:
        click.echo(write_report(conn))


@evaluate.command("refresh")
@click.option("--rate", type=float, default=0.01, show_default=True, help="Share changed.")
@click.option(
    "--source",
    default=None,
    help="Directory of the catalogue's IMDb files (default: $NETFLOOX_IMDB_SOURCE).",
)
@not_ready_is_an_error
def eval_refresh(rate: float, source: str | None) -> None:
    """Drift of `train --refresh` from a full training, on a copy of the database and the next
    day of its files; writes docs/evaluation.md."""
    from database import config
    from harness.evaluation.refresh import write_report

    click.echo(write_report(database_url(), source or config.imdb_source(), rate, click.echo))


@evaluate.command("search")
def eval_search() -> None:
    """Top-1/top-3 of search_titles and search_people on cases built from the catalogue."""
    from database.connection import connect
    from harness.evaluation.search import write_report

    with connect(database_url(), autocommit=True) as conn:
        click.echo(write_report(conn))


@evaluate.command("popularity")
@not_ready_is_an_error
def eval_popularity() -> None:
    """SQL scorers vs baselines on held-out titles, and an ablation; writes docs/evaluation.md."""
    from database.connection import connect
    from harness.evaluation.popularity import write_report

    with connect(database_url(), autocommit=True) as conn:
        click.echo(write_report(conn))


@click.group()
def bench() -> None:
    """Benchmarks (results go to docs/benchmarks.md)."""


@bench.command("import")
@click.option("--rows", type=int, default=10_000_000, help="Approximate total rows to generate.")
@click.option("--workdir", default=None, help="Where to write the generated files.")
def bench_import(rows: int, workdir: str | None) -> None:
    """Full import vs bare COPY of generated IMDb-shaped files."""
    from harness.bench.imports import main as run_bench

    run_bench(database_url(), rows, workdir, echo=click.echo)


@bench.command("full")
@click.option(
    "--rows",
    type=int,
    default=200_000_000,
    show_default=True,
    help="Approximate total rows to generate (200 M = the full dump).",
)
@click.option("--workdir", default=None, help="Where to keep the generated files.")
@click.option("--keep", is_flag=True, help="Keep the database netfloox_full afterwards.")
@click.option(
    "--title-types", default="all", show_default=True, help="What the import keeps (see import)."
)
@click.option("--import-only", is_flag=True, help="Stop after the import (disk, size, time).")
@click.option(
    "--train-only", is_flag=True, help="Train and serve on the database a --keep run left."
)
@click.option(
    "--serve-only", is_flag=True, help="Only serve (latency, callbacks) on a --keep database."
)
def bench_full(
    rows: int,
    workdir: str | None,
    keep: bool,
    title_types: str,
    import_only: bool,
    train_only: bool,
    serve_only: bool,
) -> None:
    """Generate, import, train and serve at full size; wall time, memory and disk per step."""
    from harness.bench.full import main as run_bench

    run_bench(
        database_url(),
        rows,
        workdir,
        keep,
        echo=click.echo,
        title_types=title_types,
        import_only=import_only,
        train_only=train_only,
        serve_only=serve_only,
    )


@bench.command("refresh")
@click.option("--rows", type=int, default=20_000_000, show_default=True, help="Day 1's rows.")
@click.option("--rate", type=float, default=0.01, show_default=True, help="Share changed.")
@click.option("--workdir", default=None, help="Where to write the generated days.")
@click.option(
    "--title-types",
    default="all",
    show_default=True,
    help="The import's --title-types: 'all', or a subset such as the default types (both "
    "refresh from the changed lines).",
)
@click.option(
    "--no-rebuild",
    is_flag=True,
    help="Leave out the rebuild of day 2 that the refresh is compared with (at full size, most "
    "of the run's time).",
)
@click.option(
    "--on-full",
    is_flag=True,
    help="Day 2 on what `bench full --keep` left: refresh import, then train --refresh.",
)
def bench_refresh(
    rows: int, rate: float, workdir: str | None, title_types: str, no_rebuild: bool, on_full: bool
) -> None:
    """The daily refresh against the rebuild, on a generated day and its next day."""
    from harness.bench import refresh

    if on_full:
        refresh.on_full(database_url(), rate, title_types, echo=click.echo)
    else:
        refresh.main(
            database_url(), rows, rate, workdir, title_types, not no_rebuild, echo=click.echo
        )


@bench.command("recommend")
@click.option("--vectors", type=int, default=1_000_000, help="Generated vectors for the scale run.")
def bench_recommend(vectors: int) -> None:
    """Latency and recall of recommend(); results to docs/benchmarks.md."""
    from harness.bench.recommend import main as run_bench

    run_bench(database_url(), vectors, echo=click.echo)


@bench.command("api")
@click.option(
    "--clients", type=int, default=300_000, show_default=True, help="Clients of the picker's log."
)
def bench_api(clients: int) -> None:
    """The JSON API over HTTP on the live database (recommend p99), and the client picker on a
    scratch log of CLIENTS clients; results to docs/benchmarks.md."""
    from psycopg.conninfo import make_conninfo

    from harness.bench.api import main as run_bench

    url = database_url()
    run_bench(url, make_conninfo(url, dbname="postgres"), clients, echo=click.echo)


@bench.command("collaborative")
@click.option("--ratings", type=int, default=20_000_000, show_default=True)
@click.option("--clients", type=int, default=300_000, show_default=True)
@click.option("--films", type=int, default=50_000, show_default=True)
@click.option(
    "--model-only", is_flag=True, help="Skip the end-to-end import + train on a database copy."
)
def bench_collaborative(ratings: int, clients: int, films: int, model_only: bool) -> None:
    """The collaborative model (EASE) on a generated power-law log: the model alone, then
    `netfloox import ratings` + `netfloox train recommender` end to end; time and peak memory."""
    from harness.bench.collaborative import main as run_bench

    run_bench(database_url(), ratings, clients, films, not model_only, echo=click.echo)


@bench.command("load")
@click.option(
    "--source",
    default=None,
    help="IMDb files to re-import during the run (default: $NETFLOOX_IMDB_SOURCE).",
)
@click.option("--clients", default="4,16,64", show_default=True, help="Comma list of levels.")
def bench_load(source: str | None, clients: str) -> None:
    """Concurrent SQL and HTTP clients while a re-import and a retrain run; docs/benchmarks.md."""
    from harness.bench.load import main as run_bench

    levels = [int(c) for c in clients.split(",") if c]
    run_bench(database_url(), source or config.imdb_source(), levels, echo=click.echo)


@bench.command("app")
def bench_app() -> None:
    """Server time of the slowest callbacks on the live database; docs/benchmarks.md."""
    from harness.bench.app import main as run_bench

    run_bench(echo=click.echo)


@click.command()
@needs_extra("selenium")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="docs/screenshots",
    show_default=True,
    help="Folder for explore.png, recommend.png, title.png, name.png, predict.png, drivers.png.",
)
@click.option(
    "--liked",
    default="matrix:The Matrix (1999)",
    show_default=True,
    help="What to type on the Recommend page and the suggestion to pick (TEXT:LABEL).",
)
def screenshots(out: str, liked: str) -> None:
    """Drive the app in headless Chromium on the current database and save its pages."""
    from pathlib import Path

    from app.web import create_app
    from harness.browser import Page, browser_missing, chromium, free_port, serving, tour

    missing = browser_missing()
    if missing:
        raise click.ClickException(f"{missing}: run `make browser` first")
    database_url()
    typed, _, label = liked.partition(":")
    with serving(create_app(), free_port()) as base, chromium() as driver:
        seen = tour(
            Page(driver, base),
            liked=(typed, label or typed),
            shots=Path(out),
            genre="Sci-Fi",
            people={
                "directors": ("nolan", "Christopher Nolan"),
                "actors": ("dicaprio", "Leonardo DiCaprio"),
            },
        )
    click.echo(
        f"saved {out}/explore.png, recommend.png, title.png, name.png, predict.png, drivers.png;"
        f" seen: {seen}"
    )


@click.command()
@needs_extra("matplotlib")
@click.option("--no-charts", is_flag=True, help="Only the Markdown (charts kept as they are).")
def slides(no_charts: bool) -> None:
    """The presentation deck (docs/presentation/netfloox.md, Marp) with figures read from docs/
    and the live database, its charts, and the project board (docs/board.csv, board.md)."""
    from database.connection import connect
    from harness.presentation import board, deck

    board.write()
    with connect(database_url(), autocommit=True) as conn:
        try:
            _, figures = deck.build(conn, draw=not no_charts)
        except deck.Inconsistent as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {deck.OUT / 'netfloox.md'} ({len(figures)} figures), docs/board.csv/.md")


@click.command()
def reference() -> None:
    """docs/api.md from the database: every api function, view and type with its comment, and
    the JSON API's routes."""
    from database.connection import connect
    from harness.presentation import api_reference

    with connect(database_url(), autocommit=True) as conn:
        missing = api_reference.undocumented(conn)
        click.echo(f"wrote {api_reference.write(conn)}")
    if missing:
        raise click.ClickException("no COMMENT ON: " + ", ".join(missing))


COMMANDS = (evaluate, bench, screenshots, slides, reference)

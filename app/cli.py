"""The ``netfloox`` command line."""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from database import config


class Netfloox(click.Group):
    """The root command: a bad setting or an unreachable database is one line naming it, not a
    traceback."""

    def invoke(self, ctx: click.Context):
        import psycopg

        try:
            return super().invoke(ctx)
        except config.SettingError as exc:
            raise click.ClickException(str(exc)) from exc
        except psycopg.OperationalError as exc:
            raise click.ClickException(unreachable(exc)) from exc


def unreachable(exc: Exception) -> str:
    """What to say when the database cannot be reached: where we looked and why it failed."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    where = "DATABASE_URL" if config.external_database_url() else "the embedded server"
    return f"cannot connect to the database ({where}): {reason}"


@click.group(cls=Netfloox)
@click.version_option(package_name="netfloox", message="netfloox %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def cli(verbose: bool) -> None:
    """Netfloox: IMDb catalogue, recommender and popularity predictor inside PostgreSQL."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _url() -> str:
    from database.connection import database_url

    return database_url()


# --------------------------------------------------------------------------- database
@cli.group()
def db() -> None:
    """The database server (embedded PostgreSQL unless DATABASE_URL is set)."""


@db.command("start")
def db_start() -> None:
    """Start the embedded server (initialising it on first use)."""
    if config.external_database_url():
        click.echo("DATABASE_URL is set: nothing to start, using that server.")
        return
    from database import server

    click.echo(f"running: {server.start()}  (data directory {config.pgdata_dir()})")


@db.command("stop")
@click.option(
    "--pgdata",
    type=click.Path(path_type=Path),
    default=None,
    help="Data directory of the server to stop (default: the embedded server's; e.g. a replica).",
)
def db_stop(pgdata: Path | None) -> None:
    """Stop the embedded server (or the server of --pgdata)."""
    from database import server

    click.echo("stopped" if server.stop(pgdata) else "not running")


@db.command("status")
def db_status() -> None:
    """Say whether the server runs, where, and what it holds."""
    from database import server
    from database.connection import connect

    if not config.external_database_url() and not server.is_running():
        click.echo(f"embedded server: stopped (data directory {config.pgdata_dir()})")
        sys.exit(1)
    with connect(_url()) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        titles = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'catalog' AND tablename = 'title'"
        ).fetchone()[0]
        n = conn.execute("SELECT count(*) FROM catalog.title").fetchone()[0] if titles else 0
    where = "DATABASE_URL" if config.external_database_url() else f"embedded, {config.pgdata_dir()}"
    click.echo(f"running: PostgreSQL {version} ({where}); catalog.title rows: {n}")


@db.command("url")
def db_url() -> None:
    """Print a libpq URL for psql or psycopg (starts the embedded server if needed)."""
    click.echo(_url())


@db.command("replica")
@click.argument("directory", type=click.Path(path_type=Path))
def db_replica(directory: Path) -> None:
    """Start a streaming replica of the embedded server in DIRECTORY (new); prints its URL, for
    NETFLOOX_APP_DATABASE_URL. Stop it with `netfloox db stop --pgdata DIRECTORY`."""
    from database import replica

    click.echo(replica.create(directory))


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def db_backup(file: str) -> None:
    """Dump the whole database (catalogue, client log, models) to FILE (pg_dump, custom format)."""
    from database.backup import BackupError, backup

    try:
        size = backup(_url(), file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written: {file} ({size:,} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
def db_restore(file: str) -> None:
    """Replace the database's contents with the backup FILE, in one transaction."""
    from database.backup import BackupError, restore

    try:
        restore(_url(), file)
    except BackupError as exc:
        raise click.ClickException(f"{exc}\n(the database is unchanged)") from exc
    click.echo(f"restored from {file}")


@cli.command()
def migrate() -> None:
    """Apply pending SQL migrations from migrations/."""
    from database.migrate import migrate as run_migrations

    applied = run_migrations(_url())
    names = ": " + ", ".join(applied) if applied else ""
    click.echo(f"applied {len(applied)} migration file(s){names}")


# --------------------------------------------------------------------------- import
@cli.group("import", invoke_without_command=True)
@click.option(
    "--source",
    default=None,
    help="Base URL or local directory of the IMDb files "
    "(default: $NETFLOOX_IMDB_SOURCE, else the official IMDb URL).",
)
@click.option(
    "--title-types",
    default=None,
    help="Comma list of title types to keep, e.g. movie,tvMovie, or 'all' "
    "(default: $NETFLOOX_TITLE_TYPES, else every type but tvEpisode and videoGame).",
)
@click.option("--min-votes", type=int, default=None, help="Keep only titles with at least N votes.")
@click.option(
    "--max-reject-rate",
    type=float,
    default=None,
    help="Fail when a file rejects more than this share of its lines (default 0.001).",
)
@click.option("--force", is_flag=True, help="Re-import even if the files did not change.")
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild the whole catalogue and swap it in, even where the existing one could be "
    "refreshed with only what changed.",
)
@click.option(
    "--every-line",
    is_flag=True,
    help="A refresh reads every line of the new files, even where the lines that changed since "
    "the last import would do.",
)
@click.option(
    "--no-disk-check", is_flag=True, help="Import even when the free disk looks too small."
)
@click.pass_context
def import_cmd(
    ctx, source, title_types, min_votes, max_reject_rate, force, full, every_line, no_disk_check
) -> None:
    """Download (or read) the IMDb files and bring the catalogue to them atomically: a refresh
    (only what changed) when a catalogue is there, else a rebuild (`netfloox import ratings`
    loads the client rating log instead)."""
    if ctx.invoked_subcommand is None:
        _import(
            source,
            title_types,
            min_votes,
            max_reject_rate,
            force,
            not no_disk_check,
            full,
            every_line,
        )


@import_cmd.command("ratings")
@click.option(
    "--source",
    default=None,
    help="Directory or base URL holding ratings.csv and links.csv (MovieLens format; "
    "default: $NETFLOOX_RATINGS_SOURCE).",
)
@click.option("--force", is_flag=True, help="Re-load even if the files did not change.")
@click.option(
    "--append",
    is_flag=True,
    help="Add these ratings to the loaded log (a re-rating keeps the later one) instead of "
    "replacing it.",
)
def import_ratings(source: str | None, force: bool, append: bool) -> None:
    """Load the service's client rating log: replace the previous one atomically, or append."""
    _import_ratings(source, force, append)


def _import_ratings(source: str | None = None, force: bool = False, append: bool = False):
    from database.download import DownloadError
    from database.migrate import migrate as run_migrations
    from database.ratings_import import RatingImportError, run_ratings_import

    source = source or config.ratings_source()
    if not source:
        raise click.ClickException(
            "no rating log: give --source DIR|URL or set NETFLOOX_RATINGS_SOURCE"
        )
    url = _url()
    run_migrations(url)
    try:
        report = run_ratings_import(url, source, force=force, append=append, echo=click.echo)
    except (DownloadError, RatingImportError) as exc:
        raise click.ClickException(f"{exc}\n(the previous rating log is untouched)") from exc
    click.echo(report.render())
    return report


def _preflight(
    url: str, source: str, check_disk: bool, title_types: tuple[str, ...] | None
) -> None:
    """Say what the import will take; refuse a first import the disk cannot hold."""
    from pathlib import Path

    import psycopg

    from database.connection import connect
    from database.imdb_files import FILES
    from database.preflight import NotEnoughDisk, plan

    with connect(url, autocommit=True) as conn:
        first = not conn.execute("SELECT EXISTS (SELECT FROM catalog.title)").fetchone()[0]
        try:  # the server's data directory, when it is on this machine (embedded, or local)
            data_dir = Path(conn.execute("SELECT current_setting('data_directory')").fetchone()[0])
        except psycopg.Error:  # not allowed to read it: free space unknown
            data_dir = None
    if data_dir is not None and not data_dir.exists():
        data_dir = None
    the_plan = plan(source, [f.name for f in FILES], data_dir, title_types)
    click.echo(the_plan.render())
    if check_disk and first:
        try:
            the_plan.check()
        except NotEnoughDisk as exc:
            raise click.ClickException(str(exc)) from exc


def _import(
    source=None,
    title_types=None,
    min_votes=None,
    max_reject_rate=None,
    force=False,
    check_disk=True,
    full=False,
    every_line=False,
):
    from database.download import DownloadError
    from database.imdb_import import ImportFailed, ImportOptions, run_import
    from database.imdb_reader import ImportFileError
    from database.migrate import migrate as run_migrations

    url = _url()
    run_migrations(url)
    source = source or config.imdb_source()
    kept = config.title_types() if title_types is None else config.parse_title_types(title_types)
    _preflight(url, source, check_disk, kept)
    click.echo(f"title types: {', '.join(kept) if kept else 'all'} (NETFLOOX_TITLE_TYPES)")
    options = ImportOptions(
        title_types=kept,
        min_votes=min_votes,
        force=force,
        full=full,
        every_line=every_line,
    )
    if max_reject_rate is not None:
        options.max_reject_rate = max_reject_rate
    try:
        report = run_import(url, source, options, echo=click.echo)
    except DownloadError as exc:
        hint = "the previous catalogue is untouched"
        if source.startswith(("http://", "https://")):
            hint = (
                "no network? point NETFLOOX_IMDB_SOURCE or --source at a directory holding the "
                f"IMDb files; {hint}"
            )
        raise click.ClickException(f"cannot fetch the IMDb files: {exc}\n({hint})") from exc
    except (ImportFailed, ImportFileError) as exc:
        raise click.ClickException(f"{exc}\n(the previous catalogue is untouched)") from exc
    click.echo(report.render())
    return report


def models_are_current(url: str) -> bool:
    """Both active models were trained after the last successful import (catalogue or log)."""
    from database.connection import connect

    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            """SELECT (SELECT max(trained_at) FROM ml.embedding_model WHERE active) > i.at,
                      (SELECT max(trained_at) FROM ml.model WHERE active) > i.at
               FROM (SELECT greatest(
                         (SELECT max(finished_at) FROM ops.import_run
                          WHERE status = 'succeeded'),
                         (SELECT max(finished_at) FROM ops.rating_import_run
                          WHERE status = 'succeeded')) AS at) i"""
        ).fetchone()
    return bool(row[0] and row[1])


def models_can_refresh(url: str) -> bool:
    """Both kinds of model are trained, the recommender with a stored content projection."""
    from database.connection import connect

    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            """SELECT (SELECT params ? 'content_fit' AND params->'content_fit' <> 'null'
                       FROM ml.embedding_model WHERE active),
                      EXISTS (SELECT 1 FROM ml.model WHERE active)"""
        ).fetchone()
    return bool(row[0] and row[1])


# --------------------------------------------------------------------------- ml, app
@cli.group(invoke_without_command=True)
@click.option(
    "--refresh",
    is_flag=True,
    help="Bring the active models to the current catalogue and log without refitting them "
    "(the titles the imports changed re-embedded, the log's model re-learnt if it changed, the "
    "track records of the people touched recomputed).",
)
@click.pass_context
def train(ctx: click.Context, refresh: bool) -> None:
    """Train the models and write them back to the database (all of them without a name)."""
    from database.migrate import migrate as run_migrations

    run_migrations(_url())  # as an import does: the models write to the current schema
    if refresh:
        _refresh_models()
    elif ctx.invoked_subcommand is None:
        _train_all(ctx)


def _train_all(ctx: click.Context) -> None:
    for name, command in train.commands.items():
        click.echo(f"== train {name}")
        ctx.invoke(command)


def not_ready_is_an_error(command):
    """Show ml.NotReady (nothing imported, no model) as a one-line error, not a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        from ml import NotReady

        try:
            return command(*args, **kwargs)
        except NotReady as exc:
            raise click.ClickException(str(exc)) from exc

    return run


@not_ready_is_an_error
def _refresh_models() -> None:
    from database.connection import connect
    from ml.embedding_refresh import refresh
    from ml.popularity import refresh_track_records

    with connect(_url(), autocommit=True) as conn:
        version, changes = refresh(conn)
        records = refresh_track_records(conn)
    click.echo(
        f"recommender: model {version} refreshed from {changes['refreshed_from']}: "
        f"{changes['titles']:,} titles ({changes['new_titles']:,} new, {changes['gone_titles']:,}"
        f" gone), {changes['tokens_unknown_to_the_fit']:,} tokens unknown to the fit, "
        f"collaborative block {changes['collaborative']}; {changes['scope']}"
        + (
            f": {changes['titles_re_embedded']:,} re-embedded, {changes['points_added']:,} new"
            f" points, {changes['lists_patched']:,} lists patched"
            if changes["scope"] == "changed titles"
            else ""
        )
    )
    click.echo(
        "popularity: track records written for models "
        + ", ".join(f"{v} ({n:,} records)" for v, n in records.items())
    )


@train.command("recommender")
@not_ready_is_an_error
def train_recommender() -> None:
    """Film embeddings (TF-IDF + SVD) into pgvector; swaps in atomically."""
    from database.connection import connect
    from ml.embeddings import train as train_embeddings

    with connect(_url(), autocommit=True) as conn:
        version, n = train_embeddings(conn)
    click.echo(f"recommender: embedding model {version}, {n:,} titles")


@train.command("popularity")
@not_ready_is_an_error
def train_popularity() -> None:
    """Rating and audience models (gradient-boosted trees written back as rows; a ridge kept for
    comparison and rollback); activates the new versions."""
    from database.connection import connect
    from ml.popularity import train as train_model

    with connect(_url(), autocommit=True) as conn:
        version, metrics = train_model(conn)
    m = metrics["holdout_movies_20_votes"]
    a = metrics["audience"]["holdout_movies_20_votes"]

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    click.echo(
        f"popularity: model {version}, held-out movies R2 {fmt(m['r2'])}, RMSE {fmt(m['rmse'])};"
        f" audience R2 {fmt(a['r2'])} (log10 votes)"
    )


@cli.command()
@click.option("--debug", is_flag=True, help="Dash debug mode (never in production).")
def serve(debug: bool) -> None:
    """The web app and its JSON API (/api, described at /api/openapi.json) on
    $NETFLOOX_HOST:$NETFLOOX_PORT (default 127.0.0.1:8050), served by waitress with
    $NETFLOOX_WEB_THREADS threads (default 8, the size of the connection pool). What a
    recommendation reads is read into memory in the background as it starts."""
    import threading

    from app.server import create_server
    from database.prewarm import prewarm

    host, port, threads = config.web_host(), config.web_port(), config.web_threads()
    config.app_database_url()  # every setting checked before anything starts
    url = _url()  # starts the embedded server if needed
    app = create_server()
    # what a recommendation reads, into memory in the background (database/prewarm.py)
    threading.Thread(target=prewarm, args=(url,), daemon=True, name="prewarm").start()
    click.echo(f"Netfloox is serving on http://{host}:{port}/ (Ctrl-C to stop)")
    if debug:
        app.run(host=host, port=port, debug=True)  # Dash's development server, reloads
        return
    from waitress import serve as serve_wsgi

    serve_wsgi(app.server, host=host, port=port, threads=threads)


# --------------------------------------------------------------------- the product's questions
def _ask(question, *args, **kwargs):
    """Ask app/service.py a question as the app's role; its refusals are one-line errors."""
    from app.db import Database, UserError, app_database_url

    database = Database(app_database_url(), max_size=1)
    database.open(wait=True)
    try:
        return question(database, *args, **kwargs)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.close()


def _echo_json(value) -> None:
    import json

    from app.http_api import plain

    click.echo(json.dumps(plain(value), indent=2, ensure_ascii=False))


def _film_line(row: dict) -> str:
    rating = f"{float(row['average_rating']):.1f}" if row.get("average_rating") else "-"
    votes = f"{row['num_votes']:,}" if row.get("num_votes") else "no"
    year = row.get("start_year") or "?"
    return f"{row['primary_title']} ({year})  {row['tconst']}  {rating}/10, {votes} votes"


JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (as the /api routes)."
)


@cli.command()
@click.argument("titles", nargs=-1, required=False)
@click.option("-k", default=5, show_default=True, help="How many films.")
@click.option("--client", type=int, default=None, help="A client of the rating log instead.")
@JSON_OPTION
def recommend(titles: tuple[str, ...], k: int, client: int | None, as_json: bool) -> None:
    """K films for someone who liked TITLES (IMDb ids, or titles as one types them: typos and
    missing accents are fine), or for a --client of the rating log."""
    from app import service

    def answer(database):
        if client is not None:
            return [], service.recommend_for_client(database, client, k)
        if not titles:
            raise click.UsageError("name a film (or several), or give --client")
        liked = [service.resolve_title(database, t) for t in titles]
        return liked, service.recommend(database, [f["tconst"] for f in liked], k)

    liked, films = _ask(answer)
    if as_json:
        _echo_json({"liked": liked, "recommendations": films})
        return
    for film in liked:
        click.echo(f"liked: {_film_line(film)}")
    if not films:
        click.echo("no recommendation (too few votes for the recommender, or no film liked)")
    for rank, film in enumerate(films, 1):
        click.echo(f"{rank}. {_film_line(film)}")
        if film.get("reason"):
            click.echo(f"   {film['reason']}")


@cli.command()
@click.argument("text")
@click.option("--people", is_flag=True, help="Search people instead of titles.")
@click.option("-k", default=10, show_default=True, help="How many answers.")
@JSON_OPTION
def search(text: str, people: bool, k: int, as_json: bool) -> None:
    """Titles (or --people) as one types them, best match first."""
    from app import service

    rows = _ask(service.search_people if people else service.search_titles, text, k)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("nothing found")
    for row in rows:
        if people:
            click.echo(f"{row['primary_name']}  {row['nconst']}  {row['professions'] or ''}")
        else:
            click.echo(_film_line(row))


@cli.command()
@click.option("--type", "title_type", default="movie", show_default=True, help="Title type.")
@click.option("--year", type=int, default=None, help="Release year.")
@click.option("--runtime", type=int, default=None, help="Runtime in minutes.")
@click.option("--genre", "genres", multiple=True, help="A genre (repeat for several).")
@click.option("--director", "directors", multiple=True, help="A director: nm id or name.")
@click.option("--writer", "writers", multiple=True, help="A writer: nm id or name.")
@click.option("--actor", "actors", multiple=True, help="An actor or actress: nm id or name.")
@click.option("--producer", "producers", multiple=True, help="A producer: nm id or name.")
@JSON_OPTION
def predict(title_type, year, runtime, genres, directors, writers, actors, producers, as_json):
    """The expected IMDb rating and audience of a planned film, and what drives them."""
    from app import service

    named = {"directors": directors, "writers": writers, "actors": actors, "producers": producers}

    def answer(database):
        people = {
            role: [service.resolve_person(database, who) for who in names]
            for role, names in named.items()
        }
        film = service.Film(title_type, year, runtime, list(genres), **people)
        return service.predict(database, film)

    result = _ask(answer)
    if as_json:
        _echo_json(result)
        return
    r, a = result["rating"], result["audience"]
    click.echo(
        f"expected rating: {r['predicted_rating']:.1f}/10 (80 % between {r['low']:.1f} and "
        f"{r['high']:.1f}; model {r['model_version']})"
    )
    click.echo(
        f"expected audience: {a['expected_votes']:,.0f} IMDb votes (80 % between "
        f"{a['low']:,.0f} and {a['high']:,.0f})"
    )
    for target, unit in (("rating", "points"), ("audience", "log10 votes")):
        click.echo(f"what drives the {target} ({unit}):")
        drivers = sorted(result[f"{target}_drivers"], key=lambda d: -abs(d["contribution"] or 0))
        for d in drivers:
            detail = f"  ({d['detail']})" if d.get("detail") else ""
            click.echo(f"  {d['contribution']:+.2f}  {d['feature_group']}{detail}")


@cli.command()
def run() -> None:
    """Everything: database, migrations, import, training, then the web app."""
    report = _import()
    if config.ratings_source():
        _import_ratings()
    if report.status == "unchanged" and models_are_current(_url()):
        click.echo("catalogue unchanged, models up to date: no training (`netfloox train` forces)")
    elif report.mode == "refresh" and models_can_refresh(_url()):
        click.echo("catalogue refreshed: models refreshed too (`netfloox train` retrains fully)")
        _refresh_models()
    else:
        _train_all(click.get_current_context())
    click.get_current_context().invoke(serve)


def add_installed_commands(group: click.Group) -> None:
    """Add the command groups that installed packages declare (entry points
    ``netfloox.commands``): the harness's eval, bench, screenshots and slides. The serving code
    never imports the harness; the harness registers itself."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="netfloox.commands"):
        try:
            command = entry.load()
        except ImportError:  # a serving install (the Docker image) ships without the harness
            logging.getLogger(__name__).debug("%s not installed: %s", entry.name, entry.value)
            continue
        group.add_command(command, entry.name)


def main() -> None:
    add_installed_commands(cli)
    cli()


if __name__ == "__main__":
    main()

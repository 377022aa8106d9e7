"""The `netfloox` command as a data engineer meets it: clear errors, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import cli
from tests.imdb_fixture import write_files


@pytest.fixture
def run(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("NETFLOOX_CACHE_DIR", str(tmp_path / "cache"))

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args))

    return invoke


def catalogue_size(db) -> int:
    return db.execute("SELECT count(*) FROM catalog.title").fetchone()[0]


def test_import_prints_the_report_and_url_prints_the_database(run, db, db_url, tmp_path):
    result = run("import", "--source", str(write_files(tmp_path / "imdb")))
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output and "title.basics.tsv.gz" in result.output
    assert catalogue_size(db) > 0
    assert run("db", "url").output.strip() == db_url


def test_the_default_import_keeps_films_and_series_not_episodes(run, db, tmp_path, monkeypatch):
    source = str(write_files(tmp_path / "imdb"))
    types = "SELECT array_agg(DISTINCT tt.name) FROM catalog.title t JOIN catalog.title_type tt"
    types += " USING (title_type_id) WHERE NOT t.is_placeholder"
    monkeypatch.delenv("NETFLOOX_TITLE_TYPES", raising=False)
    result = run("import", "--source", source)
    assert result.exit_code == 0, result.output
    assert "title types: movie, short" in result.output
    kept = set(db.execute(types).fetchone()[0])
    assert "tvEpisode" not in kept and {"movie", "tvSeries"} <= kept
    monkeypatch.setenv("NETFLOOX_TITLE_TYPES", "all")
    assert run("import", "--source", source).exit_code == 0  # other options: not "unchanged"
    assert "tvEpisode" in db.execute(types).fetchone()[0]


def test_missing_basics_is_a_clear_error_and_keeps_the_catalogue(run, db, tmp_path):
    run("import", "--source", str(write_files(tmp_path / "imdb")))
    before = catalogue_size(db)
    (tmp_path / "empty").mkdir()
    result = run("import", "--source", str(tmp_path / "empty"), "--force")
    assert result.exit_code == 1
    assert "title.basics.tsv.gz is missing" in result.output
    assert "previous catalogue is untouched" in result.output
    assert "Traceback" not in result.output
    assert catalogue_size(db) == before


def test_unreachable_source_says_what_to_do(run, httpserver):
    httpserver.expect_request("/title.basics.tsv.gz").respond_with_data("boom", status=500)
    result = run("import", "--source", httpserver.url_for("/"))
    assert result.exit_code == 1
    assert "cannot fetch the IMDb files" in result.output
    assert "title.basics.tsv.gz" in result.output
    assert "NETFLOOX_IMDB_SOURCE" in result.output


def test_a_source_that_is_neither_a_directory_nor_a_url(run, tmp_path):
    result = run("import", "--source", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "nowhere: not a directory nor an http(s) URL" in result.output
    assert "previous catalogue is untouched" in result.output


@pytest.mark.parametrize("model", ["recommender", "popularity"])
def test_training_an_empty_catalogue_says_to_import_first(run, model):
    result = run("train", model)
    assert result.exit_code == 1
    assert "netfloox import" in result.output and "Traceback" not in result.output


def test_models_are_current_only_when_trained_after_the_last_import(run, db, db_url, tmp_path):
    from app.cli import models_are_current

    source = str(write_files(tmp_path / "imdb"))
    assert run("import", "--source", source).exit_code == 0
    assert not models_are_current(db_url)
    assert run("train", "recommender").exit_code == 0
    assert not models_are_current(db_url)  # no rating model yet
    # (the fixture is too small to train one: register an empty active version instead)
    db.execute("INSERT INTO ml.model (active) VALUES (true)")
    assert models_are_current(db_url)
    assert run("import", "--source", source, "--force").exit_code == 0
    assert not models_are_current(db_url)  # a newer catalogue than the models


def test_import_ratings_reports_and_missing_files_are_clear(run, tmp_path):
    from tests.test_ratings import co_likes, write_log

    folder = write_log(tmp_path / "log", co_likes())
    result = run("import", "ratings", "--source", folder)
    assert result.exit_code == 0, result.output
    assert "the log holds 100 ratings by 40 clients" in result.output
    (tmp_path / "empty").mkdir()
    result = run("import", "ratings", "--source", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "ratings.csv, links.csv not found" in result.output
    assert "previous rating log is untouched" in result.output and "Traceback" not in result.output


def test_the_import_says_what_it_will_take_and_refuses_a_disk_too_small(
    run, db, tmp_path, monkeypatch
):
    from database import preflight

    source = str(write_files(tmp_path / "imdb"))
    monkeypatch.setitem(preflight.NO_EPISODES, "peak", 10**9)  # a dump no disk could hold
    result = run("import", "--source", source)  # the default types: without the episodes
    assert result.exit_code == 1 and "not enough disk for this import" in result.output
    assert "without the episodes" in result.output
    monkeypatch.setitem(preflight.NO_EPISODES, "peak", 1)
    monkeypatch.setattr(preflight, "PEAK_PER_GZIP_BYTE", 10**9)
    result = run("import", "--source", source, "--title-types", "all")
    assert result.exit_code == 1 and "every title type" in result.output
    assert "--title-types" in result.output and catalogue_size(db) == 0
    result = run("import", "--source", source, "--no-disk-check")
    assert result.exit_code == 0, result.output
    assert "import plan: 7 of 7 files" in result.output and catalogue_size(db) > 0


def test_the_plan_reads_the_sizes_a_server_announces(httpserver):
    from database.config import DEFAULT_TITLE_TYPES
    from database.preflight import NO_EPISODES, PEAK_PER_GZIP_BYTE, plan

    httpserver.no_handler_status_code = 404
    httpserver.expect_request("/title.basics.tsv.gz").respond_with_data(b"x" * 5000)
    sizes = plan(httpserver.url_for("/"), ["title.basics.tsv.gz", "title.akas.tsv.gz"], None)
    assert sizes.files == {"title.basics.tsv.gz": 5000, "title.akas.tsv.gz": None}
    assert sizes.peak == 5000 * PEAK_PER_GZIP_BYTE and sizes.free is None
    sizes.check()  # unknown free space: nothing to refuse
    names = ["title.basics.tsv.gz"]
    default = plan(httpserver.url_for("/"), names, None, DEFAULT_TITLE_TYPES)
    episodes = plan(httpserver.url_for("/"), names, None, ("movie", "tvEpisode"))
    assert (default.peak, episodes.peak) == (5000 * NO_EPISODES["peak"], sizes.peak)
    assert default.minutes < episodes.minutes and default.final < episodes.final


def test_a_second_run_refreshes_the_catalogue_and_the_models(run, db, tmp_path, monkeypatch):
    """`netfloox run` (what `make run` calls) on a database that holds a catalogue: the next day's
    files are applied as a refresh, the models refreshed, and the output says so."""
    from app import cli as cli_module
    from harness.imdb_generator import Generator
    from harness.imdb_next_day import next_day

    monkeypatch.setattr(cli_module.serve, "callback", lambda **_: None)
    monkeypatch.delenv("NETFLOOX_RATINGS_SOURCE", raising=False)
    Generator(20_000, seed=5).write(tmp_path / "day1")
    next_day(tmp_path / "day1", tmp_path / "day2", rate=0.05)
    monkeypatch.setenv("NETFLOOX_IMDB_SOURCE", str(tmp_path / "day1"))
    first = run("run")
    assert first.exit_code == 0, first.output
    assert "(rebuild)" in first.output and "== train recommender" in first.output
    monkeypatch.setenv("NETFLOOX_IMDB_SOURCE", str(tmp_path / "day2"))
    second = run("run")
    assert second.exit_code == 0, second.output
    # the default title types (a subset): the refresh reads the changed lines, and says so
    assert "(refresh from changed lines)" in second.output and "changes applied" in second.output
    assert "applying the changed lines" in second.output and "every line" not in second.output
    assert "models refreshed too" in second.output and "== train" not in second.output
    new = db.execute(
        "SELECT count(*) FROM ml.title_embedding e JOIN catalog.title t USING (title_id)"
        " WHERE t.primary_title LIKE 'New Title %'"
    ).fetchone()[0]
    assert new > 0  # the next day's new titles are recommendable


# ------------------------------------------------------------------------ the questions
@pytest.fixture
def trained(db):
    from ml.embeddings import EmbeddingParams
    from ml.embeddings import train as train_recommender
    from ml.popularity import train as train_popularity
    from tests.test_recommend import build_catalogue

    build_catalogue(db)
    train_popularity(db)
    train_recommender(db, EmbeddingParams())


def test_recommend_search_and_predict_answer_the_products_questions(run, trained):
    typed = run("recommend", "amelie poulain", "-k", "3")
    assert typed.exit_code == 0, typed.output
    assert typed.output.startswith("liked: Le Fabuleux Destin d'Amélie Poulain (2001)  tt0000100")
    assert [line[:2] for line in typed.output.splitlines() if line[:1].isdigit()] == [
        "1.",
        "2.",
        "3.",
    ]
    as_json = run("recommend", "tt0000005", "--json")
    assert '"tconst": "tt0000005"' in as_json.output and as_json.output.count('"score"') == 5
    found = run("search", "film 15", "-k", "1")
    assert found.output.startswith("Film 15 (1995)  tt0000015")
    guess = run("predict", "--genre", "Drama", "--runtime", "120", "--director", "nm0000001")
    assert guess.exit_code == 0, guess.output
    assert "expected rating:" in guess.output and "what drives the audience" in guess.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", "tt9999999"], "Unknown title tt9999999"),
        (["recommend", "zzzzzzzzzz"], "No film matches 'zzzzzzzzzz'"),
        (["recommend"], "name a film"),
        (["predict", "--genre", "Opera"], "unknown genre"),
        (["predict", "--director", "qqqqqqqqqq"], "No person matches"),
    ],
)
def test_the_questions_refuse_in_one_line(run, trained, args, message):
    result = run(*args)
    assert result.exit_code != 0
    assert message.lower() in result.output.lower() and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a PostgreSQL connection URL"),
        ("DATABASE_URL", "postgresql://u:secret@127.0.0.1:1/x", "cannot connect to the database"),
        ("NETFLOOX_PORT", "abc", "NETFLOOX_PORT='abc' is not a whole number 1 to 65535"),
        ("NETFLOOX_WEB_THREADS", "0", "NETFLOOX_WEB_THREADS='0' is not a whole number"),
        ("NETFLOOX_APP_DATABASE_URL", "postgresql://[bad", "NETFLOOX_APP_DATABASE_URL is not"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(variable, value, message, monkeypatch):
    """As the user runs it: a process, the setting in its environment, no traceback."""
    import subprocess
    import sys

    from database.config import PROJECT_ROOT

    monkeypatch.setenv(variable, value)
    command = ["serve"] if variable.startswith("NETFLOOX_") else ["db", "status"]
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *command],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "secret" not in done.stderr


def test_version():
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"netfloox {version('netfloox')}"

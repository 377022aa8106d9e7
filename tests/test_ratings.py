"""The service's client rating log: its import, the collaborative blend, recommend_for_client."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from database.ratings_import import RatingImportError, run_ratings_import
from ml.embeddings import EmbeddingParams, train
from tests.test_recommend import build_catalogue

LINKS = ["movieId,imdbId,tmdbId"] + [f"{i},{i:07d},{100 + i}" for i in range(1, 41)]


def write_log(folder: Path, ratings: list[str], links: list[str] = LINKS) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "links.csv").write_text("\n".join(links) + "\n")
    (folder / "ratings.csv").write_bytes(
        b"userId,movieId,rating,timestamp\n" + b"".join(r.encode() + b"\n" for r in ratings)
    )
    return str(folder)


def co_likes() -> list[str]:
    """20 clients who love films 1 and 7 (different genres), 20 who love 2 and 9."""
    rows = []
    for client in range(1, 21):
        rows += [f"{client},1,5.0,1000", f"{client},7,4.5,1001", f"{client},3,1.0,1002"]
    for client in range(21, 41):
        rows += [f"{client},2,5.0,1000", f"{client},9,5.0,1001"]
    return rows


@pytest.fixture
def catalogue(db):
    build_catalogue(db)
    return db


def load(db_url: str, folder: str, **kwargs):
    return run_ratings_import(db_url, folder, echo=lambda _: None, **kwargs)


def stored(db) -> int:
    return db.execute("SELECT count(*) FROM clientlog.rating").fetchone()[0]


def test_every_line_is_accounted_for(catalogue, db_url, tmp_path):
    lines = [
        "1,1,4.0,100",  # line 2
        "1,2,abc,100",  # 3: not a number
        "1,3,11,100",  # 4: outside 0..10
        "1,4,3.0",  # 5: a field short
        "1,77,3.0,100",  # 6: movieId without a link
        "2,1,3.0,100",  # 7
        "2,1,5.0,200",  # 8: same client and film, later: kept
        "2,1,1.0,50",  # 9: same, earlier: dropped
        "3,41,4.0,100",  # 10: linked to a film the catalogue lacks
    ]
    links = LINKS + ["41,9999999,1"]
    folder = write_log(tmp_path / "log", lines, links)
    (tmp_path / "log" / "ratings.csv").write_bytes(
        (tmp_path / "log" / "ratings.csv").read_bytes() + b"4,1,4.0,1\xff\n"  # 11: bad UTF-8
    )
    report = load(db_url, folder, max_reject_rate=1.0)
    assert report.status == "succeeded"
    assert report.lines_read == {"links.csv": 41, "ratings.csv": 10}
    assert report.rejected == {"links.csv": 0, "ratings.csv": 5}
    assert report.duplicates == 2 and report.stored == 3
    assert report.stored + report.duplicates + report.rejected["ratings.csv"] == 10
    assert report.absent_from_catalogue == 1
    assert catalogue.execute(
        "SELECT rating FROM clientlog.rating WHERE client_id = 2 AND title_id = 1"
    ).fetchone() == (5.0,)
    rejects = catalogue.execute(
        "SELECT line_no, reason FROM ops.rating_import_reject WHERE run_id = %s ORDER BY line_no",
        (report.run_id,),
    ).fetchall()
    assert [r[0] for r in rejects] == [3, 4, 5, 6, 11]
    assert "rating 'abc' is not a number" in rejects[0][1]
    assert "no IMDb link" in rejects[3][1] and "UTF-8" in rejects[4][1]


def test_a_refused_log_keeps_the_previous_one(catalogue, db_url, tmp_path):
    load(db_url, write_log(tmp_path / "good", co_likes()))
    before = stored(catalogue)
    truncated = tmp_path / "cut"
    write_log(truncated, co_likes())
    data = (truncated / "ratings.csv").read_bytes()
    (truncated / "ratings.csv").write_bytes(data[: len(data) - 7])  # the last line cut short
    with pytest.raises(RatingImportError, match="ratings.csv: 1 of 100 lines rejected"):
        load(db_url, str(truncated))
    assert stored(catalogue) == before
    status = catalogue.execute(
        "SELECT status FROM ops.rating_import_run ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    assert status == ("failed",)


def test_a_wrong_header_names_the_file_and_line(catalogue, db_url, tmp_path):
    folder = write_log(tmp_path / "log", co_likes())
    (tmp_path / "log" / "links.csv").write_text("id,imdb\n1,0000001\n")
    with pytest.raises(RatingImportError, match=r"links.csv:1: header 'id,imdb'"):
        load(db_url, folder)


def test_unchanged_files_are_not_loaded_twice(catalogue, db_url, tmp_path):
    folder = write_log(tmp_path / "log", co_likes())
    assert load(db_url, folder).status == "succeeded"
    assert load(db_url, folder).status == "unchanged"
    assert load(db_url, folder, force=True).status == "succeeded"


def test_the_log_makes_co_liked_films_neighbours(catalogue, db_url, tmp_path):
    before = [r[0] for r in catalogue.execute("SELECT tconst FROM recommend('tt0000001', 5)")]
    assert "tt0000007" not in before  # content alone: film 7 is of another genre family
    load(db_url, write_log(tmp_path / "log", co_likes()))
    train(catalogue, EmbeddingParams())
    rows = catalogue.execute("SELECT tconst, reason FROM recommend('tt0000001', 5)").fetchall()
    assert rows[0] == ("tt0000007", rows[0][1])
    assert rows[0][1].startswith("clients who liked it also liked this")
    blended, content_only = catalogue.execute(
        "SELECT count(*) FILTER (WHERE collaborative > 0),"
        " count(*) FILTER (WHERE collaborative = 0) FROM ml.title_embedding"
    ).fetchone()
    assert blended == 4 and content_only > 30  # films 1, 7, 2, 9; the rest keep content only
    method = catalogue.execute("SELECT method FROM ml.embedding_model WHERE active").fetchone()
    assert method == ("tfidf-svd + ease",)


def test_recommend_for_client_proposes_unrated_films(catalogue, db_url, tmp_path):
    load(db_url, write_log(tmp_path / "log", co_likes()))
    train(catalogue, EmbeddingParams())
    rows = catalogue.execute("SELECT tconst FROM recommend_for_client(21, 5)").fetchall()
    ids = {r[0] for r in rows}
    assert len(rows) == 5 and not ids & {"tt0000002", "tt0000009"}  # what client 21 rated
    with pytest.raises(psycopg.errors.NoDataFound, match="unknown client 999"):
        catalogue.execute("SELECT * FROM recommend_for_client(999, 5)")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="k must be between"):
        catalogue.execute("SELECT * FROM recommend_for_client(21, 0)")
    clients = catalogue.execute("SELECT count(*) FROM clients()").fetchone()
    assert clients == (40,)


def test_append_adds_a_days_ratings_keeping_the_latest(catalogue, db_url, tmp_path):
    load(db_url, write_log(tmp_path / "day1", ["1,1,4.0,100", "1,2,3.0,100", "2,1,5.0,100"]))
    day2 = [
        "1,1,2.0,200",  # client 1 re-rates film 1 later: updated
        "1,2,5.0,50",  # an older rating than the log's: the log keeps 3.0
        "2,1,5.0,100",  # identical to the log: nothing
        "3,4,4.5,300",  # new
        "3,4,4.0,250",  # same pair, earlier line in time: a duplicate of the file
    ]
    folder = write_log(tmp_path / "day2", day2)
    report = load(db_url, folder, append=True)
    assert (report.mode, report.status) == ("append", "succeeded")
    assert (report.added, report.updated, report.unchanged, report.duplicates) == (1, 1, 2, 1)
    assert report.stored == 4 and "1 new ratings, 1 updated" in report.render()
    log = catalogue.execute(
        "SELECT client_id, title_id, rating FROM clientlog.rating ORDER BY 1, 2"
    ).fetchall()
    assert log == [(1, 1, 2.0), (1, 2, 3.0), (2, 1, 5.0), (3, 4, 4.5)]
    again = load(db_url, folder, append=True)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    assert (
        catalogue.execute(
            "SELECT client_id, title_id, rating FROM clientlog.rating ORDER BY 1, 2"
        ).fetchall()
        == log
    )


def test_a_log_appended_in_two_halves_equals_the_whole(catalogue, db_url, tmp_path):
    rows = co_likes()
    load(db_url, write_log(tmp_path / "whole", rows))
    whole = catalogue.execute("SELECT * FROM clientlog.rating ORDER BY 1, 2").fetchall()
    load(db_url, write_log(tmp_path / "first", rows[: len(rows) // 2]))
    load(db_url, write_log(tmp_path / "second", rows[len(rows) // 2 :]), append=True)
    assert catalogue.execute("SELECT * FROM clientlog.rating ORDER BY 1, 2").fetchall() == whole


def test_a_refused_append_keeps_the_log(catalogue, db_url, tmp_path):
    load(db_url, write_log(tmp_path / "good", co_likes()))
    before = catalogue.execute("SELECT * FROM clientlog.rating ORDER BY 1, 2").fetchall()
    with pytest.raises(RatingImportError, match="ratings.csv: 1 of 2 lines rejected"):
        load(db_url, write_log(tmp_path / "bad", ["50,1,4.0,1", "50,2,x,1"]), append=True)
    assert catalogue.execute("SELECT * FROM clientlog.rating ORDER BY 1, 2").fetchall() == before

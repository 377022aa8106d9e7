"""`netfloox train --refresh`: the models follow a refreshed catalogue and an appended log without
a full retrain — new titles folded in with the stored projection, the served ranking still exact,
the log's model re-learnt, the track records recomputed."""

from __future__ import annotations

import json
import re

import numpy as np
import psycopg
import pytest

from database.ratings_import import run_ratings_import
from harness.evaluation.recommend import load_stored
from ml.embedding_refresh import refresh
from ml.embeddings import EmbeddingParams, train
from ml.popularity import refresh_track_records
from tests.factories import add_title, refresh_analytics
from tests.test_ratings import co_likes, write_log
from tests.test_recommend import build_catalogue
from tests.test_recommend_exact import answers


@pytest.fixture
def catalogue(db):
    build_catalogue(db)  # trains a full model
    return db


def every_answer(conn) -> dict[str, list]:
    seeds = [
        r[0]
        for r in conn.execute(
            "SELECT tconst FROM ml.title_embedding e"
            " JOIN catalog.title t USING (title_id) ORDER BY 1"
        )
    ]
    return {s: answers(conn, s, False) for s in seeds}


def test_a_refresh_without_change_serves_the_same_model(catalogue):
    before = load_stored(catalogue)
    served = every_answer(catalogue)
    version, changes = refresh(catalogue)
    after = load_stored(catalogue)
    assert changes["new_titles"] == 0 and changes["collaborative"] == "kept"
    assert np.array_equal(before.title_ids, after.title_ids)
    assert np.abs(before.vectors - after.vectors).max() < 1e-6
    assert every_answer(catalogue) == served
    fit = catalogue.execute(
        "SELECT params->>'content_fit', (SELECT count(DISTINCT fit_version) FROM ml.content_token)"
        " FROM ml.embedding_model WHERE active"
    ).fetchone()
    assert fit == (str(version - 1), 1)  # the full training's projection, reused


def test_new_titles_get_vectors_from_the_stored_projection(catalogue, caplog, monkeypatch):
    import ml.neighbours

    monkeypatch.setattr(ml.neighbours, "MIN_LIST", 10)  # the hand-made catalogue has 42 points
    # new Action/Sci-Fi films by the director of the Sci-Fi family (films 5, 10, ...), with an
    # actor the fit never saw (in two films: a full training would keep him; here he adds nothing)
    for tconst in ("tt0000500", "tt0000501"):
        add_title(
            catalogue,
            tconst,
            f"New Sci-Fi {tconst}",
            year=2010,
            genres=("Action", "Sci-Fi"),
            rating=7.0,
            votes=3000,
            directors=["nm0000001"],
            cast=["nm0000100", "nm9999999"],
        )
    refresh_analytics(catalogue)
    with caplog.at_level("INFO", logger="ml.neighbours"):
        _, changes = refresh(catalogue)
    assert changes["new_titles"] == 2 and changes["tokens_unknown_to_the_fit"] == 1
    # the lists of the points already there were updated, not recomputed
    assert re.search(r"neighbour lists: [1-9]\d* updated", caplog.text)
    genres = catalogue.execute("SELECT genres FROM recommend('tt0000500', 3)").fetchall()
    assert all("Sci-Fi" in g[0] for g in genres)
    proposed_for = catalogue.execute(
        """SELECT s.tconst FROM catalog.title s, recommend(s.tconst, 5) r
           WHERE r.tconst = 'tt0000500' AND s.tconst NOT IN ('tt0000500', 'tt0000501')"""
    ).fetchall()
    assert proposed_for and all(int(t[0][2:]) % 5 == 0 for t in proposed_for)  # Sci-Fi seeds
    exact = {s: answers(catalogue, s, True) for s in every_answer(catalogue)}
    assert every_answer(catalogue) == exact  # the lists of the refreshed model are exact


def test_a_log_appended_in_two_halves_and_refreshed_equals_a_full_training(
    catalogue, db_url, tmp_path
):
    rows = co_likes()
    run_ratings_import(db_url, write_log(tmp_path / "whole", rows), echo=lambda _: None)
    train(catalogue, EmbeddingParams())
    whole = every_answer(catalogue)
    run_ratings_import(db_url, write_log(tmp_path / "a", rows[::2]), echo=lambda _: None)
    train(catalogue, EmbeddingParams())
    run_ratings_import(
        db_url, write_log(tmp_path / "b", rows[1::2]), append=True, echo=lambda _: None
    )
    _, changes = refresh(catalogue)
    assert changes["collaborative"].startswith("re-learnt")
    assert every_answer(catalogue) == whole


def add_later_films(conn, cast=()) -> None:
    """Three new rated films, tt0000600-602, by director nm0000001."""
    for i in range(3):
        add_title(
            conn,
            f"tt00006{i:02d}",
            f"Later film {i}",
            year=2015,
            genres=("Drama",),
            rating=8.0,
            votes=500,
            directors=["nm0000001"],
            cast=cast,
        )


def test_track_records_follow_the_catalogue(catalogue):
    from ml.popularity import train as train_popularity

    train_popularity(catalogue)
    record = (
        "SELECT n FROM ml.person_effect e JOIN ml.model m USING (version)"
        " WHERE m.active AND m.target = 'rating' AND e.role = 'director' AND e.person_id = 1"
    )
    (films,) = catalogue.execute(record).fetchone()
    add_later_films(catalogue)  # outside the held-out fold
    holdout = catalogue.execute(
        "SELECT count(*) FROM ml.popularity_title WHERE is_holdout AND tconst LIKE 'tt00006%%'"
    ).fetchone()[0]
    counts = refresh_track_records(catalogue)
    assert len(counts) == 2  # the active rating and audience models
    assert catalogue.execute(record).fetchone() == (films + 3 - holdout,)


@pytest.fixture
def day_two(tmp_path, db_url):
    """A generated day 1 imported and trained in full, then its next day imported as a refresh
    (ops.title_change holds the titles it changed)."""
    from database.imdb_import import ImportOptions, run_import
    from harness.imdb_generator import Generator
    from harness.imdb_next_day import next_day
    from ml.popularity import train as train_popularity

    Generator(150_000, seed=3).write(tmp_path / "day1")
    next_day(tmp_path / "day1", tmp_path / "day2", rate=0.05, seed=1)
    run_import(db_url, str(tmp_path / "day1"), ImportOptions(), echo=lambda _: None)
    conn = psycopg.connect(db_url, autocommit=True)
    train(conn, EmbeddingParams())
    train_popularity(conn)
    # day 2 also loses the ratings of the three most-voted titles (points with a list go; the
    # generated days at this size have no point of two titles: renames are tested above)
    _unrate(tmp_path / "day2" / "title.ratings.tsv.gz", 3)
    report = run_import(db_url, str(tmp_path / "day2"), ImportOptions(), echo=lambda _: None)
    assert report.mode == "refresh" and report.titles_changed > 0 and report.people_changed > 0
    yield conn
    conn.close()


def _unrate(ratings, most_voted: int) -> None:
    """Remove the rating lines of the ``most_voted`` titles with the most votes: they leave the
    recommendable titles."""
    import gzip

    header, *lines = gzip.decompress(ratings.read_bytes()).splitlines(keepends=True)
    lines.sort(key=lambda line: -int(line.split(b"\t")[2]))
    ratings.write_bytes(gzip.compress(header + b"".join(sorted(lines[most_voted:]))))


def own_vectors(conn) -> tuple[np.ndarray, np.ndarray]:
    """Every recommendable title's vector folded in with the active model's projection (what a
    refresh of every title computes before grouping), as (title ids, unit rows)."""
    from ml.embeddings import (
        active_model,
        blend,
        fold_in,
        load_fit,
        load_titles,
        stored_collaborative,
        title_tokens,
    )

    model = active_model(conn)
    titles = load_titles(conn)
    content, _ = fold_in(
        title_tokens(conn, titles, model.p), load_fit(conn, model.params["content_fit"]), model.p
    )
    ids = titles["title_id"].to_numpy()
    emb = blend(titles, content, stored_collaborative(conn, ids, model.p), model.p)
    return ids, emb.vectors


def assert_consistent(conn) -> None:
    """The model holds every recommendable title, each with its point's vector, each point named
    by its smallest title and holding the list."""
    assert conn.execute(
        """SELECT count(*) FROM ml.recommendable_title r
           FULL JOIN ml.title_embedding e USING (title_id)
           WHERE r.title_id IS NULL OR e.title_id IS NULL"""
    ).fetchone() == (0,)
    assert conn.execute(
        """SELECT count(*) FROM ml.title_embedding e
           LEFT JOIN ml.title_embedding p ON p.title_id = e.point_id
           WHERE p.title_id IS NULL OR p.point_id <> p.title_id OR e.embedding <> p.embedding
              OR e.point_id > e.title_id
              OR (e.neighbours IS NOT NULL) <> (e.title_id = e.point_id)"""
    ).fetchone() == (0,)


def forgotten(conn) -> bool:
    """No change is kept any more (every active model has seen them all)."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM ops.title_change) + (SELECT count(*) FROM ops.person_change)"
    ).fetchone() == (0,)


def record_import(conn, tconsts: list[str]) -> None:
    """What an incremental import records (a run and the titles it changed), on a catalogue made
    by hand: the active model counts as having seen every import before."""
    conn.execute(
        """UPDATE ml.embedding_model SET params = params || '{"catalog_run": 0}' WHERE active"""
    )
    (run,) = conn.execute(
        """INSERT INTO ops.import_run (source, status, finished_at, report)
           VALUES ('test', 'succeeded', now(), %s) RETURNING run_id""",
        (json.dumps({"titles_changed": len(tconsts)}),),
    ).fetchone()
    conn.execute(
        """INSERT INTO ops.title_change
           SELECT %s, title_id, true FROM catalog.title WHERE tconst = ANY (%s)""",
        (run, tconsts),
    )
    conn.execute("UPDATE ml.model SET params = params || '{\"records_run\": 0}' WHERE active")


def test_points_are_renamed_joined_and_dropped_as_their_titles_move(db):
    from tests.test_recommend_exact import build_duplicate_groups

    build_duplicate_groups(db)  # groups tt0000001-40, 41-80, 81-120 of identical vectors
    # the first group's name gets a director (a new point of its own, with its old name) and
    # one of its other films leaves
    db.execute(
        """INSERT INTO catalog.title_director
           SELECT 1, person_id, 1 FROM catalog.person WHERE nconst = 'nm0000003'"""
    )
    db.execute("DELETE FROM catalog.rating WHERE title_id = 3")
    # the second group's name takes the third group's genres: it joins that group and names it
    db.execute("DELETE FROM catalog.title_genre WHERE title_id = 41")
    db.execute(
        """INSERT INTO catalog.title_genre SELECT 41, genre_id, position
           FROM catalog.title_genre WHERE title_id = 81"""
    )
    # a new film identical to the first group joins it; one with a director of its own is alone
    add_title(db, "tt0000900", "Like group 0", year=1995, genres=("Drama",), rating=6.0, votes=50)
    add_title(
        db,
        "tt0000901",
        "Own director",
        year=1995,
        genres=("Drama",),
        rating=6.0,
        votes=50,
        directors=["nm0000001"],
    )
    refresh_analytics(db)
    record_import(db, ["tt0000001", "tt0000003", "tt0000041", "tt0000900", "tt0000901"])
    _, changes = refresh(db)
    assert changes["scope"] == "changed titles" and changes["titles_re_embedded"] == 4
    assert changes["gone_titles"] == 1 and changes["points_gone"] == 0
    assert changes["points_renamed"] == 3 and changes["points_added"] == 2
    points = dict(
        db.execute(
            """SELECT t.tconst, e.point_id FROM ml.title_embedding e
               JOIN catalog.title t USING (title_id)
               WHERE t.tconst IN ('tt0000001', 'tt0000002', 'tt0000042', 'tt0000081',
                                  'tt0000900')"""
        ).fetchall()
    )
    assert points == {
        "tt0000001": 1,
        "tt0000002": 2,
        "tt0000042": 42,
        "tt0000081": 41,
        "tt0000900": 2,
    }
    assert_consistent(db)
    assert forgotten(db)  # (no popularity model to see them)
    for filters in ({}, {"min_votes": 500}, {"genre": "Comedy"}):
        served = {s: answers(db, s, False, **filters) for s in every_answer(db)}
        assert served == {s: answers(db, s, True, **filters) for s in served}


def test_a_refresh_after_incremental_imports_re_embeds_only_the_changed_titles(day_two):
    conn = day_two
    changed = conn.execute("SELECT count(DISTINCT title_id) FROM ops.title_change").fetchone()[0]
    recommendable = conn.execute("SELECT count(*) FROM ml.recommendable_title").fetchone()[0]
    version, changes = refresh(conn)
    assert changes["scope"] == "changed titles"
    assert 0 < changes["titles_re_embedded"] <= changed < recommendable
    assert changes["new_titles"] > 0 and changes["gone_titles"] > 0
    assert changes["points_added"] > 0 and changes["points_gone"] >= 3
    assert changes["lists_patched"] > 0
    # the model holds every recommendable title, each with its point's vector, each point once
    assert_consistent(conn)
    # each title's stored vector is its own folded-in one, but for the merging of near-identical
    # vectors into points
    ids, own = own_vectors(conn)
    stored = load_stored(conn)
    assert np.array_equal(stored.title_ids, ids)
    assert np.einsum("ij,ij->i", own, stored.vectors).min() > 1 - 1e-3
    # and the lists are exact: every seed served as the exact scan ranks it
    served = every_answer(conn)
    exact = {s: answers(conn, s, True) for s in served}
    assert [s for s in served if served[s] != exact[s]] == []
    # nothing changed since: nothing re-embedded, the same answers
    _, again = refresh(conn)
    assert again["scope"] == "changed titles" and again["titles_re_embedded"] == 0
    assert every_answer(conn) == served
    assert not forgotten(conn)  # the popularity models have not seen them yet
    refresh_track_records(conn)
    assert forgotten(conn)


def test_a_refresh_after_a_rebuild_re_embeds_every_title(day_two, db_url, tmp_path):
    from database.imdb_import import ImportOptions, run_import

    report = run_import(
        db_url, str(tmp_path / "day1"), ImportOptions(full=True), echo=lambda _: None
    )
    assert report.mode == "rebuild"
    _, changes = refresh(day_two)
    assert changes["scope"] == "every title"
    served = every_answer(day_two)
    assert served == {s: answers(day_two, s, True) for s in served}


def test_track_records_of_the_people_touched_equal_a_full_recompute(catalogue):
    from ml.popularity import train as train_popularity

    train_popularity(catalogue)
    every = "SELECT * FROM ml.person_effect ORDER BY version, role, person_id"
    add_later_films(catalogue, cast=["nm0000777"])  # with a new actor
    catalogue.execute("UPDATE catalog.rating SET average_rating = 9.9 WHERE title_id = 10")
    record_import(catalogue, ["tt0000600", "tt0000601", "tt0000602", "tt0000010"])
    before = catalogue.execute(every).fetchall()
    refresh_track_records(catalogue)
    patched = catalogue.execute(every).fetchall()
    assert patched != before
    catalogue.execute("UPDATE ml.model SET params = params - 'records_run'")  # every record
    refresh_track_records(catalogue)
    assert catalogue.execute(every).fetchall() == patched


def test_track_records_after_an_incremental_import_equal_a_full_recompute(day_two):
    # (sums rounded: another plan adds the same numbers in another order)
    every = """SELECT version, role, person_id, n, round(total::numeric, 9),
                      round(total_votes::numeric, 9), round(rating_effect::numeric, 9),
                      films_by_type
               FROM ml.person_effect ORDER BY version, role, person_id"""
    facts = day_two.execute("SELECT count(*) FILTER (WHERE facts) FROM ops.title_change")
    assert facts.fetchone()[0] > 0
    patched = refresh_track_records(day_two)
    rows = day_two.execute(every).fetchall()
    day_two.execute("UPDATE ml.model SET params = params - 'records_run'")  # every record
    full = refresh_track_records(day_two)
    assert patched.keys() == full.keys() and all(patched[v] < full[v] for v in full)
    assert day_two.execute(every).fetchall() == rows

"""`netfloox train --refresh`: the models follow a refreshed catalogue and an appended log without
a full retrain — new titles folded in with the stored projection, the served ranking still exact,
the log's model re-learnt, the track records recomputed."""

from __future__ import annotations

import re

import numpy as np
import pytest

from database.ratings_import import run_ratings_import
from harness.evaluation.recommend import load_stored
from ml.embeddings import EmbeddingParams, refresh, train
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


def test_track_records_follow_the_catalogue(catalogue):
    from ml.popularity import train as train_popularity

    train_popularity(catalogue)
    record = (
        "SELECT n FROM ml.person_effect e JOIN ml.model m USING (version)"
        " WHERE m.active AND m.target = 'rating' AND e.role = 'director' AND e.person_id = 1"
    )
    (films,) = catalogue.execute(record).fetchone()
    for i in range(3):  # three new rated films by director nm0000001, outside the held-out fold
        add_title(
            catalogue,
            f"tt00006{i:02d}",
            f"Later film {i}",
            year=2015,
            genres=("Drama",),
            rating=8.0,
            votes=500,
            directors=["nm0000001"],
        )
    holdout = catalogue.execute(
        "SELECT count(*) FROM ml.popularity_title WHERE is_holdout AND tconst LIKE 'tt00006%%'"
    ).fetchone()[0]
    counts = refresh_track_records(catalogue)
    assert len(counts) == 2  # the active rating and audience models
    assert catalogue.execute(record).fetchone() == (films + 3 - holdout,)

"""Film and person pages, the navbar search, the drivers filters and the addresses that keep a
page's state: on a real database, as the app's own role."""

from __future__ import annotations

import pytest

from app.db import as_app_role
from app.web import create_app
from app.web.components import query_string
from ml.popularity import train as train_popularity
from tests.factories import add_title, refresh_analytics
from tests.test_app import ids_of, texts
from tests.test_recommend import build_catalogue

SEED = "tt0000005"  # "Film 5": Action, Sci-Fi, directed by nm0000001


def links(component) -> list[str]:
    """Every link's address in a component tree, in order."""
    found = []
    if isinstance(component, (list, tuple)):
        for c in component:
            found += links(c)
        return found
    href = getattr(component, "href", None)
    if href:
        found.append(href)
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str):
        found += links(children)
    return found


@pytest.fixture
def pages(db, db_url):
    build_catalogue(db)
    train_popularity(db)
    create_app(as_app_role(db_url))
    from app.web import navsearch
    from app.web.pages import drivers, name, predict, recommend, title

    return title, name, recommend, predict, drivers, navsearch


def test_a_film_page_links_its_people_and_five_recommendations(pages):
    title, *_ = pages
    page = title.layout(tconst=SEED)
    shown = texts(page)
    assert "Film 5" in shown and "Directed by" in shown and "Person nm0000001" in shown
    addresses = links(page)
    assert "/name/nm0000001" in addresses  # its director
    recommended = ids_of(page, "title-card")
    assert len(recommended) == 5 and SEED not in recommended
    assert {f"/title/{t}" for t in recommended} <= set(addresses)  # each card opens its page
    assert "popularity model expects" in shown and "training film" in shown


def test_a_held_out_film_says_its_estimate_is_honest(pages, db):
    held_out = db.execute("SELECT tconst FROM ml.popularity_title WHERE is_holdout").fetchall()
    assert ("tt0000008",) in held_out  # 1 film in 10, by a hash of its tconst
    title, *_ = pages
    assert "held out from training" in texts(title.layout(tconst="tt0000008"))
    assert "held out" not in texts(title.layout(tconst=SEED))


def test_unknown_ids_are_messages_not_tracebacks(pages):
    title, name, *_ = pages
    assert "unknown title tt9999999" in texts(title.layout(tconst="tt9999999")).lower()
    assert "unknown person" in texts(name.layout(nconst="nm9999999")).lower()
    assert "unknown title" in texts(title.layout(tconst="<script>")).lower()


def test_a_person_page_lists_the_filmography_by_role_and_the_track_record(pages):
    _, name, *_ = pages
    page = name.layout(nconst="nm0000001")  # directs films 5, 10, ..., 40
    shown = texts(page)
    assert "Person nm0000001" in shown and "Director" in shown
    addresses = links(page)
    assert {f"/title/tt{i:07d}" for i in range(5, 41, 5)} <= set(addresses)
    assert "Track record" in shown and "director" in shown
    assert len(ids_of(page, "title-card")) == 5  # films like their work


def test_films_like_their_work_start_from_their_known_for_titles(pages, db):
    _, name, *_ = pages
    best = "SELECT tconst FROM api.best_known('nm0000001', 3)"
    # no known-for titles: their most-voted credits (Film 40 has the most votes of films 5..40)
    assert db.execute(best).fetchall() == [("tt0000040",), ("tt0000035",), ("tt0000030",)]
    assert "From their best-known: Film 40, Film 35, Film 30." in texts(name.layout("nm0000001"))
    db.execute("INSERT INTO catalog.known_for (person_id, title_id, position) VALUES (1, 10, 1)")
    db.commit()
    assert db.execute(best).fetchall() == [("tt0000010",)]  # read by key, credits not read
    page = name.layout(nconst="nm0000001")
    assert "From their best-known: Film 10." in texts(page)
    assert len(ids_of(page, "title-card")) == 5
    films_like = "SELECT count(*) FROM api.films_like_work('nm0000001', 5)"
    assert db.execute(films_like).fetchone() == (5,)


def test_the_navbar_search_opens_films_people_and_ids(pages):
    *_, navsearch = pages
    found = navsearch.suggestions("amelie")
    assert found[0]["value"] == "/title/tt0000100"
    assert all(o["search"] == "amelie" for o in found)  # the browser keeps the server's answer
    assert navsearch.suggestions("nm0000001") == [
        {"label": "Open nm0000001", "value": "/name/nm0000001", "search": "nm0000001"}
    ]
    assert navsearch.open_page("/title/tt0000100") == ("/title/tt0000100", None)


def test_pickers_answer_what_was_typed_in_the_servers_order(pages):
    _, _, recommend, predict, *_ = pages
    films = recommend.suggestions("amelie poulian", [SEED])  # a typo, no accent
    assert films[0]["value"] == SEED and "search" not in films[0]  # the chosen, kept
    assert films[1]["value"] == "tt0000100" and films[1]["search"] == "amelie poulian"
    people = predict.people_options("persn nm0000001", None, "directors")
    assert people and all(o["search"] == "persn nm0000001" for o in people)


def test_the_recommend_address_restores_the_choice(pages):
    _, _, recommend, *_ = pages
    search = recommend.keep_address([SEED], ["movie", "tvSeries"], [1990, 2030], 500, "")
    assert search == "?liked=tt0000005&types=movie,tvSeries&years=1990-2030&min_votes=500"
    assert recommend.keep_address([SEED], ["movie", "tvSeries"], [1990, 2030], 500, search) is (
        __import__("dash").no_update
    )
    page = recommend.layout(liked=SEED, types="movie,tvSeries", years="1990-2030", min_votes="500")
    shown = repr(page)
    assert "'tt0000005'" in shown and "tvSeries" in shown and "1990" in shown


def test_bad_addresses_say_what_is_wrong(pages):
    _, _, recommend, predict, *_ = pages
    assert "years='abc'" in texts(recommend.layout(years="abc"))
    assert "min_votes='x'" in texts(recommend.layout(min_votes="x"))
    assert "unknown films: tt9999999" in texts(recommend.layout(liked=f"{SEED},tt9999999"))
    assert "year='2o26'" in texts(predict.layout(year="2o26", genres="Drama"))
    assert "unknown genre" in texts(predict.layout(genres="Westrn")).lower()


def test_the_predict_address_shows_its_estimate_at_once(pages):
    _, _, _, predict, *_ = pages
    search = query_string({"type": "movie", "genres": ["Drama"], "directors": ["nm0000001"]})
    assert search == "?type=movie&genres=Drama&directors=nm0000001"
    page = predict.layout(type="movie", genres="Drama", directors="nm0000001")
    assert "Expected IMDb rating" in texts(page)
    assert "Expected IMDb rating" not in texts(predict.layout())
    assert "Describe the film" in texts(predict.layout(type="movie", year="2026"))


def test_track_records_for_a_production_team(pages, db):
    *_, drivers, _ = pages
    add_title(
        db,
        "tt0000400",
        "A Series",
        title_type="tvSeries",
        genres=("Drama",),
        rating=9.5,
        votes=50_000,
        directors=["nm0000900"],
    )
    add_title(
        db,
        "tt0000401",
        "B Series",
        title_type="tvSeries",
        genres=("Drama",),
        rating=9.4,
        votes=50_000,
        directors=["nm0000900"],
    )
    refresh_analytics(db)
    train_popularity(db)
    every = texts(drivers.show_track_records("director", None, 2, None))
    films = texts(drivers.show_track_records("director", "movie", 2, None))
    assert "Person nm0000900" in every and "Person nm0000900" not in films
    named = texts(drivers.show_track_records("director", "movie", 1, "nm0000001"))
    assert "Person nm0000001" in named and "Person nm0000002" not in named

"""The web app's callbacks on a real database, as the app's own role (no browser: see
test_browser.py for the same pages driven in Chromium)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pytest

from app.db import Database, UserError, as_app_role, set_database
from app.web import create_app
from app.web.components import votes
from ml.popularity import train as train_popularity
from tests.factories import add_title, refresh_analytics
from tests.test_recommend import build_catalogue

SEED = "tt0000005"  # "Film 5": Action, Sci-Fi


@pytest.fixture
def site(db, db_url):
    """The app on a small catalogue with both models trained; yields the page modules."""
    build_catalogue(db)
    train_popularity(db)
    create_app(as_app_role(db_url))
    from app.web.pages import explore, predict, recommend

    return explore, recommend, predict


def texts(component) -> str:
    """All the text a component tree would show."""
    if component is None or isinstance(component, (int, float, str)):
        return "" if component is None else str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def ids_of(component, kind: str) -> list[str]:
    """The tconsts of the title cards in a component tree, in order."""
    found = []
    if isinstance(component, (list, tuple)):
        for c in component:
            found += ids_of(c, kind)
        return found
    cid = getattr(component, "id", None)
    if isinstance(cid, dict) and cid.get("type") == kind:
        found.append(cid["tconst"])
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str):
        found += ids_of(children, kind)
    return found


def test_suggestions_follow_typing_accents_and_keep_the_chosen(site):
    _, recommend, _ = site
    options = recommend.suggestions("amelie poulain", None)
    assert options[0]["value"] == "tt0000100"
    assert options[0]["label"] == "Le Fabuleux Destin d'Amélie Poulain (2001)"
    assert recommend.suggestions("a", None) == []
    kept = recommend.suggestions("amelie", [SEED])
    assert [o["value"] for o in kept][:2] == [SEED, "tt0000100"]


def test_recommend_page_shows_five_other_films_with_reasons(site):
    _, recommend, _ = site
    seed, cards = recommend.update_recommendations([SEED], ["movie"], [1920, 2030], 0)
    assert ids_of(seed, "title-card") == [SEED]
    shown = ids_of(cards, "title-card")
    assert len(shown) == 5 and len(set(shown)) == 5 and SEED not in shown
    assert "Action" in texts(cards)  # the reason names what is shared


def test_recommend_filters_reach_the_sql(site, db):
    _, recommend, _ = site
    _, cards = recommend.update_recommendations([SEED], ["movie"], [2000, 2030], 0)
    years = dict(db.execute("SELECT tconst, start_year FROM analytics.title_facts").fetchall())
    shown = ids_of(cards, "title-card")
    assert shown and all(years[t] >= 2000 for t in shown)


def test_recommend_messages_instead_of_errors(site):
    _, recommend, _ = site
    first, second = recommend.update_recommendations(None, ["movie"], [1920, 2030], 0)
    assert "Type the title" in texts(first) and second is None
    first, _ = recommend.update_recommendations(["tt9999999"], ["movie"], [1920, 2030], 0)
    assert isinstance(first, dbc.Alert) and "Unknown film" in texts(first)
    _, second = recommend.update_recommendations([SEED], ["movie"], [1900, 1910], 0)
    assert "No recommendation" in texts(second)


def test_prediction_shows_rating_audience_drivers_and_what_if(site, db):
    _, _, predict = site
    box, figure, style, what_if, what_if_style = predict.update_prediction(
        1, "movie", 2005, 110, ["Drama"], ["nm0000002"], [], ["nm0000101"], []
    )
    args = """start_year => 2005, runtime_minutes => 110, genres => '{Drama}',
              directors => '{nm0000002}', actors => '{nm0000101}'"""
    sql = db.execute(f"SELECT predicted_rating, low, high FROM predict_rating({args})").fetchone()
    assert f"{sql[0]:.1f}" in texts(box) and f"{sql[1]:.1f} – {sql[2]:.1f}" in texts(box)
    (expected_votes,) = db.execute(
        f"SELECT expected_votes FROM predict_audience({args})"
    ).fetchone()
    assert votes(round(expected_votes)) in texts(box)
    average = db.execute(f"SELECT contribution FROM explain_rating({args}) LIMIT 1").fetchone()[0]
    assert average + sum(figure.data[0].x) == pytest.approx(sql[0], abs=1e-9)
    assert {"genres", "directors", "cast", "year", "runtime"} <= set(figure.data[0].y)
    assert style == what_if_style == {"display": "block"}
    runtime_curve = what_if.data[0]
    assert list(runtime_curve.x) == list(range(60, 211, 10))
    assert runtime_curve.y[5] == pytest.approx(  # 110 min = the film as entered
        sql[0], abs=1e-9
    )


def test_prediction_asks_for_a_description_and_reports_bad_input(site):
    _, _, predict = site
    box, _, style, _, _ = predict.update_prediction(1, "movie", 2005, 110, [], [], [], [], [])
    assert "at least a genre or a person" in texts(box) and style == {"display": "none"}
    box, _, style, _, _ = predict.update_prediction(1, "movie", 2005, -5, ["Drama"], [], [], [], [])
    assert isinstance(box, dbc.Alert) and "runtime" in texts(box).lower()
    assert style == {"display": "none"}


def test_what_drives_popularity_page(site, db):
    from app.web.pages import drivers

    message, genres, curves = drivers.show_drivers(None)
    assert message is None
    rows = db.execute("SELECT kind, label, predicted_rating FROM popularity_drivers()").fetchall()
    by_genre = {label: r for kind, label, r in rows if kind == "genre"}
    shown = dict(zip(genres.data[0].y, genres.data[0].x, strict=True))
    assert shown and all(by_genre[g] == pytest.approx(v) for g, v in shown.items())
    assert len(curves.data[0].x) == 16  # runtime 60-210 min
    records = texts(drivers.show_track_records("director"))
    top = db.execute("SELECT primary_name FROM track_records('director', 1)").fetchone()[0]
    assert top in records and "effect on the rating" in records


def test_people_search_for_the_pickers(site):
    _, _, predict = site
    options = predict.people_options("person", None)
    assert options and all(o["value"].startswith("nm") for o in options)
    assert predict.people_options(None, ["nm0000002"])[0]["value"] == "nm0000002"


def test_model_card_reports_held_out_metrics(site):
    _, _, predict = site
    card = texts(predict.show_model_card(None))
    assert "Rating: trees version" in card and "Audience (log10 votes): trees" in card
    assert "R²" in card and "Weighs most" in card


def test_explore_figures_and_charts_match_the_catalogue(site, db):
    explore, _, _ = site
    # 40 films + Amélie + Obscure = 42 movies; + a series and its 2 episodes = 45 titles
    assert "Titles 45 Films 42" in texts(explore.key_figures())
    figures = explore.charts(["movie"], [1900, 2030], None)
    assert len(figures) == 6
    per_year = sum(sum(trace.y) for trace in figures[0].data)
    movies = db.execute("""SELECT count(*) FROM analytics.title_facts
                           WHERE title_type = 'movie'""").fetchone()[0]
    assert per_year == movies
    horror = explore.charts(["movie"], [1900, 2030], "Horror")
    assert sum(sum(t.y) for t in horror[0].data) == 8  # films 3, 8, ..., 38


def test_explore_genre_charts_follow_the_genre_filter(site):
    explore, _, _ = site
    share, rating = explore.charts(["movie"], [1900, 2030], "Horror")[2:4]
    assert [t.name for t in share.data] == ["Horror"] == [t.name for t in rating.data]
    assert set(rating.data[0].y) == {8.0}  # films 3, 8, ..., 38 are all rated 5 + 3
    shares = explore.charts(["movie"], [1900, 2030], None)[2]
    assert len(shares.data) == 7  # every genre of the catalogue (7, fewer than 8)


def test_runtime_chart_buckets_long_films_and_skips_unknown_runtimes(site, db):
    explore, _, _ = site
    add_title(
        db, "tt0000901", "Epic", year=2000, runtime=300, genres=("Drama",), rating=7, votes=50
    )
    add_title(
        db,
        "tt0000902",
        "No Runtime",
        year=2000,
        runtime=None,
        genres=("Drama",),
        rating=3,
        votes=50,
    )
    refresh_analytics(db)
    runtime = explore.charts(["movie"], [1900, 2030], None)[4].data[0]
    counts = dict(zip(runtime.x, runtime.customdata, strict=True))
    assert counts == {100.0: 42, 240.0: 1}  # 40 films + Amélie + Obscure at 100 min; Epic


def test_explore_empty_filters_are_messages(site):
    explore, _, _ = site
    message = explore.update_message(["movie"], [1900, 1910], None)
    assert "No title matches" in texts(message)
    assert "42 titles match" in texts(explore.update_message(["movie"], [1900, 2030], None))
    assert "at least one title type" in texts(explore.update_message([], [1900, 2030], None))
    figure = explore.chart_callback(explore.per_year)([], [1900, 2030], None)
    assert "at least one title type" in figure.layout.title.text


def test_explore_people_tables(site):
    explore, _, _ = site
    prolific, best = explore.people_rows("director", 1, ["movie"])
    assert len(prolific) == 5  # five directors made the 40 films
    ratings = [r["rating"] for r in best]
    assert ratings == sorted(ratings, reverse=True)
    shown = explore.update_people("director", 1, ["movie"])
    assert best[0]["name"] in texts(shown[1])
    assert "at least one title type" in texts(explore.update_people("director", 1, [])[0])
    # one type is read in index order; the same rows as the aggregate over several types gives
    # when the other types add nothing
    both = explore.people_rows("director", 1, ["movie", "videoGame"])
    assert (prolific, best) == both


def test_pages_render_for_a_first_visit(site):
    for page in site:
        assert texts(page.layout())


def test_the_app_role_cannot_read_the_catalogue(db_url):
    database = Database(as_app_role(db_url))
    database.open()
    try:
        with pytest.raises(UserError, match="(?i)permission denied"):
            database.fetch("SELECT count(*) FROM catalog.title")
        assert database.fetch("SELECT count(*) AS n FROM analytics.title_facts")[0]["n"] == 0
    finally:
        database.close()


def test_database_down_is_a_readable_message_not_a_traceback(site):
    _, recommend, _ = site
    set_database(Database("postgresql://netfloox@127.0.0.1:9/nowhere?connect_timeout=1"))
    first, _ = recommend.update_recommendations([SEED], ["movie"], [1920, 2030], 0)
    assert "not reachable" in texts(first)
    assert recommend.update_suggestions("film", None) is not None  # no exception either


def test_without_a_model_the_pages_say_what_to_run(db, db_url):
    build_catalogue(db)  # embeddings, but no popularity model
    create_app(as_app_role(db_url))
    from app.web.pages import predict

    assert "netfloox train popularity" in texts(predict.show_model_card(None))
    box, *_ = predict.update_prediction(1, "movie", 2005, 110, ["Drama"], [], [], [], [])
    assert "train" in texts(box)
    from app.web.pages import drivers

    assert "netfloox train popularity" in texts(drivers.show_drivers(None)[0])


def test_client_section_appears_with_a_rating_log(site, db, db_url, tmp_path):
    from database.ratings_import import run_ratings_import
    from ml.embeddings import EmbeddingParams, train
    from tests.test_ratings import co_likes, write_log

    _, recommend, _ = site
    assert texts(recommend.client_section()) == ""  # no log: nothing about clients
    run_ratings_import(db_url, write_log(tmp_path / "log", co_likes()), echo=lambda _: None)
    train(db, EmbeddingParams())
    assert "type a client's id" in texts(recommend.client_section())
    typed = [o["value"] for o in recommend.client_suggestions("2", None)]
    assert typed == [2, *range(20, 29)]  # 2, then the ids beginning with 2, ten at most
    assert [o["value"] for o in recommend.client_suggestions("x", 21)] == [21]
    cards = recommend.update_client_recommendations(21)
    shown = ids_of(cards, "title-card")
    assert len(shown) == 5 and not {"tt0000002", "tt0000009"} & set(shown)
    assert recommend.update_client_recommendations(None) is None

"""End to end: the pages in a real headless Chromium, on a real database.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them when it runs as
root); skipped with the reason otherwise. Run alone with ``pytest -m browser``.
"""

from __future__ import annotations

import time

import pytest

from harness.browser import AXE, Page, browser_missing, chromium, free_port, serving, tour
from ml.popularity import train as train_popularity
from tests.test_recommend import build_catalogue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(browser_missing()), reason=str(browser_missing())),
]


def test_a_visitor_explores_gets_five_films_and_an_estimate(db, db_url):
    from app.db import as_app_role
    from app.web import create_app

    build_catalogue(db)
    train_popularity(db)
    app = create_app(as_app_role(db_url))
    with serving(app, free_port()) as base, chromium() as driver:
        seen = tour(Page(driver, base), liked=("film 1", "Film 15 (1995)"), genre="Drama")
    assert seen["figures"][:2] == ["45", "42"]  # titles, films
    assert len(seen["recommendations"]) == 5 and "Film 15" not in seen["recommendations"]
    assert all(name.startswith(("Film", "Le Fabuleux")) for name in seen["recommendations"])
    assert 1.0 <= float(seen["rating"]) <= 10.0
    assert seen["audience"].endswith("votes")
    directors = db.execute("SELECT count(*) FROM track_records('director', 15)").fetchone()[0]
    assert seen["track_records"] == directors
    assert seen["film_page"] == "Film 15" and seen["person_page"].startswith("Person nm")
    assert seen["console_errors"] == []


# --------------------------------------------------------------------------- what a person sees
FAMOUS = [  # (tconst, title, year, genres, director (nconst, name), cast [(nconst, name)])
    (
        "tt0068646",
        "The Godfather",
        1972,
        ("Crime", "Drama"),
        ("nm0000338", "Francis Ford Coppola"),
        [("nm0000008", "Marlon Brando"), ("nm0000199", "Al Pacino")],
    ),
    (
        "tt0071562",
        "The Godfather Part II",
        1974,
        ("Crime", "Drama"),
        ("nm0000338", "Francis Ford Coppola"),
        [("nm0000199", "Al Pacino")],
    ),
    (
        "tt1375666",
        "Inception",
        2010,
        ("Action", "Sci-Fi"),
        ("nm0634240", "Christopher Nolan"),
        [("nm0000138", "Leonardo DiCaprio"), ("nm0004266", "Sophia Di Martino")],
    ),
    (
        "tt0110413",
        "Léon",
        1994,
        ("Action", "Crime"),
        ("nm0000108", "Luc Besson"),
        [("nm0000004", "Penélope Cruz")],
    ),
    (
        "tt0081505",
        "The Shining",
        1980,
        ("Drama", "Horror"),
        ("nm0000040", "Stanley Kubrick"),
        [("nm0000197", "Jack Nicholson")],
    ),
    (
        "tt0162222",
        "Cast Away",
        2000,
        ("Adventure", "Drama"),
        ("nm0000709", "Robert Zemeckis"),
        [("nm0000158", "Tom Hanks"), ("nm0867127", "Lauren Tom")],
    ),
]

FILM_CASES = [  # typed, the suggestion to find among the first 3 shown
    ("godfathr", "The Godfather (1972)"),  # a typo
    ("incepshun", "Inception (2010)"),  # typed as heard
    ("leon", "Léon (1994)"),  # accent dropped
    ("amelie", "Le Fabuleux Destin d'Amélie Poulain (2001)"),  # accent dropped, one word
    ("godfather part ii", "The Godfather Part II (1974)"),  # no article
    ("shinning", "The Shining (1980)"),  # a doubled letter
]
PEOPLE_CASES = {  # picker: [(typed, name)]
    "directors": [("kubrik", "Stanley Kubrick"), ("coppola", "Francis Ford Coppola")],
    "actors": [
        ("tom hanks", "Tom Hanks"),  # first + last name, beside Lauren Tom
        ("di caprio", "Leonardo DiCaprio"),  # spaced, beside Sophia Di Martino
        ("penelope cruz", "Penélope Cruz"),  # accent dropped
        ("pacino", "Al Pacino"),  # surname
    ],
}


def famous_catalogue(db) -> None:
    """The test catalogue plus a few famous films and people (names as people type them)."""
    from tests.factories import add_person, add_title, refresh_analytics

    for tconst, name, year, genres, (dnconst, dname), cast in FAMOUS:
        add_person(db, dnconst, dname)
        for nconst, person in cast:
            add_person(db, nconst, person)
        add_title(
            db,
            tconst,
            name,
            year=year,
            genres=genres,
            rating=8.5,
            votes=1_500_000,
            directors=[dnconst],
            cast=[c for c, _ in cast],
        )
    build_catalogue(db)  # refreshes the views and trains the recommender
    refresh_analytics(db)
    train_popularity(db)


def first_three(shown: list[str], wanted: str) -> bool:
    return any(s.startswith(wanted) for s in shown[:3])


@pytest.fixture
def famous_site(db, db_url):
    from app.db import as_app_role
    from app.web import create_app

    famous_catalogue(db)
    with serving(create_app(as_app_role(db_url)), free_port()) as base:
        yield base


def test_what_people_type_is_what_the_pickers_show(famous_site):
    misses = []
    with chromium() as driver:
        page = Page(driver, famous_site)
        for typed, wanted in FILM_CASES:
            page.open("/recommend")
            shown = page.suggestions_after_typing("#liked", typed)
            if not first_three(shown, wanted):
                misses.append(f"Recommend: {typed!r} showed {shown[:3]}")
            page.open("/")
            shown = page.suggestions_after_typing("#nav-search", typed)
            if not first_three(shown, "🎬 " + wanted):
                misses.append(f"navbar: {typed!r} showed {shown[:3]}")
        for role, cases in PEOPLE_CASES.items():
            for typed, wanted in cases:
                page.open("/predict")
                shown = page.suggestions_after_typing(
                    f"""[id='{{"role":"{role}","type":"people"}}']""", typed
                )
                if not first_three(shown, wanted):
                    misses.append(f"Predict {role}: {typed!r} showed {shown[:3]}")
        assert page.console_errors() == []
    assert misses == []


def test_a_visitor_walks_from_film_to_film_to_a_director_and_back(famous_site):
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        page = Page(driver, famous_site)
        page.open("/recommend")
        page.pick("#liked", "godfathr", "The Godfather (1972)")
        page.wait.until(lambda d: "liked=tt0068646" in d.current_url)
        chosen_url = driver.current_url
        five = page.texts("#rec-cards .title-card .card-title", 5)
        assert "The Godfather Part II" in five
        page.click("#rec-seed .card-title a")  # the liked film's own page
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == "The Godfather")
        second = page.click("#title-recommendations .card-title a")
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == second)
        name = page.click("#title-credits a")  # its director
        page.wait.until(lambda d: d.find_element(By.ID, "person-name").text == name)
        assert "/name/nm" in driver.current_url
        driver.back()
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == second)
        driver.back()
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == "The Godfather")
        driver.back()
        page.wait.until(lambda d: "liked=tt0068646" in d.current_url)
        assert page.texts("#rec-cards .title-card .card-title", 5) == five
    with chromium() as fresh:  # a shared link, in a new session
        page = Page(fresh, famous_site)
        fresh.get(chosen_url)
        assert page.texts("#rec-cards .title-card .card-title", 5) == five


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make browser: npm)")
def test_every_page_passes_the_accessibility_check(famous_site):
    pages = [
        "/",
        "/recommend?liked=tt0068646",
        "/title/tt0068646",
        "/name/nm0000338",
        "/predict?genres=Drama&directors=nm0000338",
        "/drivers",
    ]
    found = {}
    with chromium() as driver:
        page = Page(driver, famous_site)
        for path in pages:
            page.open(path)
            time.sleep(1.5)  # the callbacks' content
            violations = page.axe_violations(AXE)
            if violations:
                found[path] = violations
    assert found == {}


@pytest.fixture
def famous_site_with_akas(db, db_url):
    from app.db import as_app_role
    from app.web import create_app
    from tests.factories import add_aka, refresh_analytics

    famous_catalogue(db)
    add_aka(db, "tt0068646", "Le Parrain", "FR", types=["imdbDisplay"])
    add_aka(db, "tt0071562", "Le Parrain, 2e partie", "FR", types=["imdbDisplay"])
    refresh_analytics(db)
    with serving(create_app(as_app_role(db_url)), free_port()) as base:
        yield base


def test_a_french_browser_reads_french_and_can_switch_to_english(famous_site_with_akas):
    from selenium.webdriver.common.by import By

    def heading(driver) -> str:
        return driver.find_element(By.CSS_SELECTOR, "h2").text

    with chromium(language="fr") as driver:
        page = Page(driver, famous_site_with_akas)
        page.open("/")
        page.wait.until(lambda d: heading(d) == "Explorer le catalogue")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        assert "Recommander" in driver.find_element(By.CSS_SELECTOR, "nav").text
        page.open("/recommend")
        shown = page.suggestions_after_typing("#liked", "parrain")
        assert first_three(shown, "Le Parrain (1972)"), shown
        page.pick("#liked", "godfathr", "Le Parrain (1972)")
        five = page.texts("#rec-cards .title-card .card-title", 5)
        assert "Le Parrain, 2e partie" in five
        assert "Vous aimerez peut-être" in driver.find_element(By.TAG_NAME, "main").text
        page.open("/title/tt0068646")
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == "Le Parrain")
        assert "Réalisé par" in page.find("#title-credits").text
        page.click("#lang-en")  # the switch: the same page, in English
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == "The Godfather")
        assert "Directed by" in page.find("#title-credits").text
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        page.open("/")  # the choice is kept
        page.wait.until(lambda d: heading(d) == "Explore the catalogue")
        assert page.console_errors() == []
    with chromium() as driver:  # an English browser: English from the start
        page = Page(driver, famous_site_with_akas)
        page.open("/title/tt0068646")
        page.wait.until(lambda d: d.find_element(By.ID, "title-name").text == "The Godfather")

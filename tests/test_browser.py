"""End to end: the pages in a real headless Chromium, on a real database.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them when it runs as
root); skipped with the reason otherwise. Run alone with ``pytest -m browser``.
"""

from __future__ import annotations

import pytest

from harness.browser import Page, browser_missing, chromium, free_port, serving, tour
from ml.popularity import train as train_popularity
from tests.test_recommend import build_catalogue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(browser_missing()), reason=str(browser_missing())),
]


def test_a_visitor_explores_gets_five_films_and_an_estimate(db, db_url):
    from app.web import create_app
    from app.web.db import as_app_role

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
    assert seen["console_errors"] == []

"""French and English as the server answers them: the browser's language, the visitor's choice,
every page text with its French, films under their French title (the browser test shows the
same pages in Chromium: test_browser.py)."""

from __future__ import annotations

import ast

import pytest

from app.web import i18n
from database.config import PROJECT_ROOT
from tests.test_browser import famous_catalogue


def page_texts() -> dict[str, str]:
    """Every text the pages pass to t(), with the module it is in."""
    found = {}
    for path in sorted((PROJECT_ROOT / "app" / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.setdefault(node.args[0].value, path.name)
    return found


def test_every_page_text_has_its_french():
    texts = page_texts()
    assert len(texts) > 100
    assert {text: where for text, where in texts.items() if text not in i18n.FR} == {}
    for english, french in i18n.FR.items():  # the same placeholders in both
        assert sorted(part.split("}")[0] for part in english.split("{")[1:]) == sorted(
            part.split("}")[0] for part in french.split("{")[1:]
        ), english


@pytest.fixture
def server(db, db_url):
    from app.db import as_app_role
    from app.web import create_app
    from tests.factories import add_aka, refresh_analytics

    famous_catalogue(db)
    add_aka(db, "tt0068646", "Le Parrain", "FR", types=["imdbDisplay"])
    add_aka(db, "tt0068646", "Le Parrain (version longue)", "FR", types=["working"])
    add_aka(db, "tt0068646", "Der Pate", "DE")
    refresh_analytics(db)
    return create_app(as_app_role(db_url)).server


def navbar(server, **headers) -> str:
    return server.test_client().get("/_dash-layout", headers=headers).get_data(as_text=True)


def test_the_browsers_language_then_the_visitors_choice(server):
    assert "Recommander" in navbar(server, **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    assert "Recommend" in navbar(server, **{"Accept-Language": "de-DE,de;q=0.9"})  # else English
    page = server.test_client().get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    client = server.test_client()
    switched = client.get("/lang/en", headers={"Referer": "http://localhost/title/tt0068646"})
    assert switched.status_code == 302 and switched.location.endswith("/title/tt0068646")
    assert "Recommend" in client.get("/_dash-layout", headers={"Accept-Language": "fr"}).text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr"}).text
    elsewhere = client.get("/lang/fr", headers={"Referer": "https://evil.example/x"})
    assert elsewhere.location == "/"  # never sent off the site


def test_a_french_visitor_reads_french_titles_and_words(server):
    from app.web.pages import recommend, title

    with server.test_request_context(headers={"Accept-Language": "fr"}):
        options = recommend.suggestions("le parrain", None)
        assert options[0]["label"] == "Le Parrain (1972)"
        page = str(title.layout(tconst="tt0068646"))
        assert "Le Parrain" in page and "Réalisé par" in page and "Si vous l'avez aimé" in page
        assert "Policier" in page  # Crime
    with server.test_request_context(headers={"Accept-Language": "en"}):
        assert recommend.suggestions("le parrain", None)[0]["label"] == "The Godfather (1972)"
        assert "Directed by" in str(title.layout(tconst="tt0068646"))


def test_reasons_and_model_inputs_in_french(server):
    with server.test_request_context(headers={"Accept-Language": "fr"}):
        said = i18n.reason("same director: Francis Ford Coppola; genres: Crime, Drama")
        assert said == "même réalisation : Francis Ford Coppola; genres : Policier, Drame"
        assert i18n.feature_group("runtime") == "durée"
    with server.test_request_context():
        assert i18n.reason("genres: Crime") == "genres: Crime"

"""The JSON API (/api) on a real database, as the app's role: its answers, its errors, and
schemathesis generating requests from its own OpenAPI document (every operation: no 5xx, every
answer as documented, bad input refused with a 4xx)."""

from __future__ import annotations

import psycopg
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app import http_api
from app.db import Database, as_app_role, set_database
from tests.test_presentation import trained_catalogue_with_log


@pytest.fixture
def api(db, db_url):
    """A Flask server with only the JSON API, on the test catalogue with both models and a log."""
    trained_catalogue_with_log(db)
    database = Database(as_app_role(db_url), max_size=2)
    database.open()
    set_database(database)
    server = Flask("netfloox-api-test")
    http_api.register(server)
    return server


@pytest.fixture
def client(api):
    return api.test_client()


def test_recommend_one_or_several_films_and_a_client(client):
    one = client.get("/api/recommend?liked=tt0000005")
    assert one.status_code == 200
    films = [r["tconst"] for r in one.json["recommendations"]]
    assert len(films) == 5 and "tt0000005" not in films
    assert all(isinstance(r["average_rating"], float) for r in one.json["recommendations"])
    two = client.get("/api/recommend?liked=tt0000005&liked=tt0000010&k=3&title_type=movie")
    assert len(two.json["recommendations"]) == 3
    assert not {"tt0000005", "tt0000010"} & {r["tconst"] for r in two.json["recommendations"]}
    mine = client.get("/api/clients/1/recommendations?k=4")
    assert mine.status_code == 200 and len(mine.json["recommendations"]) == 4
    rated = {f"tt{t:07d}" for t in range(1, 7)}
    assert not rated & {r["tconst"] for r in mine.json["recommendations"]}


def test_search_facts_and_predict(client):
    amelie = client.get("/api/search/titles?q=amelie%20poulain&k=3").json["titles"]
    assert amelie[0]["tconst"] == "tt0000100"
    film = client.get("/api/titles/tt0000005").json
    assert film["primary_title"] == "Film 5" and film["credits"]
    director = next(c["nconst"] for c in film["credits"] if c["role"] == "director")
    person = client.get(f"/api/people/{director}").json
    assert person["nconst"] == director and person["filmography"]
    assert client.get("/api/clients?q=1").json["clients"][0]["client_id"] == 1
    estimate = client.post(
        "/api/predict", json={"genres": ["Drama"], "runtime_minutes": 120, "directors": [director]}
    ).json
    assert 1 <= estimate["rating"]["predicted_rating"] <= 10
    total = sum(d["contribution"] for d in estimate["rating_drivers"])
    assert total == pytest.approx(estimate["rating"]["predicted_rating"], abs=1e-6)
    health = client.get("/api/health").json
    assert health["status"] == "ok" and health["rating_model_version"] is not None


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "names"),
    [
        ("get", "/api/recommend", None, 400, "liked"),
        ("get", "/api/recommend?liked=matrix", None, 400, "liked[0]"),
        ("get", "/api/recommend?liked=tt0000005&k=0", None, 400, "k"),
        ("get", "/api/recommend?liked=tt0000005&k=abc", None, 400, "k"),
        ("get", "/api/recommend?liked=tt9999999", None, 404, "tt9999999"),
        ("get", "/api/recommend?liked=tt0000005&genre=Nope", None, 422, "Nope"),
        ("get", "/api/recommend?liked=tt0000005&year_from=2000&year_to=1990", None, 422, "year"),
        ("get", "/api/titles/tt9999999", None, 404, "tt9999999"),
        ("get", "/api/people/nm9999999", None, 404, "nm9999999"),
        ("get", "/api/clients/77/recommendations", None, 404, "77"),
        ("get", "/api/search/people?q=x&role=cook", None, 400, "role"),
        ("post", "/api/predict", {"genres": ["Drama"], "budget": 3}, 400, "budget"),
        ("post", "/api/predict", {"runtime_minutes": "long"}, 400, "runtime_minutes"),
        ("post", "/api/predict", {"title_type": "opera"}, 422, "opera"),
        ("get", "/api/predict", None, 405, "GET"),
        ("get", "/api/nothing", None, 404, "/api/nothing"),
    ],
)
def test_bad_input_is_a_4xx_naming_it(client, method, path, body, status, names):
    answer = getattr(client, method)(path, json=body)
    assert answer.status_code == status, answer.json
    assert names in answer.json["error"]


def test_no_database_is_a_503(db_url):
    database = Database("postgresql://nobody@127.0.0.1:1/none", max_size=1)
    database.open()
    set_database(database)
    server = Flask("netfloox-api-down")
    http_api.register(server)
    answer = server.test_client().get("/api/health")
    assert answer.status_code == 503 and "not reachable" in answer.json["error"]


def test_the_served_document_is_the_one_tested(client):
    served = client.get("/api/openapi.json").json
    assert served["paths"] == http_api.openapi("test")["paths"] and served["info"]["version"]


# A well-formed request may name a genre or a title type the catalogue lacks: 422, not a failure.
schema = schemathesis.openapi.from_dict(
    http_api.openapi("test"),
    config=SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 404, 422]}}}
    ),
)


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, api):
    case.call_and_validate(app=api)


def test_search_clients_reads_ids_by_their_first_digits(db):
    db.execute(
        """INSERT INTO clientlog.rating (client_id, title_id, rating)
           SELECT c, 1, 4 FROM unnest(ARRAY[1, 10, 12, 100, 105, 1000, 2, 20, 2147483647]) c"""
    )

    def ids(typed: str, k: int = 10) -> list[int]:
        return [
            r[0] for r in db.execute("SELECT client_id FROM api.search_clients(%s, %s)", (typed, k))
        ]

    assert ids("1") == [1, 10, 12, 100, 105, 1000]  # shortest first, then in order
    assert ids("1", 3) == [1, 10, 12]
    assert ids("10") == [10, 100, 105, 1000]
    assert ids(" 2 ") == [2, 20, 2147483647]
    assert ids("0") == [] and ids("") == [] and ids("3") == []
    assert ids("2147483647") == [2147483647]
    for bad in ("x1", "1.5", "99999999999"):
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            ids(bad)


def test_the_served_app_carries_both_the_pages_and_the_api(db_url):
    """What `netfloox serve` serves: the Dash pages and the JSON API on one server."""
    from app.server import create_server

    client = create_server(as_app_role(db_url)).server.test_client()
    assert client.get("/").status_code == 200
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json["status"] == "ok"
    assert health.json["rating_log"] is False  # an empty, migrated database
    assert client.get("/api/openapi.json").json["openapi"].startswith("3.")


def test_a_nul_character_is_a_400_not_an_outage(client):
    """PostgreSQL's text holds no NUL: refused by name, never taken for a lost database."""
    answer = client.get("/api/search/titles?q=ma%00trix")
    assert answer.status_code == 400 and answer.json["error"].startswith("q:")
    from app.db import db

    with pytest.raises(Exception) as refused:
        db().fetch("SELECT * FROM api.search_titles(%s, 1)", ("ma\x00trix",))
    assert getattr(refused.value, "status", None) == 400

"""The JSON API: the product's questions over HTTP, on the web app's own server under ``/api``
(recommend, search, a film's and a person's facts, predict, a health check), described by the
OpenAPI document at ``/api/openapi.json`` that this module builds from the same declarations it
validates requests with. docs/api.md lists the routes beside the SQL functions they call.

Malformed input is a 400 naming the parameter, an unknown id a 404, a well-formed value the
catalogue does not know (a genre, a title type) a 422, no database or no model yet a 503; every
error is ``{"error": message}``.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask, jsonify, request

from app import service
from app.db import UserError, db

PREFIX = "/api"
TCONST = r"^tt[0-9]{7,9}$"
NCONST = r"^nm[0-9]{7,9}$"
# Free text: PostgreSQL's text holds no NUL character, so the document says so (and a NUL is a 400).
NO_NUL = r"^[^\x00]*$"
TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL}
NAME = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": NO_NUL}  # a genre, a type


@dataclass(frozen=True)
class Param:
    """A query or path parameter: how it is read, checked and documented."""

    name: str
    schema: dict
    description: str
    where: str = "query"
    required: bool = False

    @property
    def many(self) -> bool:
        return self.schema.get("type") == "array"

    def openapi(self) -> dict:
        doc = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "description": self.description,
            "schema": self.schema,
        }
        if self.many:
            doc.update(style="form", explode=True)
        return doc


@dataclass(frozen=True)
class Route:
    """One operation: its path (Flask syntax), parameters, body schema and answer."""

    path: str
    summary: str
    answer: Callable[..., Any]
    params: Sequence[Param] = ()
    method: str = "GET"
    body: dict | None = None
    response: dict = field(default_factory=lambda: {"type": "object"})
    sql: str = ""

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", PREFIX + self.path)


class BadRequest(UserError):
    def __init__(self, message: str):
        super().__init__(message, 400)


# --------------------------------------------------------------------------- reading input
def _check(name: str, value: Any, schema: dict) -> Any:
    """``value`` (text from the address, or JSON) as ``schema`` types it; BadRequest otherwise."""
    kind = schema.get("type")
    if value is None and schema.get("nullable"):
        return None
    if kind == "integer":
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value.strip()):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadRequest(f"{name}: expected a whole number, got {value!r}")
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise BadRequest(f"{name}: {value} is outside {low}..{high}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise BadRequest(f"{name}: expected text, got {value!r}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**6):
            raise BadRequest(
                f"{name}: expected {schema.get('minLength', 0)} to "
                f"{schema.get('maxLength')} characters, got {len(value)}"
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise BadRequest(f"{name}: {value!r} does not match {schema['pattern']}")
        if "enum" in schema and value not in schema["enum"]:
            raise BadRequest(f"{name}: expected one of {', '.join(schema['enum'])}, got {value!r}")
        return value
    if kind == "array":
        if not isinstance(value, list):
            raise BadRequest(f"{name}: expected a list, got {value!r}")
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 10**6):
            raise BadRequest(
                f"{name}: expected {schema.get('minItems', 0)} to {schema.get('maxItems')} "
                f"items, got {len(value)}"
            )
        return [_check(f"{name}[{i}]", v, schema["items"]) for i, v in enumerate(value)]
    raise AssertionError(f"unsupported schema for {name}: {schema}")


def _read_params(params: Sequence[Param], path_values: dict) -> dict:
    values = {}
    for p in params:
        if p.where == "path":
            values[p.name] = _check(p.name, path_values[p.name], p.schema)
            continue
        given = request.args.getlist(p.name)
        if not given:
            if p.required:
                raise BadRequest(f"{p.name}: required")
            values[p.name] = p.schema.get("default")
            continue
        if not p.many and len(given) > 1:
            raise BadRequest(f"{p.name}: given {len(given)} times, expected once")
        values[p.name] = _check(p.name, given if p.many else given[0], p.schema)
    return values


def _read_body(schema: dict) -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object (Content-Type: application/json)")
    unknown = sorted(set(body) - set(schema["properties"]))
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(map(str, unknown))}")
    return {  # a copy of each default: the schema's own lists are never handed out
        name: _check(name, body[name], prop) if name in body else copy.deepcopy(prop.get("default"))
        for name, prop in schema["properties"].items()
    }


def plain(value: Any) -> Any:
    """Rows as JSON can carry them: numerics as numbers, timestamps as ISO text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- the operations
def _recommend(liked, k, title_type, year_from, year_to, genre, min_votes):
    if year_from is not None and year_to is not None and year_from > year_to:
        raise UserError(f"year_from: {year_from} is after year_to {year_to}", 422)
    rows = service.recommend(
        db(),
        liked,
        k,
        title_types=title_type,
        year_from=year_from,
        year_to=year_to,
        genre=genre,
        min_votes=min_votes,
    )
    return {"liked": liked, "recommendations": rows}


def _client_recommendations(client_id, k):
    return {
        "client_id": client_id,
        "recommendations": service.recommend_for_client(db(), client_id, k),
    }


def _predict(**film):
    film["runtime"] = film.pop("runtime_minutes")
    return service.predict(db(), service.Film(**film))


def _health():
    status = db().fetch("SELECT * FROM api.status()")[0]
    return {"status": "ok", **status}


K = Param("k", {"type": "integer", "minimum": 1, "maximum": 100, "default": 5}, "How many.")
SEARCH_K = Param("k", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}, "How many.")
Q = Param("q", TEXT, "What is typed: typos, dropped accents, surnames are fine.", required=True)
YEAR = {"type": "integer", "minimum": 1870, "maximum": 2100}
ID_LIST = {"type": "array", "items": {"type": "string", "pattern": NCONST}, "maxItems": 20}
NULLABLE_INT = {"type": "integer", "nullable": True}
NULLABLE_NUM = {"type": "number", "nullable": True}
NULLABLE_TEXT = {"type": "string", "nullable": True}


def _object(**props) -> dict:
    return {"type": "object", "properties": props}


def _rows(**props) -> dict:
    return {"type": "array", "items": _object(**props)}


RECOMMENDATIONS = _rows(
    tconst={"type": "string", "pattern": TCONST},
    primary_title={"type": "string"},
    start_year=NULLABLE_INT,
    average_rating=NULLABLE_NUM,
    num_votes=NULLABLE_INT,
    score={"type": "number"},
    reason=NULLABLE_TEXT,
)
FILM_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title_type": {**NAME, "default": "movie"},
        "start_year": {**YEAR, "nullable": True, "default": None},
        "runtime_minutes": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000,
            "nullable": True,
            "default": None,
        },
        "genres": {
            "type": "array",
            "items": NAME,
            "maxItems": 10,
            "default": [],
        },
        **{role: {**ID_LIST, "default": []} for role in service.ROLES},
    },
}


def _prediction(value: str) -> dict:
    """A predict_* row: the value, its 80 % interval, the model version."""
    return _object(
        **{value: NULLABLE_NUM}, low=NULLABLE_NUM, high=NULLABLE_NUM, model_version=NULLABLE_INT
    )


DRIVERS = _rows(feature_group={"type": "string"}, contribution=NULLABLE_NUM, detail=NULLABLE_TEXT)

ROUTES = [
    Route(
        "/health",
        "Is the service up: the database answers; the catalogue's size and active models.",
        _health,
        response=_object(status={"type": "string"}),
        sql="api.status",
    ),
    Route(
        "/recommend",
        "Films for a client who liked one film or several (the mean of their vectors).",
        _recommend,
        [
            Param(
                "liked",
                {
                    "type": "array",
                    "items": {"type": "string", "pattern": TCONST},
                    "minItems": 1,
                    "maxItems": 20,
                },
                "IMDb ids of the films liked (repeat the parameter for several).",
                required=True,
            ),
            K,
            Param(
                "title_type",
                {
                    "type": "array",
                    "items": NAME,
                    "maxItems": 10,
                },
                "Only these title types (repeat the parameter), e.g. movie.",
            ),
            Param("year_from", YEAR, "Only films from this year."),
            Param("year_to", YEAR, "Only films up to this year."),
            Param("genre", NAME, "Only this genre."),
            Param(
                "min_votes",
                {"type": "integer", "minimum": 0, "maximum": 10**9},
                "Only films with this many IMDb votes.",
            ),
        ],
        response=_object(liked={"type": "array"}, recommendations=RECOMMENDATIONS),
        sql="api.recommend, api.recommend_for",
    ),
    Route(
        "/clients",
        "Clients of the service's rating log whose id begins with the digits typed.",
        lambda q, k: {"clients": service.search_clients(db(), q, k)},
        [
            Param("q", {"type": "string", "pattern": r"^[0-9]{1,9}$"}, "Digits.", required=True),
            SEARCH_K,
        ],
        response=_object(
            clients=_rows(
                client_id={"type": "integer"},
                ratings={"type": "integer"},
                mean_rating=NULLABLE_NUM,
            )
        ),
        sql="api.search_clients",
    ),
    Route(
        "/clients/<client_id>/recommendations",
        "Films a client of the rating log has not rated, from what they liked.",
        _client_recommendations,
        [
            Param(
                "client_id",
                {"type": "integer", "minimum": 0, "maximum": 2147483647},
                "The client's id in the rating log.",
                where="path",
            ),
            K,
        ],
        response=_object(client_id={"type": "integer"}, recommendations=RECOMMENDATIONS),
        sql="api.recommend_for_client",
    ),
    Route(
        "/search/titles",
        "Titles as people type them, best match first.",
        lambda q, k: {"titles": service.search_titles(db(), q, k)},
        [Q, SEARCH_K],
        response=_object(
            titles=_rows(
                tconst={"type": "string"},
                primary_title={"type": "string"},
                start_year=NULLABLE_INT,
                num_votes=NULLABLE_INT,
            )
        ),
        sql="api.search_titles",
    ),
    Route(
        "/search/people",
        "People as one types their name (or surname), best match first.",
        lambda q, k, role: {"people": service.search_people(db(), q, k, role)},
        [
            Q,
            SEARCH_K,
            Param(
                "role",
                {"type": "string", "enum": ["director", "writer", "actor", "producer"]},
                "People credited in this role first.",
            ),
        ],
        response=_object(
            people=_rows(
                nconst={"type": "string"},
                primary_name={"type": "string"},
                professions=NULLABLE_TEXT,
                credits={"type": "integer"},
            )
        ),
        sql="api.search_people",
    ),
    Route(
        "/titles/<tconst>",
        "A film's facts, credits and alternative titles.",
        lambda tconst: service.title(db(), tconst),
        [Param("tconst", {"type": "string", "pattern": TCONST}, "IMDb id.", where="path")],
        response=_object(
            tconst={"type": "string"},
            primary_title={"type": "string"},
            start_year=NULLABLE_INT,
            genres={"type": "array", "items": {"type": "string"}},
            average_rating=NULLABLE_NUM,
            num_votes=NULLABLE_INT,
            credits={"type": "array"},
            akas={"type": "array"},
        ),
        sql="api.title_details, api.title_credits, api.title_akas",
    ),
    Route(
        "/people/<nconst>",
        "A person's facts, filmography and track record in the popularity model.",
        lambda nconst: service.person(db(), nconst),
        [Param("nconst", {"type": "string", "pattern": NCONST}, "IMDb id.", where="path")],
        response=_object(
            nconst={"type": "string"},
            primary_name={"type": "string"},
            birth_year=NULLABLE_INT,
            filmography={"type": "array"},
            track_record={"type": "array"},
        ),
        sql="api.person_details, api.filmography, api.person_track_record",
    ),
    Route(
        "/predict",
        "The expected IMDb rating and audience of a planned film, and what drives each.",
        _predict,
        method="POST",
        body=FILM_BODY,
        response=_object(
            rating=_prediction("predicted_rating"),
            audience=_prediction("expected_votes"),
            rating_drivers=DRIVERS,
            audience_drivers=DRIVERS,
        ),
        sql="api.predict_rating, api.predict_audience, api.explain_rating, api.explain_audience",
    ),
]

ERROR = {
    "description": "An error",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            }
        }
    },
}


def openapi(version: str) -> dict:
    """The OpenAPI 3.0 document of ROUTES."""
    paths: dict = {}
    for route in ROUTES:
        operation = {
            "summary": route.summary,
            "operationId": _operation_id(route),
            "parameters": [p.openapi() for p in route.params],
            "responses": {
                "200": {
                    "description": f"OK (SQL: {route.sql})",
                    "content": {"application/json": {"schema": route.response}},
                },
                "400": ERROR,
                "404": ERROR,
                "422": ERROR,
                "503": ERROR,
            },
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body}},
            }
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Netfloox",
            "version": version,
            "description": "Recommendations, search, film and person facts and popularity "
            "predictions from the Netfloox database (each route calls the api schema's SQL "
            "functions; docs/api.md).",
        },
        "paths": paths,
    }


def _operation_id(route: Route) -> str:
    return re.sub(r"\W+", "_", f"{route.method}{route.path}".lower()).strip("_")


def _endpoint(route: Route) -> Callable:
    def answer(**path_values):
        values = _read_params(route.params, path_values)
        if route.body is not None:
            values.update(_read_body(route.body))
        return jsonify(plain(route.answer(**values)))

    answer.__name__ = _operation_id(route)
    return answer


def blueprint(version: str) -> Blueprint:
    api = Blueprint("api", __name__, url_prefix=PREFIX)
    for route in ROUTES:
        api.add_url_rule(route.path, view_func=_endpoint(route), methods=[route.method])
    api.add_url_rule("/openapi.json", "openapi", lambda: jsonify(openapi(version)))

    @api.errorhandler(UserError)
    def refused(exc: UserError):
        return jsonify(error=str(exc)), exc.status

    return api


def register(server: Flask) -> None:
    """Serve the JSON API under /api on ``server`` (once), with JSON errors for unknown routes
    and methods there."""
    if "api" in server.blueprints:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("netfloox")
    except PackageNotFoundError:
        number = "0"
    server.register_blueprint(blueprint(number))

    @server.errorhandler(404)
    def not_found(exc):
        if request.path.startswith(PREFIX + "/"):
            return jsonify(error=f"no route {request.path}"), 404
        return exc

    @server.errorhandler(405)
    def wrong_method(exc):
        if request.path.startswith(PREFIX + "/"):
            answer = jsonify(error=f"{request.method} is not allowed on {request.path}")
            answer.headers["Allow"] = ", ".join(exc.valid_methods or ())
            return answer, 405
        return exc

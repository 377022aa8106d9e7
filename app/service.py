"""The product's questions, asked of the database's ``api`` schema: recommend, search, a film's
and a person's facts, predict. The JSON API (app/http_api.py) and the command line (app/cli.py)
answer with these functions; the Dash pages use the same SQL functions for their own layouts.

Every function takes the app's :class:`~app.db.Database` (the app role, a pool) and returns plain
rows (dicts). Errors arrive as :class:`~app.db.UserError` with an HTTP status: 404 for an unknown
id, 400 for a value the API refuses, 503 when there is no database or no trained model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.db import Database, UserError

ROLES = ("directors", "writers", "actors", "producers")
TCONST = re.compile(r"^tt[0-9]{7,9}$")
NCONST = re.compile(r"^nm[0-9]{7,9}$")

# The named arguments of api.predict_rating, predict_audience, explain_* and what_if.
PREDICT_ARGS = """title_type => %(title_type)s, start_year => %(start_year)s,
          runtime_minutes => %(runtime)s, genres => %(genres)s, directors => %(directors)s,
          writers => %(writers)s, actors => %(actors)s, producers => %(producers)s"""


@dataclass
class Film:
    """A planned film, as a production team describes it (people by IMDb id: nm...)."""

    title_type: str = "movie"
    start_year: int | None = None
    runtime: int | None = None
    genres: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    producers: list[str] = field(default_factory=list)

    def params(self) -> dict:
        return {
            "title_type": self.title_type or "movie",
            "start_year": self.start_year,
            "runtime": self.runtime,
            "genres": list(self.genres),
            **{role: list(getattr(self, role)) for role in ROLES},
        }


def recommend(
    db: Database,
    liked: Sequence[str],
    k: int = 5,
    *,
    title_types: Sequence[str] | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    genre: str | None = None,
    min_votes: int | None = None,
) -> list[dict]:
    """k films for a client who liked ``liked`` (one film: api.recommend; several: the mean of
    their vectors, api.recommend_for)."""
    if not liked:
        raise UserError("Name at least one film (an IMDb id such as tt0133093).")
    params = {
        "liked": list(liked),
        "k": k,
        "types": list(title_types) if title_types else None,
        "y0": year_from,
        "y1": year_to,
        "genre": genre,
        "min_votes": min_votes,
    }
    filters = """title_types => %(types)s, year_from => %(y0)s, year_to => %(y1)s,
                 genre => %(genre)s, min_votes => %(min_votes)s"""
    if len(liked) == 1:
        params["seed"] = liked[0]
        return db.fetch(f"SELECT * FROM api.recommend(%(seed)s, %(k)s, {filters})", params)
    return db.fetch(f"SELECT * FROM api.recommend_for(%(liked)s, %(k)s, {filters})", params)


def recommend_for_client(db: Database, client_id: int, k: int = 5) -> list[dict]:
    """k films a client of the rating log has not rated, from what they liked."""
    return db.fetch("SELECT * FROM api.recommend_for_client(%s, %s)", (client_id, k))


def search_titles(db: Database, text: str, k: int = 10) -> list[dict]:
    return db.fetch("SELECT * FROM api.search_titles(%s, %s)", (text, k))


def search_people(db: Database, text: str, k: int = 10, role: str | None = None) -> list[dict]:
    return db.fetch("SELECT * FROM api.search_people(%s, %s, %s)", (text, k, role))


def search_clients(db: Database, text: str, k: int = 10) -> list[dict]:
    return db.fetch("SELECT * FROM api.search_clients(%s, %s)", (text, k))


def title(db: Database, tconst: str) -> dict:
    """A film's facts, credits and alternative titles."""
    facts = db.fetch("SELECT * FROM api.title_details(%s)", (tconst,))[0]
    facts["credits"] = db.fetch("SELECT * FROM api.title_credits(%s)", (tconst,))
    facts["akas"] = db.fetch("SELECT * FROM api.title_akas(%s)", (tconst,))
    return facts


def person(db: Database, nconst: str) -> dict:
    """A person's facts, filmography and track record in the popularity model."""
    facts = db.fetch("SELECT * FROM api.person_details(%s)", (nconst,))[0]
    facts["filmography"] = db.fetch("SELECT * FROM api.filmography(%s)", (nconst,))
    try:
        facts["track_record"] = db.fetch("SELECT * FROM api.person_track_record(%s)", (nconst,))
    except UserError as exc:  # no model yet: the facts still stand
        if exc.status != 503:
            raise
        facts["track_record"] = []
    return facts


def predict(db: Database, film: Film) -> dict:
    """The expected rating and audience of a planned film, with what drives each: rows of
    (feature_group, contribution, detail) that sum to the prediction (rating points; log10 votes
    for the audience)."""
    params = film.params()
    rating = db.fetch(f"SELECT * FROM api.predict_rating({PREDICT_ARGS})", params)[0]
    audience = db.fetch(f"SELECT * FROM api.predict_audience({PREDICT_ARGS})", params)[0]
    return {
        "rating": rating,
        "audience": audience,
        "rating_drivers": db.fetch(f"SELECT * FROM api.explain_rating({PREDICT_ARGS})", params),
        "audience_drivers": db.fetch(f"SELECT * FROM api.explain_audience({PREDICT_ARGS})", params),
    }


def resolve_title(db: Database, text: str) -> dict:
    """The film a person means: an IMDb id as it is, else the best match of the title search
    (typos and dropped accents allowed)."""
    text = text.strip()
    if TCONST.match(text):
        return db.fetch("SELECT * FROM api.title_details(%s)", (text,))[0]
    found = search_titles(db, text, 1)
    if not found:
        raise UserError(f"No film matches {text!r}.", 404)
    return found[0]


def resolve_person(db: Database, text: str) -> str:
    """An nconst: an IMDb id as it is, else the best match of the people search."""
    text = text.strip()
    if NCONST.match(text):
        return text
    found = search_people(db, text, 1)
    if not found:
        raise UserError(f"No person matches {text!r}.", 404)
    return found[0]["nconst"]

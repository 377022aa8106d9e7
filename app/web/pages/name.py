"""A person's page, /name/<nconst> (IMDb's address): filmography by role (linked), the track
record per role as the popularity model sees it, and films like their work."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from app.db import UserError, db
from app.web.components import alert, table, title_card, title_link, votes

dash.register_page(__name__, path_template="/name/<nconst>", name="Person", order=11)

ROLE_TITLES = {"director": "Director", "writer": "Writer", "actor": "Actor"}
SHOWN = 40  # titles per role on the page


def layout(nconst: str | None = None, **_) -> html.Div:
    try:
        return html.Div(person_page((nconst or "").strip()), id="person-page")
    except UserError as exc:
        return html.Div(alert(str(exc)), id="person-page")


def person_page(nconst: str) -> list:
    rows = db().fetch("SELECT * FROM api.person_details(%s)", (nconst,))
    if not rows:
        raise UserError(f"No person {nconst} in the catalogue.")
    p = rows[0]
    life = " – ".join(str(y) for y in (p["birth_year"], p["death_year"]) if y)
    films = db().fetch("SELECT * FROM api.filmography(%s)", (nconst,))
    return [
        html.H2(p["primary_name"], id="person-name"),
        html.P(" · ".join(x for x in (p["professions"], life) if x), className="lead"),
        track_record(nconst),
        similar(nconst),
        filmography(films),
    ]


def filmography(rows: list[dict]) -> html.Div:
    by_role: dict[str, list[dict]] = {}
    for r in rows:
        by_role.setdefault(r["role"], []).append(r)
    if not by_role:
        return html.P("No credited title in the catalogue.", className="text-muted")
    sections = []
    for role, titles in by_role.items():
        shown = [
            {
                "year": r["start_year"] or "—",
                "title": title_link(r["tconst"], r["primary_title"]),
                "type": r["title_type"],
                "rating": r["average_rating"] if r["average_rating"] is not None else "—",
                "votes": votes(r["num_votes"]),
            }
            for r in titles[:SHOWN]
        ]
        more = f" (the {SHOWN} most recent of {len(titles)})" if len(titles) > SHOWN else ""
        sections.append(html.H4(f"{ROLE_TITLES.get(role, role.capitalize())}{more}"))
        sections.append(table(shown, ["year", "title", "type", "rating", "votes"]))
    return html.Div(sections, id="person-filmography", className="mt-3")


def track_record(nconst: str) -> html.Div | None:
    try:
        rows = db().fetch("SELECT * FROM api.person_track_record(%s)", (nconst,))
    except UserError:
        return None
    if not rows:
        return html.P(
            "No track record in the popularity model (no rated training title).",
            className="text-muted small",
        )
    shown = [
        {
            "role": r["role"],
            "titles it rests on": r["films"],
            "mean rating": f"{r['mean_rating']:.2f}",
            "effect on the rating": f"{r['rating_effect']:+.2f}",
            "audience": f"×{10 ** r['audience_effect']:.1f}",
        }
        for r in rows
    ]
    return html.Div(
        [
            html.H4("Track record, as the popularity model sees it"),
            table(shown, list(shown[0])),
        ],
        id="person-track-record",
    )


def similar(nconst: str) -> html.Div | None:
    """Films like their work: recommendations from their best-known titles (their known-for
    titles, or their most-voted credited ones) that carry a stored neighbour list."""
    try:
        seeds = db().fetch("SELECT * FROM api.best_known(%s, 3)", (nconst,))
        if not seeds:
            return None
        rows = db().fetch("SELECT * FROM api.recommend_for(%s, 5)", ([s["tconst"] for s in seeds],))
    except UserError:
        return None
    if not rows:
        return None
    names = list(dict.fromkeys(s["primary_title"] for s in seeds))
    return html.Div(
        [
            html.H4("Films like their work", className="mt-3"),
            html.P(
                "From their best-known: " + ", ".join(names) + ".", className="small text-muted"
            ),
            dbc.Row(
                [dbc.Col(title_card(r, r["reason"]), md=True) for r in rows],
                className="g-2",
                id="person-similar",
            ),
        ]
    )

"""A person's page, /name/<nconst> (IMDb's address): filmography by role (linked), the track
record per role as the popularity model sees it, and films like their work."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from app.db import UserError, db
from app.web.components import alert, table, title_card, title_link, votes
from app.web.i18n import localised, reason, role_name, t

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
        raise UserError(t("No person {id} in the catalogue.", id=nconst))
    p = rows[0]
    life = " – ".join(str(y) for y in (p["birth_year"], p["death_year"]) if y)
    films = localised(db().fetch("SELECT * FROM api.filmography(%s)", (nconst,)))
    professions = ", ".join(role_name(x.strip()) for x in (p["professions"] or "").split(",") if x)
    return [
        html.H2(p["primary_name"], id="person-name"),
        html.P(" · ".join(x for x in (professions, life) if x), className="lead"),
        track_record(nconst),
        similar(nconst),
        filmography(films),
    ]


def filmography(rows: list[dict]) -> html.Div:
    by_role: dict[str, list[dict]] = {}
    for r in rows:
        by_role.setdefault(r["role"], []).append(r)
    if not by_role:
        return html.P(t("No credited title in the catalogue."), className="text-muted")
    sections = []
    for role, titles in by_role.items():
        columns = [t("year"), t("title"), t("type"), t("rating"), t("votes")]
        shown = [
            dict(
                zip(
                    columns,
                    (
                        r["start_year"] or "—",
                        title_link(r["tconst"], r["primary_title"]),
                        r["title_type"],
                        r["average_rating"] if r["average_rating"] is not None else "—",
                        votes(r["num_votes"]),
                    ),
                    strict=True,
                )
            )
            for r in titles[:SHOWN]
        ]
        more = (
            t(" (the {shown} most recent of {n})", shown=SHOWN, n=len(titles))
            if len(titles) > SHOWN
            else ""
        )
        heading = t(ROLE_TITLES[role]) if role in ROLE_TITLES else role_name(role).capitalize()
        sections.append(html.H4(f"{heading}{more}"))
        sections.append(table(shown, columns))
    return html.Div(sections, id="person-filmography", className="mt-3")


def track_record(nconst: str) -> html.Div | None:
    try:
        rows = db().fetch("SELECT * FROM api.person_track_record(%s)", (nconst,))
    except UserError:
        return None
    if not rows:
        return html.P(
            t("No track record in the popularity model (no rated training title)."),
            className="text-muted small",
        )
    shown = [
        {
            t("role"): role_name(r["role"]),
            t("titles it rests on"): r["films"],
            t("mean rating"): f"{r['mean_rating']:.2f}",
            t("effect on the rating"): f"{r['rating_effect']:+.2f}",
            t("audience"): f"×{10 ** r['audience_effect']:.1f}",
        }
        for r in rows
    ]
    return html.Div(
        [
            html.H4(t("Track record, as the popularity model sees it")),
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
    names = list(dict.fromkeys(s["primary_title"] for s in localised(seeds)))
    return html.Div(
        [
            html.H4(t("Films like their work"), className="mt-3"),
            html.P(
                t("From their best-known: {titles}.", titles=", ".join(names)),
                className="small text-muted",
            ),
            dbc.Row(
                [dbc.Col(title_card(r, reason(r["reason"])), md=True) for r in localised(rows)],
                className="g-2",
                id="person-similar",
            ),
        ]
    )

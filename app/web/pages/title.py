"""A film's page, /title/<tconst> (IMDb's address): its facts, credits linked to their people,
alternative titles, five recommendations with their reasons (each a film page), what the
service's clients also liked, and the popularity model's estimate beside the real figures."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from app.db import UserError, db
from app.web.components import alert, person_link, title_card, title_link, votes

dash.register_page(__name__, path_template="/title/<tconst>", name="Film", order=10)

ROLE_NAMES = {"director": "Directed by", "writer": "Written by"}


def layout(tconst: str | None = None, **_) -> html.Div:
    try:
        return html.Div(title_page((tconst or "").strip()), id="title-page")
    except UserError as exc:
        return html.Div(alert(str(exc)), id="title-page")


def title_page(tconst: str) -> list:
    rows = db().fetch("SELECT * FROM api.title_details(%s)", (tconst,))
    if not rows:
        raise UserError(f"No title {tconst} in the catalogue.")
    t = rows[0]
    return [
        html.H2(t["primary_title"], id="title-name"),
        facts(t),
        credits(db().fetch("SELECT * FROM api.title_credits(%s)", (tconst,))),
        akas(db().fetch("SELECT * FROM api.title_akas(%s)", (tconst,))),
        estimate(t, tconst),
        recommendations(tconst),
        also_liked(tconst),
    ]


def facts(t: dict) -> html.P:
    years = str(t["start_year"] or "—")
    if t["end_year"]:
        years += f"–{t['end_year']}"
    parts = [
        t["title_type"],
        years,
        f"{t['runtime_minutes']} min" if t["runtime_minutes"] else None,
        ", ".join(t["genres"]) or None,
        f"★ {t['average_rating']} ({votes(t['num_votes'])})"
        if t["average_rating"] is not None
        else "not rated",
    ]
    text = " · ".join(p for p in parts if p)
    extra = []
    if t["original_title"] and t["original_title"] != t["primary_title"]:
        extra.append(html.Div(f"Original title: {t['original_title']}", className="text-muted"))
    if t["series_tconst"]:
        extra.append(html.Div(["An episode of ", title_link(t["series_tconst"], "its series")]))
    return html.Div([html.P(text, className="lead", id="title-facts"), *extra])


def credits(rows: list[dict]) -> html.Div:
    """Directors, writers, then the cast and crew in billing order, each a link."""
    groups: dict[str, list] = {}
    for r in rows:
        label = ROLE_NAMES.get(r["role"], r["role"].replace("_", " ").capitalize())
        name = person_link(r["nconst"], r["primary_name"])
        item = [name, f" ({r['characters']})"] if r["characters"] else [name]
        groups.setdefault(label, []).append(html.Span(item, className="me-2 credit"))
    if not groups:
        return html.P("No credited person in the catalogue.", className="text-muted")
    return html.Div(
        [html.Div([html.Strong(f"{label}: "), *people]) for label, people in groups.items()],
        id="title-credits",
        className="mb-3",
    )


def akas(rows: list[dict]) -> html.Div | None:
    if not rows:
        return None
    shown = [f"{r['title']} ({r['region'] or r['language'] or '—'})" for r in rows[:12]]
    return html.P(["Also known as: ", "; ".join(shown)], className="small", id="title-akas")


def estimate(t: dict, tconst: str) -> html.Div:
    """The popularity model's expectation for this real film, beside the real figures."""
    try:
        e = db().fetch("SELECT * FROM api.title_estimate(%s)", (tconst,))[0]
    except UserError:
        return html.Div()
    if e["predicted_rating"] is None:
        return html.P(
            "The popularity model has no estimate for this title (no model trained, or a type "
            "it does not learn).",
            className="text-muted small",
        )
    real = (
        f"real: ★ {t['average_rating']}, {votes(t['num_votes'])}"
        if t["average_rating"] is not None
        else "not rated yet"
    )
    return dbc.Alert(
        [
            html.Strong("The popularity model expects "),
            f"★ {e['predicted_rating']:.1f} and {votes(round(e['expected_votes']))} ({real}). ",
            html.Span(f"This film is {e['training']}.", className="fst-italic"),
        ],
        color="light",
        id="title-estimate",
    )


def recommendations(tconst: str) -> html.Div:
    try:
        rows = db().fetch("SELECT * FROM api.recommend(%s, 5)", (tconst,))
    except UserError as exc:
        return alert(str(exc), "info")
    if not rows:
        body = alert(
            "No recommendation: the recommender has no vector for this title (too few votes, "
            "an episode, or no trained model).",
            "info",
        )
    else:
        body = dbc.Row(
            [dbc.Col(title_card(r, r["reason"]), md=True) for r in rows],
            className="g-2",
            id="title-recommendations",
        )
    return html.Div([html.H4("If you liked it", className="mt-3"), body])


def also_liked(tconst: str) -> html.Div | None:
    """Clients who liked it also liked — only when the service's rating log holds the film."""
    rows = db().fetch("SELECT * FROM api.also_liked(%s, 5)", (tconst,))
    if not rows:
        return None
    return html.Div(
        [
            html.H4("Clients who liked it also liked", className="mt-3"),
            html.Ul(
                [
                    html.Li(
                        [
                            title_link(r["also_tconst"], r["primary_title"]),
                            f" ({r['start_year'] or '—'}) — {r['clients']} clients",
                        ]
                    )
                    for r in rows
                ],
                id="title-also-liked",
            ),
        ]
    )

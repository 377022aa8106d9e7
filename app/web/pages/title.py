"""A film's page, /title/<tconst> (IMDb's address): its facts, credits linked to their people,
alternative titles, five recommendations with their reasons (each a film page), what the
service's clients also liked, and the popularity model's estimate beside the real figures."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from app import service
from app.db import UserError, db
from app.web.components import alert, person_link, title_card, title_link, votes
from app.web.i18n import genre_name, localised, reason, role_name, t

dash.register_page(__name__, path_template="/title/<tconst>", name="Film", order=10)

ROLE_NAMES = {"director": "Directed by", "writer": "Written by"}
TRAINING = {  # api.title_estimate's words, as the page says them
    "not a training film (fewer than 20 votes, or not a type the model learns)": (
        "This film is not a training film (fewer than 20 votes, or not a type the model learns)."
    ),
    "held out from training: an honest estimate": (
        "This film was held out from training: an honest estimate."
    ),
    "a training film: its own rating is in its people's track records": (
        "This film is a training film: its own rating is in its people's track records."
    ),
}


def layout(tconst: str | None = None, **_) -> html.Div:
    try:
        return html.Div(title_page((tconst or "").strip()), id="title-page")
    except UserError as exc:
        return html.Div(alert(str(exc)), id="title-page")


def title_page(tconst: str) -> list:
    film = service.title(db(), tconst)  # an unknown id: its UserError, shown by layout()
    shown = localised([film])[0]["primary_title"]
    return [
        html.H2(shown, id="title-name"),
        facts(film),
        credits(film["credits"]),
        akas(film["akas"]),
        estimate(film, tconst),
        recommendations(tconst),
        also_liked(tconst),
    ]


def facts(film: dict) -> html.P:
    years = str(film["start_year"] or "—")
    if film["end_year"]:
        years += f"–{film['end_year']}"
    parts = [
        film["title_type"],
        years,
        f"{film['runtime_minutes']} min" if film["runtime_minutes"] else None,
        ", ".join(map(genre_name, film["genres"])) or None,
        f"★ {film['average_rating']} ({votes(film['num_votes'])})"
        if film["average_rating"] is not None
        else t("not rated"),
    ]
    text = " · ".join(p for p in parts if p)
    extra = []
    if film["original_title"] and film["original_title"] != film["primary_title"]:
        extra.append(
            html.Div(
                t("Original title: {title}", title=film["original_title"]), className="text-muted"
            )
        )
    if film["series_tconst"]:
        extra.append(
            html.Div([t("An episode of "), title_link(film["series_tconst"], t("its series"))])
        )
    return html.Div([html.P(text, className="lead", id="title-facts"), *extra])


def credits(rows: list[dict]) -> html.Div:
    """Directors, writers, then the cast and crew in billing order, each a link."""
    groups: dict[str, list] = {}
    for r in rows:
        label = t(ROLE_NAMES[r["role"]]) if r["role"] in ROLE_NAMES else None
        label = label or role_name(r["role"]).replace("_", " ").capitalize()
        name = person_link(r["nconst"], r["primary_name"])
        item = [name, f" ({r['characters']})"] if r["characters"] else [name]
        groups.setdefault(label, []).append(html.Span(item, className="me-2 credit"))
    if not groups:
        return html.P(t("No credited person in the catalogue."), className="text-muted")
    return html.Div(
        [html.Div([html.Strong(f"{label}: "), *people]) for label, people in groups.items()],
        id="title-credits",
        className="mb-3",
    )


def akas(rows: list[dict]) -> html.Div | None:
    if not rows:
        return None
    shown = [f"{r['title']} ({r['region'] or r['language'] or '—'})" for r in rows[:12]]
    return html.P([t("Also known as: "), "; ".join(shown)], className="small", id="title-akas")


def estimate(film: dict, tconst: str) -> html.Div:
    """The popularity model's expectation for this real film, beside the real figures."""
    try:
        e = db().fetch("SELECT * FROM api.title_estimate(%s)", (tconst,))[0]
    except UserError:
        return html.Div()
    if e["predicted_rating"] is None:
        return html.P(
            t(
                "The popularity model has no estimate for this title (no model trained, or a "
                "type it does not learn)."
            ),
            className="text-muted small",
        )
    real = (
        t(
            "real: ★ {rating}, {votes}",
            rating=film["average_rating"],
            votes=votes(film["num_votes"]),
        )
        if film["average_rating"] is not None
        else t("not rated yet")
    )
    training = TRAINING.get(e["training"], e["training"])
    return dbc.Alert(
        [
            html.Strong(t("The popularity model expects ")),
            t(
                "★ {rating} and {votes} ({real}). ",
                rating=f"{e['predicted_rating']:.1f}",
                votes=votes(round(e["expected_votes"])),
                real=real,
            ),
            html.Span(t(training), className="fst-italic"),
        ],
        color="light",
        id="title-estimate",
    )


def recommendations(tconst: str) -> html.Div:
    try:
        rows = service.recommend(db(), [tconst], 5)
    except UserError as exc:
        return alert(str(exc), "info")
    if not rows:
        body = alert(
            t(
                "No recommendation: the recommender has no vector for this title (too few "
                "votes, an episode, or no trained model)."
            ),
            "info",
        )
    else:
        body = dbc.Row(
            [dbc.Col(title_card(r, reason(r["reason"])), md=True) for r in localised(rows)],
            className="g-2",
            id="title-recommendations",
        )
    return html.Div([html.H4(t("If you liked it"), className="mt-3"), body])


def also_liked(tconst: str) -> html.Div | None:
    """Clients who liked it also liked — only when the service's rating log holds the film."""
    rows = db().fetch("SELECT * FROM api.also_liked(%s, 5)", (tconst,))
    rows = localised(rows, key="also_tconst")
    if not rows:
        return None
    return html.Div(
        [
            html.H4(t("Clients who liked it also liked"), className="mt-3"),
            html.Ul(
                [
                    html.Li(
                        [
                            title_link(r["also_tconst"], r["primary_title"]),
                            t(
                                " ({year}) — {n} clients",
                                year=r["start_year"] or "—",
                                n=r["clients"],
                            ),
                        ]
                    )
                    for r in rows
                ],
                id="title-also-liked",
            ),
        ]
    )

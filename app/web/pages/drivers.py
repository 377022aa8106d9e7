"""What drives popularity: for production teams, from the active models and their track records:
genre and genre-combination effects, the runtime and decade curves, the strongest track records
per role with the number of films behind each."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html
from plotly.subplots import make_subplots

from app.db import db
from app.web.components import labelled, names, person_link, rating_and_votes, safe, table
from app.web.i18n import genre_name, t

dash.register_page(__name__, path="/drivers", name="What drives popularity", order=3)

ROLES = {
    "director": "Directors",
    "writer": "Writers",
    "actor": "Lead actors",
    "producer": "Producers",
}


def layout(**_) -> html.Div:
    return html.Div(
        [
            html.H2(t("What drives popularity")),
            html.P(
                t(
                    "Each point is the active models' mean prediction over the training movies "
                    "with one input set and the others as they are (partial dependence): the "
                    "expected rating, and the expected audience in IMDb votes."
                ),
                className="text-muted",
            ),
            html.Div(id="drivers-message"),
            dcc.Graph(id="drivers-genres"),
            dcc.Graph(id="drivers-curves"),
            dbc.Row(
                [
                    labelled(
                        t("Track records of"),
                        dcc.Dropdown(
                            [{"label": t(v), "value": k} for k, v in ROLES.items()],
                            "director",
                            id="drivers-role",
                            clearable=False,
                        ),
                        3,
                    ),
                    labelled(
                        t("Of titles of type"),
                        dcc.Dropdown(
                            names("SELECT name FROM api.title_types") or ["movie"],
                            "movie",
                            id="drivers-type",
                            placeholder=t("every type"),
                        ),
                        3,
                    ),
                    labelled(
                        t("At least (titles)"),
                        dbc.Input(id="drivers-min", type="number", value=3, min=1, debounce=True),
                        2,
                    ),
                    labelled(
                        t("Name contains"),
                        dbc.Input(id="drivers-name", type="search", debounce=True),
                        4,
                    ),
                ],
                className="mb-2",
            ),
            html.Div(id="drivers-records"),
        ]
    )


def _bars(fig: go.Figure, rows: list[dict], col: int) -> None:
    rows = sorted(rows, key=lambda r: r["predicted_rating"])
    fig.add_trace(
        go.Bar(
            x=[r["predicted_rating"] for r in rows],
            y=[" + ".join(genre_name(g) for g in r["label"].split(" + ")) for r in rows],
            orientation="h",
            marker_color="#264653",
            hovertext=[
                t(
                    "{films} training films · {votes} votes",
                    films=f"{r['films']:,}",
                    votes=f"{r['expected_votes']:,.0f}",
                )
                for r in rows
            ],
            showlegend=False,
        ),
        row=1,
        col=col,
    )


def genre_figure(rows: list[dict]) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(t("Each genre alone: expected rating"), t("Most common combinations")),
    )
    genres = [r for r in rows if r["kind"] == "genre" and r["films"]]
    enough = 50 if any(r["films"] >= 50 for r in genres) else 1  # rarer genres: too few films
    _bars(fig, [r for r in genres if r["films"] >= enough], 1)
    _bars(fig, [r for r in rows if r["kind"] == "combination"], 2)
    fig.update_xaxes(range=[4, 8])
    fig.update_layout(height=560, margin={"l": 160})
    return fig


def curves_figure(rows: list[dict]) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(t("Runtime (min)"), t("Decade")),
        specs=[[{"secondary_y": True}, {"secondary_y": True}]],
    )
    for col, kind in ((1, "runtime"), (2, "decade")):
        rating_and_votes(fig, [r for r in rows if r["kind"] == kind], col)
    fig.update_layout(height=360)
    return fig


@callback(
    Output("drivers-message", "children"),
    Output("drivers-genres", "figure"),
    Output("drivers-curves", "figure"),
    Input("drivers-message", "id"),
)
@safe(go.Figure(), go.Figure())
def show_drivers(_):
    rows = db().fetch("SELECT * FROM api.popularity_drivers()")
    return None, genre_figure(rows), curves_figure(rows)


@callback(
    Output("drivers-records", "children"),
    Input("drivers-role", "value"),
    Input("drivers-type", "value"),
    Input("drivers-min", "value"),
    Input("drivers-name", "value"),
)
@safe()
def show_track_records(role: str, title_type: str | None = "movie", least=3, name=None):
    rows = db().fetch(
        "SELECT * FROM api.track_records(%s, 15, %s, %s, %s)",
        (role or "director", max(int(least or 1), 1), title_type or None, name or None),
    )
    columns = [t("name"), t("titles"), t("mean rating"), t("effect on the rating"), t("audience")]
    shown = [
        dict(
            zip(
                columns,
                (
                    person_link(r["nconst"], r["primary_name"]),
                    f"{r['films']:,}",
                    f"{r['mean_rating']:.2f}",
                    f"{r['rating_effect']:+.2f}",
                    f"×{10 ** r['audience_effect']:.1f}",
                ),
                strict=True,
            )
        )
        for r in rows
    ]
    return html.Div(
        [
            html.P(
                t(
                    "Smoothed effect of the person's rated titles (films, series, specials) on "
                    "the rating — 3 pseudo-titles of the average pull thin records back — and "
                    "their audience against the average title; with a type, only people with "
                    "that many rated titles of the type."
                ),
                className="small text-muted",
            ),
            table(shown, columns),
        ]
    )

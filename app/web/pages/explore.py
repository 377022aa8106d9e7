"""Explore: key figures and charts of the catalogue, each fed by an analytics view, filterable."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.express as px
from dash import Input, Output, callback, dcc, html

from app.web.components import alert, safe, table
from app.web.db import UserError, db

dash.register_page(__name__, path="/", name="Explore", order=0)

FILTER = """title_type = ANY(%(types)s) AND start_year BETWEEN %(y0)s AND %(y1)s
            AND (%(genre)s::text IS NULL OR %(genre)s = ANY(genres))"""


def _options(query: str) -> list[str]:
    try:
        return [r["name"] for r in db().fetch(query)]
    except UserError:
        return []


def layout(**_) -> html.Div:
    types = _options("SELECT name FROM api.title_types") or ["movie"]
    genres = _options("SELECT name FROM api.genres")
    return html.Div([
        html.H2("Explore the catalogue"),
        html.Div(_figures_or_alert(), id="explore-figures"),
        html.Div(id="explore-message"),
        dbc.Row([
            dbc.Col([html.Label("Title types"),
                     dcc.Dropdown(types, ["movie"], multi=True, id="explore-types")], md=4),
            dbc.Col([html.Label("Years"),
                     dcc.RangeSlider(1900, 2030, 10, value=[1950, 2025], id="explore-years",
                                     marks={y: str(y) for y in range(1900, 2031, 20)})], md=5),
            dbc.Col([html.Label("Genre"),
                     dcc.Dropdown(genres, None, id="explore-genre", placeholder="all genres")],
                    md=3),
        ], className="mb-3"),
        dbc.Row([dbc.Col(dcc.Graph(id="chart-per-year"), md=6),
                 dbc.Col(dcc.Graph(id="chart-ratings"), md=6)]),
        dbc.Row([dbc.Col(dcc.Graph(id="chart-genre-share"), md=6),
                 dbc.Col(dcc.Graph(id="chart-genre-rating"), md=6)]),
        dbc.Row([dbc.Col(dcc.Graph(id="chart-runtime"), md=6),
                 dbc.Col(dcc.Graph(id="chart-votes"), md=6)]),
        dbc.Row([
            dbc.Col([html.Label("People: role and minimum rated films"),
                     dbc.InputGroup([
                         dbc.Select(id="explore-role", value="director", options=[
                             {"label": r, "value": r} for r in ("director", "writer", "actor")]),
                         dbc.Input(id="explore-min-films", type="number", value=5, min=1)])],
                    md=4)]),
        dbc.Row([dbc.Col([html.H5("Most prolific"), html.Div(id="table-prolific")], md=6),
                 dbc.Col([html.H5("Best rated"), html.Div(id="table-best")], md=6)]),
    ])


def key_figures() -> dbc.Row:
    f = db().fetch("SELECT * FROM analytics.key_figures")[0]
    items = [("Titles", f["titles"]), ("Films", f["films"]), ("People", f["people"]),
             ("Rated titles", f["rated_titles"]), ("Average rating", f["average_rating"])]
    return dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(label, className="text-muted small"),
        html.H4(f"{value:,}" if isinstance(value, int) else str(value), className="figure")])))
        for label, value in items], className="mb-3")


def _figures_or_alert():
    try:
        return key_figures()
    except UserError as exc:
        return alert(str(exc))


def _params(types, years, genre) -> dict:
    if not types:
        raise UserError("Choose at least one title type.")
    return {"types": list(types), "y0": years[0], "y1": years[1], "genre": genre}


def _frame(query: str, params: dict) -> pd.DataFrame:
    return pd.DataFrame(db().fetch(query, params))


def charts(types, years, genre) -> list:
    p = _params(types, years, genre)
    per_year = _frame(f"""SELECT start_year AS year, title_type AS type, count(*) AS titles
                          FROM analytics.title_facts WHERE {FILTER} GROUP BY 1, 2 ORDER BY 1""", p)
    ratings = _frame(f"""SELECT round(average_rating * 2) / 2 AS rating, count(*) AS titles
                         FROM analytics.title_facts WHERE {FILTER} AND average_rating IS NOT NULL
                         GROUP BY 1 ORDER BY 1""", p)
    genres = _frame(f"""SELECT (start_year / 10 * 10) AS decade, g AS genre, count(*) AS titles,
                               round(avg(average_rating), 2) AS average_rating
                        FROM analytics.title_facts, unnest(genres) g WHERE {FILTER}
                        GROUP BY 1, 2 ORDER BY 1""", p)
    runtime = _frame(f"""SELECT least(runtime_minutes / 10 * 10, 240) AS runtime,
                                round(avg(average_rating), 2) AS average_rating, count(*) AS titles
                         FROM analytics.title_facts WHERE {FILTER}
                           AND runtime_minutes IS NOT NULL AND average_rating IS NOT NULL
                         GROUP BY 1 ORDER BY 1""", p)
    votes = _frame(f"""SELECT round(log(num_votes)::numeric * 4) / 4 AS log10_votes,
                              round(avg(average_rating), 2) AS average_rating, count(*) AS titles
                       FROM analytics.title_facts WHERE {FILTER} AND num_votes > 0
                       GROUP BY 1 ORDER BY 1""", p)
    if per_year.empty:
        raise UserError("No title matches these filters.")
    top = genres.groupby("genre")["titles"].sum().nlargest(8).index
    genres = genres[genres["genre"].isin(top)]
    return [
        px.bar(per_year, x="year", y="titles", color="type", title="Titles per year"),
        px.bar(ratings, x="rating", y="titles", title="Rating distribution"),
        px.area(genres, x="decade", y="titles", color="genre", groupnorm="percent",
                title="Genre shares by decade (%)"),
        px.line(genres, x="decade", y="average_rating", color="genre", markers=True,
                title="Average rating by genre and decade"),
        px.line(runtime, x="runtime", y="average_rating", markers=True, hover_data=["titles"],
                title="Runtime (minutes) vs average rating"),
        px.line(votes, x="log10_votes", y="average_rating", markers=True, hover_data=["titles"],
                title="Votes (log10) vs average rating"),
    ]


@callback(Output("chart-per-year", "figure"), Output("chart-ratings", "figure"),
          Output("chart-genre-share", "figure"), Output("chart-genre-rating", "figure"),
          Output("chart-runtime", "figure"), Output("chart-votes", "figure"),
          Output("explore-message", "children"),
          Input("explore-types", "value"), Input("explore-years", "value"),
          Input("explore-genre", "value"))
def update_charts(types, years, genre):
    try:
        return (*charts(types, years, genre), None)
    except UserError as exc:
        empty = px.scatter(title=str(exc))
        return (*([empty] * 6), alert(str(exc)))


def people_rows(role, min_films, types) -> tuple[list[dict], list[dict]]:
    """The ten most prolific and the ten best-rated people in a role with enough rated films."""
    if not types:
        raise UserError("Choose at least one title type.")
    params = {"role": role, "types": list(types), "min": int(min_films or 1)}
    base = """SELECT primary_name AS name, sum(titles) AS titles,
                     sum(rated_titles) AS rated,
                     round(sum(average_rating * rated_titles) / nullif(sum(rated_titles), 0), 2)
                         AS rating
              FROM analytics.person_stats WHERE role = %(role)s AND title_type = ANY(%(types)s)
              GROUP BY person_id, primary_name HAVING sum(rated_titles) >= %(min)s"""
    prolific = db().fetch(base + " ORDER BY titles DESC, rating DESC LIMIT 10", params)
    best = db().fetch(base + " ORDER BY rating DESC, titles DESC LIMIT 10", params)
    return prolific, best


@callback(Output("table-prolific", "children"), Output("table-best", "children"),
          Input("explore-role", "value"), Input("explore-min-films", "value"),
          Input("explore-types", "value"))
@safe(None)
def update_people(role, min_films, types):
    columns = ["name", "titles", "rated", "rating"]
    return tuple(table(rows, columns) for rows in people_rows(role, min_films, types))

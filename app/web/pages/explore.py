"""Explore: key figures and charts of the catalogue, each fed by an analytics view, filterable."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html

from app.db import UserError, db
from app.web.components import (
    alert,
    labelled,
    names,
    page_address,
    person_link,
    query_int,
    query_list,
    query_string,
    query_years,
    safe,
    same_address,
    table,
    types_and_years,
)
from app.web.i18n import genre_name, role_name, t

dash.register_page(__name__, path="/", name="Explore", order=0)

# Every chart reads a small aggregate (migrations/R__20_analytics_statistics.sql);
# '(all)' = every genre.
SLICE = """title_type = ANY(%(types)s) AND start_year BETWEEN %(y0)s AND %(y1)s
           AND genre = %(genre)s"""


YEARS = [1950, 2025]
ROLES = ("director", "writer", "actor")


def layout(types=None, years=None, genre=None, role=None, min_films=None, **_) -> html.Div:
    """The page as its address says: ?types=movie,tvSeries&years=1990-2020&genre=Drama
    &role=writer&min_films=3 (all optional)."""
    genres = names("SELECT name FROM api.genres")
    try:
        kinds = query_list(types) or ["movie"]
        span = query_years(years, YEARS)
        floor = query_int("min_films", min_films, 5)
        if genre and genres and genre not in genres:
            raise UserError(
                t("The address's genre={genre!r} is not a genre of the catalogue.", genre=genre)
            )
        if role and role not in ROLES:
            raise UserError(
                t(
                    "The address's role={role!r} is not one of {roles}.",
                    role=role,
                    roles=", ".join(ROLES),
                )
            )
    except UserError as exc:
        return html.Div(
            [page_address("explore"), html.H2(t("Explore the catalogue")), alert(str(exc))]
        )
    return html.Div(
        [
            page_address("explore"),
            html.H2(t("Explore the catalogue")),
            html.Div(_figures_or_alert(), id="explore-figures"),
            html.Div(id="explore-message"),
            dbc.Row(
                [
                    *types_and_years("explore", span, 1900, kinds),
                    labelled(
                        t("Genre"),
                        dcc.Dropdown(
                            [{"label": genre_name(g), "value": g} for g in genres],
                            genre,
                            id="explore-genre",
                            placeholder=t("all genres"),
                        ),
                        3,
                    ),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id="chart-per-year"), md=6),
                    dbc.Col(dcc.Graph(id="chart-ratings"), md=6),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id="chart-genre-share"), md=6),
                    dbc.Col(dcc.Graph(id="chart-genre-rating"), md=6),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id="chart-runtime"), md=6),
                    dbc.Col(dcc.Graph(id="chart-votes"), md=6),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Label(
                                t("People: role and minimum rated films"), htmlFor="explore-role"
                            ),
                            dbc.InputGroup(
                                [
                                    dbc.Select(
                                        id="explore-role",
                                        value=role or "director",
                                        options=[
                                            {"label": role_name(r), "value": r} for r in ROLES
                                        ],
                                    ),
                                    html.Label(
                                        t("minimum rated films"),
                                        htmlFor="explore-min-films",
                                        className="visually-hidden",
                                    ),
                                    dbc.Input(
                                        id="explore-min-films",
                                        type="number",
                                        value=floor,
                                        min=1,
                                        debounce=True,
                                    ),
                                ]
                            ),
                        ],
                        md=4,
                    )
                ]
            ),
            dbc.Row(
                [
                    dbc.Col([html.H5(t("Most prolific")), html.Div(id="table-prolific")], md=6),
                    dbc.Col([html.H5(t("Best rated")), html.Div(id="table-best")], md=6),
                ]
            ),
        ]
    )


def key_figures() -> dbc.Row:
    f = db().fetch("SELECT * FROM analytics.key_figures")[0]
    items = [
        (t("Titles"), f["titles"]),
        (t("Films"), f["films"]),
        (t("People"), f["people"]),
        (t("Rated titles"), f["rated_titles"]),
        (t("Average rating"), f["average_rating"]),
    ]
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(label, className="text-muted small"),
                            html.H4(
                                f"{value:,}" if isinstance(value, int) else str(value),
                                className="figure",
                            ),
                        ]
                    )
                )
            )
            for label, value in items
        ],
        className="mb-3",
    )


def _figures_or_alert():
    try:
        return key_figures()
    except UserError as exc:
        return alert(str(exc))


def _params(types, years, genre) -> dict:
    if not types:
        raise UserError(t("Choose at least one title type."))
    return {"types": list(types), "y0": years[0], "y1": years[1], "genre": genre or "(all)"}


def _figure(title: str, traces: list, **layout) -> go.Figure:
    fig = go.Figure(traces)
    fig.update_layout(title=title, margin={"t": 50, "l": 50, "r": 10, "b": 40}, **layout)
    return fig


def per_year(p: dict) -> go.Figure:
    rows = db().fetch(
        f"""SELECT title_type, start_year, sum(titles) AS titles
                          FROM analytics.yearly_stats WHERE {SLICE}
                          GROUP BY 1, 2 ORDER BY 1, 2""",
        p,
    )
    traces = [
        go.Bar(x=[r["start_year"] for r in group], y=[r["titles"] for r in group], name=kind)
        for kind, group in _groups(rows, "title_type")
    ]
    return _figure(
        t("Titles per year"),
        traces,
        barmode="stack",
        xaxis_title=t("year"),
        yaxis_title=t("titles"),
    )


def genre_trends(p: dict, metric: str) -> go.Figure:
    """Per decade and genre (the chosen one, or the 8 largest): share of the decade's titles
    (a title has up to 3 genres, so shares add up to more than 100) or average rating."""
    rows = db().fetch(
        """WITH slice AS (
                             SELECT start_year / 10 * 10 AS decade, genre, sum(titles) AS titles,
                                    sum(rating_sum) / nullif(sum(rated_titles), 0) AS rating
                             FROM analytics.yearly_stats
                             WHERE title_type = ANY(%(types)s)
                               AND start_year BETWEEN %(y0)s AND %(y1)s
                             GROUP BY 1, 2),
                         top AS (SELECT genre FROM slice
                                 WHERE genre <> '(all)'
                                   AND (%(genre)s = '(all)' OR genre = %(genre)s)
                                 GROUP BY genre ORDER BY sum(titles) DESC LIMIT 8)
                         SELECT s.decade, s.genre, round(s.rating, 2) AS rating,
                                round(100.0 * s.titles / a.titles, 1) AS share
                         FROM slice s JOIN top USING (genre)
                         JOIN slice a ON a.decade = s.decade AND a.genre = '(all)'
                         ORDER BY s.genre, s.decade""",
        p,
    )
    title = {
        "share": t("Share of titles by genre and decade (%)"),
        "rating": t("Average rating by genre and decade"),
    }[metric]
    traces = [
        go.Scatter(
            x=[r["decade"] for r in g],
            y=[r[metric] for r in g],
            name=genre_name(genre),
            mode="lines+markers",
        )
        for genre, g in _groups(rows, "genre")
    ]
    return _figure(
        title,
        traces,
        xaxis_title=t("decade"),
        yaxis_title={"share": t("% of titles"), "rating": t("average rating")}[metric],
    )


def profile(p: dict, dimension: str) -> go.Figure:
    rows = db().fetch(
        f"""SELECT bucket, sum(titles) AS titles,
                                 round(sum(rating_sum) / sum(titles), 2) AS rating
                          FROM analytics.rating_profile WHERE dimension = %(dimension)s
                            AND {SLICE} GROUP BY bucket ORDER BY bucket""",
        {**p, "dimension": dimension},
    )
    x = [float(r["bucket"]) for r in rows]
    if dimension == "rating":
        return _figure(
            t("Rating distribution"),
            [go.Bar(x=x, y=[r["titles"] for r in rows])],
            xaxis_title=t("rating"),
            yaxis_title=t("rated titles"),
        )
    label = {"runtime": t("Runtime (minutes)"), "votes": t("Votes (log10)")}[dimension]
    trace = go.Scatter(
        x=x,
        y=[r["rating"] for r in rows],
        mode="lines+markers",
        customdata=[r["titles"] for r in rows],
        hovertemplate="%{x}: %{y} (%{customdata} " + t("titles") + ")<extra></extra>",
    )
    return _figure(
        t("{label} vs average rating", label=label),
        [trace],
        xaxis_title=label.lower(),
        yaxis_title=t("average rating"),
    )


def _groups(rows: list[dict], key: str):
    groups: dict = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return groups.items()


CHARTS = {
    "chart-per-year": per_year,
    "chart-ratings": lambda p: profile(p, "rating"),
    "chart-genre-share": lambda p: genre_trends(p, "share"),
    "chart-genre-rating": lambda p: genre_trends(p, "rating"),
    "chart-runtime": lambda p: profile(p, "runtime"),
    "chart-votes": lambda p: profile(p, "votes"),
}
FILTERS = [
    Input("explore-types", "value"),
    Input("explore-years", "value"),
    Input("explore-genre", "value"),
]


def charts(types, years, genre) -> list[go.Figure]:
    """All six charts for these filters (what the page shows, one callback each)."""
    p = _params(types, years, genre)
    return [build(p) for build in CHARTS.values()]


def chart_callback(build):
    """The callback that draws the chart ``build`` for the filters, or says why it cannot."""

    def update(types, years, genre):
        try:
            return build(_params(types, years, genre))
        except UserError as exc:
            return _figure(str(exc), [])

    return update


for _chart_id, _build in CHARTS.items():
    callback(Output(_chart_id, "figure"), *FILTERS)(chart_callback(_build))


@callback(Output("explore-message", "children"), *FILTERS)
@safe()
def update_message(types, years, genre):
    """How many titles the filters select, or why none."""
    p = _params(types, years, genre)
    n = db().fetch(
        f"SELECT coalesce(sum(titles), 0) AS n FROM analytics.yearly_stats WHERE {SLICE}", p
    )[0]["n"]
    if not n:
        raise UserError(t("No title matches these filters."))
    return html.Div(t("{n} titles match the filters.", n=f"{n:,}"), className="text-muted small")


def people_rows(role, min_films, types) -> tuple[list[dict], list[dict]]:
    """The ten most prolific and the ten best-rated people in a role with enough rated films."""
    if not types:
        raise UserError(t("Choose at least one title type."))
    params = {"role": role, "types": list(types), "min": int(min_films or 1)}
    if len(types) == 1:  # one row per person: read in the order of the view's indexes
        base = """SELECT nconst, primary_name AS name, titles, rated_titles AS rated,
                         average_rating AS rating
                  FROM analytics.person_stats
                  WHERE role = %(role)s AND title_type = %(type)s
                    AND rated_titles >= %(min)s"""
        params["type"] = types[0]
        prolific = db().fetch(base + " ORDER BY titles DESC, average_rating DESC LIMIT 10", params)
        best = db().fetch(base + " ORDER BY average_rating DESC, titles DESC LIMIT 10", params)
        return prolific, best
    base = """SELECT nconst, primary_name AS name, sum(titles) AS titles,
                     sum(rated_titles) AS rated,
                     round(sum(rating_sum) / nullif(sum(rated_titles), 0), 2) AS rating
              FROM analytics.person_stats WHERE role = %(role)s AND title_type = ANY(%(types)s)
              GROUP BY person_id, nconst, primary_name HAVING sum(rated_titles) >= %(min)s"""
    prolific = db().fetch(base + " ORDER BY titles DESC, rating DESC LIMIT 10", params)
    best = db().fetch(base + " ORDER BY rating DESC, titles DESC LIMIT 10", params)
    return prolific, best


@callback(
    Output("table-prolific", "children"),
    Output("table-best", "children"),
    Input("explore-role", "value"),
    Input("explore-min-films", "value"),
    Input("explore-types", "value"),
)
@safe(None)
def update_people(role, min_films, types):
    columns = [t("name"), t("titles"), t("rated"), t("rating")]
    return tuple(
        table(
            [
                dict(
                    zip(
                        columns,
                        (person_link(r["nconst"], r["name"]), r["titles"], r["rated"], r["rating"]),
                        strict=True,
                    )
                )
                for r in rows
            ],
            columns,
        )
        for rows in people_rows(role, min_films, types)
    )


@callback(
    Output("explore-url", "search"),
    *FILTERS,
    Input("explore-role", "value"),
    Input("explore-min-films", "value"),
    State("explore-url", "search"),
    prevent_initial_call=True,
)
def keep_address(types, years, genre, role, min_films, current):
    """The filters go into the address (reload, Back and shared links keep them)."""
    years = list(years or YEARS)
    return same_address(
        query_string(
            {
                "types": [] if list(types or []) == ["movie"] else list(types or []),
                "years": f"{years[0]}-{years[1]}" if years != YEARS else None,
                "genre": genre,
                "role": role if role != "director" else None,
                "min_films": min_films if min_films != 5 else None,
            }
        ),
        current,
    )

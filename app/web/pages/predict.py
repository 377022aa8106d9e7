"""Predict: describe a planned film, get its expected rating and audience, their ranges, what
drives them and what-if curves (runtime, year, each person swapped for a newcomer)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots

from app import service
from app.db import UserError, db
from app.service import PREDICT_ARGS, ROLES, Film
from app.web.components import (
    alert,
    names,
    page_address,
    picker_options,
    query_int,
    query_list,
    query_string,
    rating_and_votes,
    safe,
    same_address,
    search_picker,
    votes,
)
from app.web.i18n import feature_group, genre_name, t

dash.register_page(__name__, path="/predict", name="Predict", order=2)


def _people_picker(role: str, chosen: list[str]) -> dbc.Col:
    options = people_options(None, chosen) if chosen else []
    return dbc.Col(
        [
            html.Label(t(role.capitalize())),
            search_picker(
                {"type": "people", "role": role},
                t("Type a name…"),
                options,
                [o["value"] for o in options],
            ),
        ],
        md=6,
    )


def layout(type=None, year=None, runtime=None, genres=None, **query) -> html.Div:
    """The page as its address says: ?type=movie&year=2026&runtime=110&genres=Drama,Crime
    &directors=nm0000229&actors=... (all optional). With inputs in the address, their estimate
    (or what is missing) is on the page at once: Estimate only writes the inputs into the address,
    and the page is rendered from it."""
    try:
        title_type = type or "movie"
        start_year = query_int("year", year, 2026)
        minutes = query_int("runtime", runtime, 110)
        chosen_genres = query_list(genres)
        people = {r: query_list(query.get(r)) for r in ROLES}
        asked = any(v is not None for v in (type, year, runtime, genres, *query.values()))
        result = (
            update_prediction(
                None, title_type, start_year, minutes, chosen_genres, *people.values()
            )
            if asked
            else (None, go.Figure(), HIDDEN, go.Figure(), HIDDEN)
        )
    except UserError as exc:
        return html.Div([page_address("pred"), html.H2(t("Estimate")), alert(str(exc))])
    boxes, explain, explain_style, what_if, what_if_style = result
    return html.Div(
        [
            page_address("pred"),
            html.H2(t("Estimate a film's rating and audience")),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Label(t("Type")),
                            dcc.Dropdown(
                                names("SELECT name FROM api.title_types") or ["movie"],
                                title_type,
                                id="pred-type",
                                clearable=False,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            html.Label(t("Year"), htmlFor="pred-year"),
                            dbc.Input(id="pred-year", type="number", value=start_year),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            html.Label(t("Runtime (minutes)"), htmlFor="pred-runtime"),
                            dbc.Input(id="pred-runtime", type="number", value=minutes, min=0),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            html.Label(t("Genres")),
                            dcc.Dropdown(
                                [
                                    {"label": genre_name(g), "value": g}
                                    for g in names("SELECT name FROM api.genres")
                                ],
                                chosen_genres,
                                multi=True,
                                id="pred-genres",
                            ),
                        ],
                        md=5,
                    ),
                ],
                className="mb-2",
            ),
            dbc.Row([_people_picker(r, people[r]) for r in ROLES], className="mb-2"),
            dbc.Button(t("Estimate"), id="pred-go", color="primary", className="my-2"),
            dbc.Row(
                [
                    dbc.Col(html.Div(boxes, id="pred-result"), md=4),
                    dbc.Col(
                        dcc.Graph(id="pred-explain", figure=explain, style=explain_style), md=8
                    ),
                ]
            ),
            dcc.Graph(id="pred-whatif", figure=what_if, style=what_if_style),
            html.H4(t("Model card"), className="mt-4"),
            html.Div(id="pred-card"),
        ]
    )


def people_options(
    search: str | None, selected: list[str] | None, role: str | None = None
) -> list[dict]:
    """Picker options: the people already chosen, then those matching what is typed (by full
    name or surname), people credited in ``role`` (e.g. "directors") first."""

    def option(r: dict) -> dict:
        professions = r.get("professions")
        label = f"{r['primary_name']} ({professions})" if professions else r["primary_name"]
        return {"label": label, "value": r["nconst"]}

    return picker_options(
        search,
        selected,
        "SELECT nconst, primary_name, professions FROM analytics.person_search "
        "WHERE nconst = ANY(%s)",
        "SELECT * FROM api.search_people(%s, 10, %s)",
        option,
        (role.removesuffix("s") if role else None,),
    )


def _picker_role() -> str | None:
    """The role of the picker whose text changed (its pattern-matching id), inside a callback."""
    try:
        triggered = dash.ctx.triggered_id
    except dash.exceptions.MissingCallbackContextException:
        return None
    return triggered["role"] if triggered else None


@callback(
    Output({"type": "people", "role": MATCH}, "options"),
    Input({"type": "people", "role": MATCH}, "search_value"),
    State({"type": "people", "role": MATCH}, "value"),
)
def update_people_options(search, selected, role: str | None = None):
    if not search and not selected:
        raise PreventUpdate
    if role is None:
        role = _picker_role()
    try:
        return people_options(search, selected, role)
    except UserError:
        return dash.no_update


HIDDEN = {"display": "none"}


def _card(label: str, value: str, value_id: str, low: str, high: str, version: int) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(label, className="text-muted"),
                html.H1(value, id=value_id),
                html.Div(t("80 % range: {low} – {high}", low=low, high=high)),
                html.Div(t("model version {v}", v=version), className="small text-muted"),
            ]
        ),
        className="mb-2",
    )


def _explain_figure(rating_terms: list[dict], audience_terms: list[dict]) -> go.Figure:
    """Two bar charts: what moves the rating (points) and the audience (log10 votes, labelled
    as a factor) away from the average film of its type; the first row of each explanation is
    that average. What the user entered shows on hover."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=(t("Rating (points)"), t("Audience (× votes, log scale)"))
    )
    for col, terms in ((1, rating_terms), (2, audience_terms)):
        drivers = terms[1:]
        labels = [
            f"{d['contribution']:+.2f}" if col == 1 else f"×{10 ** d['contribution']:.2g}"
            for d in drivers
        ]
        fig.add_trace(
            go.Bar(
                x=[d["contribution"] for d in drivers],
                y=[feature_group(d["feature_group"]) for d in drivers],
                orientation="h",
                hovertext=[d["detail"] for d in drivers],
                text=labels,
                textposition="inside",
                insidetextanchor="middle",
                marker_color=["#2a9d8f" if d["contribution"] >= 0 else "#e76f51" for d in drivers],
                showlegend=False,
            ),
            row=1,
            col=col,
        )
    average = rating_terms[0]
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title=t(
            "Against the {average} ({rating}, {votes})",
            average=feature_group(average["feature_group"]),
            rating=f"{average['contribution']:.2f}",
            votes=votes(round(10 ** audience_terms[0]["contribution"])),
        ),
        margin={"l": 100},
        height=380,
        uniformtext={"minsize": 9, "mode": "hide"},
    )
    return fig


def _what_if_figure(rows: list[dict]) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(t("Runtime (min)"), t("Year"), t("Each person → a newcomer")),
        specs=[[{"secondary_y": True}, {"secondary_y": True}, {"secondary_y": True}]],
    )
    for col, dim in ((1, "runtime"), (2, "year")):
        rating_and_votes(fig, [r for r in rows if r["dimension"] == dim], col)
    swaps = [r for r in rows if r["dimension"] in ("as entered", "newcomer instead of")]
    labels = [
        t("as entered") if r["dimension"] == "as entered" else t("no {who}", who=r["setting"])
        for r in swaps
    ]
    fig.add_trace(
        go.Bar(
            x=labels,
            y=[r["predicted_rating"] for r in swaps],
            marker_color="#264653",
            showlegend=False,
        ),
        row=1,
        col=3,
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[r["expected_votes"] for r in swaps],
            mode="markers",
            marker={"color": "#e9c46a", "size": 12},
            showlegend=False,
        ),
        row=1,
        col=3,
        secondary_y=True,
    )
    fig.update_yaxes(title_text=t("rating"), secondary_y=False, row=1, col=1)
    ratings = [r["predicted_rating"] for r in swaps]
    fig.update_yaxes(
        range=[min(ratings) - 0.5, max(ratings) + 0.3], row=1, col=3, secondary_y=False
    )
    if len(swaps) == 1:
        fig.add_annotation(
            text=t("name people to see<br>what each one brings"),
            showarrow=False,
            xref="x3 domain",
            yref="y5 domain",
            x=0.5,
            y=0.5,
        )
    fig.update_layout(title=t("What if… (everything else as entered)"), height=360)
    return fig


def prediction(title_type, year, runtime, genres, people: dict[str, list[str]]) -> tuple:
    film = Film(
        title_type or "movie",
        year,
        runtime,
        list(genres or []),
        **{r: list(people.get(r) or []) for r in ROLES},
    )
    answer = service.predict(db(), film)
    rating, audience = answer["rating"], answer["audience"]
    rating_terms, audience_terms = answer["rating_drivers"], answer["audience_drivers"]
    what_if = db().fetch(f"SELECT * FROM api.what_if({PREDICT_ARGS})", film.params())
    boxes = html.Div(
        [
            _card(
                t("Expected IMDb rating"),
                f"{rating['predicted_rating']:.1f}",
                "pred-rating",
                f"{rating['low']:.1f}",
                f"{rating['high']:.1f}",
                rating["model_version"],
            ),
            _card(
                t("Expected audience (IMDb votes)"),
                votes(round(audience["expected_votes"])),
                "pred-audience",
                votes(round(audience["low"])),
                votes(round(audience["high"])),
                audience["model_version"],
            ),
        ]
    )
    return (
        boxes,
        _explain_figure(rating_terms, audience_terms),
        {"display": "block"},
        _what_if_figure(what_if),
        {"display": "block"},
    )


# What the Estimate button reads: type, year, runtime, genres, then the people of each role.
FORM = [
    State("pred-type", "value"),
    State("pred-year", "value"),
    State("pred-runtime", "value"),
    State("pred-genres", "value"),
    *(State({"type": "people", "role": role}, "value") for role in ROLES),
]


@callback(
    Output("pred-url", "search"),
    Input("pred-go", "n_clicks"),
    *FORM,
    State("pred-url", "search"),
    prevent_initial_call=True,
)
def estimate(_, title_type, year, runtime, genres, directors, writers, actors, producers, current):
    """Estimate writes the inputs into the address; the page then shows their estimate."""
    people = dict(zip(ROLES, (directors, writers, actors, producers), strict=True))
    search = query_string(
        {"type": title_type, "year": year, "runtime": runtime, "genres": genres or [], **people}
    )
    return same_address(search, current)


@safe(go.Figure(), HIDDEN, go.Figure(), HIDDEN)
def update_prediction(_, title_type, year, runtime, genres, directors, writers, actors, producers):
    """What the page shows for these inputs (the layout calls it for the inputs of its
    address): the estimate, or what is missing. Not a callback of its own: Estimate only writes
    the address (estimate), which renders the page once, instead of computing it twice."""
    if not genres and not (directors or writers or actors or producers):
        return (
            alert(t("Describe the film: at least a genre or a person."), "info"),
            go.Figure(),
            HIDDEN,
            go.Figure(),
            HIDDEN,
        )
    people = dict(zip(ROLES, (directors, writers, actors, producers), strict=True))
    return prediction(title_type, year, runtime, genres, people)


def model_card() -> html.Div:
    rows = db().fetch("SELECT * FROM api.model_card ORDER BY target DESC")
    if not rows:
        return alert(t("No model yet: run `netfloox train popularity`."), "info")
    lines = []
    for card in rows:
        m = card["metrics"].get("holdout_movies_20_votes", {})
        what = t("Rating") if card["target"] == "rating" else t("Audience (log10 votes)")
        strongest = card["strongest"] or {}
        lines.append(
            html.P(
                t(
                    "{what}: {kind} version {version}, trained {at}; held-out movies: R² {r2}, "
                    "RMSE {rmse}, MAE {mae} ({n} films). Weighs most: {strongest}.",
                    what=what,
                    kind=card["kind"],
                    version=card["version"],
                    at=f"{card['trained_at']:%Y-%m-%d %H:%M}",
                    r2=f"{m.get('r2', 0):.2f}",
                    rmse=f"{m.get('rmse', 0):.2f}",
                    mae=f"{m.get('mae', 0):.2f}",
                    n=f"{m.get('n', 0):,}",
                    strongest=", ".join(
                        f"{feature_group(g)} {float(v):.2f}" for g, v in list(strongest.items())[:5]
                    ),
                )
            )
        )
    return html.Div(lines)


@callback(Output("pred-card", "children"), Input("pred-card", "id"))
@safe()
def show_model_card(_):
    return model_card()

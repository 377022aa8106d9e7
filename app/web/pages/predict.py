"""Predict: describe a planned film, get its expected rating, range and what drives it."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from app.web.components import alert, names, picker_options, safe
from app.web.db import UserError, db

dash.register_page(__name__, path="/predict", name="Predict", order=2)

ROLES = ("directors", "writers", "actors", "producers")


def _people_picker(role: str) -> dbc.Col:
    return dbc.Col(
        [
            html.Label(role.capitalize()),
            dcc.Dropdown(
                id={"type": "people", "role": role},
                multi=True,
                options=[],
                placeholder="Type a name…",
            ),
        ],
        md=6,
    )


def layout(**_) -> html.Div:
    return html.Div(
        [
            html.H2("Estimate a film's rating"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Label("Type"),
                            dcc.Dropdown(
                                names("SELECT name FROM api.title_types") or ["movie"],
                                "movie",
                                id="pred-type",
                                clearable=False,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [html.Label("Year"), dbc.Input(id="pred-year", type="number", value=2026)],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            html.Label("Runtime (minutes)"),
                            dbc.Input(id="pred-runtime", type="number", value=110, min=0),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            html.Label("Genres"),
                            dcc.Dropdown(
                                names("SELECT name FROM api.genres"),
                                [],
                                multi=True,
                                id="pred-genres",
                            ),
                        ],
                        md=5,
                    ),
                ],
                className="mb-2",
            ),
            dbc.Row([_people_picker(r) for r in ROLES], className="mb-2"),
            dbc.Button("Estimate the rating", id="pred-go", color="primary", className="my-2"),
            dbc.Row(
                [
                    dbc.Col(html.Div(id="pred-result"), md=5),
                    dbc.Col(dcc.Graph(id="pred-explain", style={"display": "none"}), md=7),
                ]
            ),
            html.H4("Model card", className="mt-4"),
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


def prediction(title_type, year, runtime, genres, people: dict[str, list[str]]) -> tuple:
    params = {
        "title_type": title_type or "movie",
        "start_year": year,
        "runtime": runtime,
        "genres": list(genres or []),
        **{r: list(people.get(r) or []) for r in ROLES},
    }
    args = """title_type => %(title_type)s, start_year => %(start_year)s,
              runtime_minutes => %(runtime)s, genres => %(genres)s, directors => %(directors)s,
              writers => %(writers)s, actors => %(actors)s, producers => %(producers)s"""
    result = db().fetch(f"SELECT * FROM api.predict_rating({args})", params)[0]
    terms = db().fetch(f"SELECT * FROM api.explain_rating({args})", params)
    box = dbc.Card(
        dbc.CardBody(
            [
                html.Div("Expected IMDb rating", className="text-muted"),
                html.H1(f"{result['predicted_rating']:.1f}", id="pred-rating"),
                html.Div(f"80 % range: {result['low']:.1f} – {result['high']:.1f}"),
                html.Div(f"model version {result['model_version']}", className="small text-muted"),
            ]
        )
    )
    drivers = [t for t in terms if t["feature_group"] != "baseline"]
    baseline = next(t["contribution"] for t in terms if t["feature_group"] == "baseline")
    fig = go.Figure(
        go.Bar(
            x=[t["contribution"] for t in drivers],
            y=[t["feature_group"] for t in drivers],
            orientation="h",
            hovertext=[t["detail"] for t in drivers],
            marker_color=["#2a9d8f" if t["contribution"] >= 0 else "#e76f51" for t in drivers],
        )
    )
    fig.update_layout(
        title=f"What moves it from an average film ({baseline:.2f})",
        yaxis={"autorange": "reversed"},
        margin={"l": 100},
    )
    return box, fig, {"display": "block"}


@callback(
    Output("pred-result", "children"),
    Output("pred-explain", "figure"),
    Output("pred-explain", "style"),
    Input("pred-go", "n_clicks"),
    State("pred-type", "value"),
    State("pred-year", "value"),
    State("pred-runtime", "value"),
    State("pred-genres", "value"),
    State({"type": "people", "role": "directors"}, "value"),
    State({"type": "people", "role": "writers"}, "value"),
    State({"type": "people", "role": "actors"}, "value"),
    State({"type": "people", "role": "producers"}, "value"),
    prevent_initial_call=True,
)
@safe(go.Figure(), {"display": "none"})
def update_prediction(_, title_type, year, runtime, genres, directors, writers, actors, producers):
    if not genres and not (directors or writers or actors or producers):
        return (
            alert("Describe the film: at least a genre or a person.", "info"),
            go.Figure(),
            {"display": "none"},
        )
    people = dict(zip(ROLES, (directors, writers, actors, producers), strict=True))
    return prediction(title_type, year, runtime, genres, people)


def model_card() -> html.Div:
    rows = db().fetch("SELECT * FROM api.model_card")
    if not rows:
        return alert("No model yet: run `netfloox train popularity`.", "info")
    card = rows[0]
    m = card["metrics"].get("holdout_movies_20_votes", {})
    return html.Div(
        [
            html.P(
                f"Version {card['version']}, trained {card['trained_at']:%Y-%m-%d %H:%M}; "
                f"held-out movies: R² {m.get('r2', 0):.2f}, RMSE {m.get('rmse', 0):.2f}, "
                f"MAE {m.get('mae', 0):.2f} ({m.get('n', 0):,} films)."
            ),
            html.P(
                "Strongest effects: "
                + ", ".join(
                    f"{e['feature']} {float(e['coef']):+.2f}" for e in (card["strongest"] or [])
                )
            ),
        ]
    )


@callback(Output("pred-card", "children"), Input("pred-card", "id"))
@safe()
def show_model_card(_):
    return model_card()

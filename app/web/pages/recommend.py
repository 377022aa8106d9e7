"""Recommend: find the films one liked as one types, get 5 recommendations with their reasons."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from app.web.components import alert, labelled, picker_options, safe, title_card, types_and_years
from app.web.db import UserError, db

dash.register_page(__name__, path="/recommend", name="Recommend", order=1)


def layout(**_) -> html.Div:
    return html.Div(
        [
            html.H2("Films for you"),
            html.P("Type a film you liked (several if you wish); get five films to watch next."),
            dcc.Dropdown(
                id="liked",
                multi=True,
                options=[],
                searchable=True,
                placeholder="Type a title, e.g. The Matrix…",
            ),
            dbc.Row(
                [
                    *types_and_years("rec", [1920, 2030], 1920),
                    labelled(
                        "Minimum votes",
                        dbc.Input(id="rec-min-votes", type="number", value=1000, min=0),
                        3,
                    ),
                ],
                className="my-3",
            ),
            html.Div(id="rec-seed"),
            html.H4("You may like", className="mt-3"),
            html.Div(id="rec-results"),
            client_section(),
        ]
    )


def client_section() -> html.Div:
    """Films for a client of the service's rating log — shown only when a log is loaded."""
    try:
        clients = db().fetch("SELECT client_id, ratings FROM api.clients()")
    except UserError:
        clients = []
    if not clients:
        return html.Div(id="client-section")
    return html.Div(
        [
            html.H4("For a client of the service", className="mt-4"),
            html.P(
                f"The rating log is loaded ({len(clients):,} clients): pick one to get five films "
                "they have not rated, from what they liked.",
                className="text-muted",
            ),
            dcc.Dropdown(
                id="client",
                options=[
                    {
                        "label": f"client {c['client_id']} ({c['ratings']} ratings)",
                        "value": c["client_id"],
                    }
                    for c in clients
                ],
                placeholder="Client…",
            ),
            html.Div(id="client-results", className="mt-2"),
        ],
        id="client-section",
    )


def client_recommendations(client_id: int | None):
    if client_id is None:
        return None
    rows = db().fetch("SELECT * FROM api.recommend_for_client(%s, 5)", (client_id,))
    if not rows:
        return alert("None of the films this client liked is in the recommender.", "info")
    return dbc.Row(
        [dbc.Col(title_card(r, r["reason"]), md=True) for r in rows],
        className="g-2",
        id="client-cards",
    )


@callback(Output("client-results", "children"), Input("client", "value"))
@safe()
def update_client_recommendations(client_id):
    return client_recommendations(client_id)


def suggestions(search: str | None, selected: list[str] | None) -> list[dict]:
    """Dropdown options: the titles already chosen, then those matching what is typed."""
    return picker_options(
        search,
        selected,
        "SELECT tconst, primary_title, start_year FROM analytics.title_search "
        "WHERE tconst = ANY(%s)",
        "SELECT * FROM api.search_titles(%s, 10)",
        _option,
    )


def _option(r: dict) -> dict:
    label = f"{r['primary_title']} ({r['start_year'] or '?'})"
    return {"label": label, "value": r["tconst"], "search": label}


@callback(Output("liked", "options"), Input("liked", "search_value"), State("liked", "value"))
def update_suggestions(search, selected):
    if not search and not selected:
        raise PreventUpdate
    try:
        return suggestions(search, selected)
    except UserError:
        return dash.no_update


def recommendations(liked: list[str] | None, types, years, min_votes) -> tuple:
    if not liked:
        return alert("Type the title of a film you liked to get recommendations.", "info"), None
    params = {
        "liked": list(liked),
        "types": list(types) if types else None,
        "y0": years[0] if years else None,
        "y1": years[1] if years else None,
        "min_votes": int(min_votes) if min_votes else None,
    }
    if len(liked) == 1:
        query = """SELECT * FROM api.recommend(%(seed)s, 5, title_types => %(types)s,
                   year_from => %(y0)s, year_to => %(y1)s, min_votes => %(min_votes)s)"""
        params["seed"] = liked[0]
    else:
        query = """SELECT * FROM api.recommend_for(%(liked)s, 5, title_types => %(types)s,
                   year_from => %(y0)s, year_to => %(y1)s, min_votes => %(min_votes)s)"""
    seeds = db().fetch(
        """SELECT s.tconst, s.primary_title, s.start_year, s.num_votes,
                                 s.average_rating, f.genres
                          FROM analytics.title_search s
                          LEFT JOIN analytics.title_facts f USING (title_id)
                          WHERE s.tconst = ANY(%s)""",
        (list(liked),),
    )
    if not seeds:
        raise UserError("Unknown film: pick one from the suggestions.")
    rows = db().fetch(query, params)
    seed_cards = dbc.Row([dbc.Col(title_card(s), md=3) for s in seeds], className="g-2")
    if not rows:
        return seed_cards, alert(
            "No recommendation for this choice: the film may have too few "
            "votes, or the filters exclude every candidate.",
            "info",
        )
    cards = dbc.Row(
        [dbc.Col(title_card(r, r["reason"]), md=True) for r in rows],
        className="g-2",
        id="rec-cards",
    )
    return seed_cards, cards


@callback(
    Output("rec-seed", "children"),
    Output("rec-results", "children"),
    Input("liked", "value"),
    Input("rec-types", "value"),
    Input("rec-years", "value"),
    Input("rec-min-votes", "value"),
)
@safe(None)
def update_recommendations(liked, types, years, min_votes):
    return recommendations(liked, types, years, min_votes)

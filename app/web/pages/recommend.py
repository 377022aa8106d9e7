"""Recommend: find the films one liked as one types, get 5 recommendations with their reasons."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html
from dash.exceptions import PreventUpdate

from app import service
from app.db import UserError, db
from app.web.components import (
    alert,
    labelled,
    page_address,
    picker_options,
    query_int,
    query_list,
    query_string,
    query_years,
    safe,
    same_address,
    search_picker,
    title_card,
    types_and_years,
)
from app.web.i18n import localised, reason, t

dash.register_page(__name__, path="/recommend", name="Recommend", order=1)

YEARS = [1920, 2030]


def layout(liked=None, types=None, years=None, min_votes=None, **_) -> html.Div:
    """The page as its address says: ?liked=tt0133093,tt0110912&types=movie&years=1990-2030
    &min_votes=1000 (all optional)."""
    try:
        chosen = query_list(liked)
        kinds = query_list(types) or ["movie"]
        span = query_years(years, YEARS)
        floor = query_int("min_votes", min_votes, 1000)
        options = suggestions(None, chosen) if chosen else []
    except UserError as exc:
        return html.Div([page_address("rec"), html.H2(t("Films for you")), alert(str(exc))])
    unknown = [c for c in chosen if c not in {o["value"] for o in options}]
    return html.Div(
        [
            page_address("rec"),
            html.H2(t("Films for you")),
            alert(t("The address names unknown films: {ids}.", ids=", ".join(unknown)))
            if unknown
            else None,
            html.P(t("Type a film you liked (several if you wish); get five films to watch next.")),
            html.Label(t("Films you liked"), htmlFor="liked", className="visually-hidden"),
            search_picker(
                "liked", t("Type a title, e.g. The Matrix…"), options, [o["value"] for o in options]
            ),
            dbc.Row(
                [
                    *types_and_years("rec", span, YEARS[0], kinds),
                    labelled(
                        t("Minimum votes"),
                        dbc.Input(
                            id="rec-min-votes", type="number", value=floor, min=0, debounce=True
                        ),
                        3,
                    ),
                ],
                className="my-3",
            ),
            html.Div(id="rec-seed"),
            html.H4(t("You may like"), className="mt-3"),
            html.Div(id="rec-results"),
            client_section(),
        ]
    )


def client_section() -> html.Div:
    """Films for a client of the service's rating log — shown only when a log is loaded. The
    picker searches clients by id as one types (api.search_clients reads a few keys of the log,
    however many clients it holds)."""
    try:
        loaded = db().fetch("SELECT rating_log FROM api.status()")[0]["rating_log"]
    except UserError:
        loaded = False
    if not loaded:
        return html.Div(id="client-section")
    return html.Div(
        [
            html.H4(t("For a client of the service"), className="mt-4"),
            html.P(
                t(
                    "The rating log is loaded: type a client's id to get five films they have "
                    "not rated, from what they liked."
                ),
                className="text-muted",
            ),
            html.Label(t("Client id"), htmlFor="client", className="visually-hidden"),
            search_picker("client", t("Client id…"), multi=False),
            html.Div(id="client-results", className="mt-2"),
        ],
        id="client-section",
    )


def client_suggestions(search: str | None, selected: int | None) -> list[dict]:
    """The chosen client, then the clients whose id begins with the digits typed."""
    return picker_options(
        (search or "").strip() if (search or "").strip().isdigit() else None,
        [selected] if selected is not None else [],
        "SELECT c.* FROM unnest(%s::integer[]) x, api.search_clients(x::text, 1) c",
        "SELECT * FROM api.search_clients(%s, 10)",
        _client_option,
        min_length=1,
    )


def _client_option(r: dict) -> dict:
    label = t("client {id} ({n} ratings)", id=r["client_id"], n=r["ratings"])
    return {"label": label, "value": r["client_id"]}


@callback(Output("client", "options"), Input("client", "search_value"), State("client", "value"))
def update_client_suggestions(search, selected):
    if not search and selected is None:
        raise PreventUpdate
    try:
        return client_suggestions(search, selected)
    except UserError:
        return dash.no_update


def client_recommendations(client_id: int | None):
    if client_id is None:
        return None
    rows = service.recommend_for_client(db(), client_id, 5)
    if not rows:
        return alert(t("None of the films this client liked is in the recommender."), "info")
    return dbc.Row(
        [dbc.Col(title_card(r, reason(r["reason"])), md=True) for r in localised(rows)],
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
        prepare=localised,
    )


def _option(r: dict) -> dict:
    return {"label": f"{r['primary_title']} ({r['start_year'] or '?'})", "value": r["tconst"]}


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
        return alert(t("Type the title of a film you liked to get recommendations."), "info"), None
    seeds = db().fetch(
        """SELECT s.tconst, s.primary_title, s.start_year, s.num_votes,
                                 s.average_rating, f.genres
                          FROM analytics.title_search s
                          LEFT JOIN analytics.title_facts f USING (title_id)
                          WHERE s.tconst = ANY(%s)""",
        (list(liked),),
    )
    if not seeds:
        raise UserError(t("Unknown film: pick one from the suggestions."))
    found = service.recommend(
        db(),
        list(liked),
        5,
        title_types=list(types) if types else None,
        year_from=years[0] if years else None,
        year_to=years[1] if years else None,
        min_votes=int(min_votes) if min_votes else None,
    )
    rows = localised(found)
    seed_cards = dbc.Row([dbc.Col(title_card(s), md=3) for s in localised(seeds)], className="g-2")
    if not rows:
        return seed_cards, alert(
            t(
                "No recommendation for this choice: the film may have too few "
                "votes, or the filters exclude every candidate."
            ),
            "info",
        )
    cards = dbc.Row(
        [dbc.Col(title_card(r, reason(r["reason"])), md=True) for r in rows],
        className="g-2",
        id="rec-cards",
    )
    return seed_cards, cards


@callback(
    Output("rec-url", "search"),
    Input("liked", "value"),
    Input("rec-types", "value"),
    Input("rec-years", "value"),
    Input("rec-min-votes", "value"),
    State("rec-url", "search"),
    prevent_initial_call=True,
)
def keep_address(liked, types, years, min_votes, current):
    """What is chosen goes into the address (reload, Back and shared links keep it)."""
    years = list(years or YEARS)
    return same_address(
        query_string(
            {
                "liked": list(liked or []),
                "types": list(types or []),
                "years": f"{years[0]}-{years[1]}" if years != YEARS else None,
                "min_votes": min_votes if min_votes != 1000 else None,
            }
        ),
        current,
    )


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

"""The navbar's search: type a film or a person (typos, accents dropped, surnames; or an IMDb id)
and open its page."""

from __future__ import annotations

import re

import dash
from dash import Input, Output, callback, dcc, html
from dash.exceptions import PreventUpdate

from app.db import UserError, db
from app.web.components import search_picker
from app.web.i18n import localised, t

IMDB_ID = re.compile(r"^\s*(tt|nm)\d{7,9}\s*$")


def box() -> html.Div:
    return html.Div(
        search_picker(
            "nav-search",
            t("Film or person…"),
            multi=False,
            clearable=True,
            style={"minWidth": "18rem"},
        ),
        role="search",
    )


def address() -> dcc.Location:
    return dcc.Location(id="nav-go", refresh="callback-nav")


def suggestions(search: str | None) -> list[dict]:
    """Films then people the server ranked for the text, as links' addresses; an IMDb id
    typed as such opens its page."""
    if not search or len(search.strip()) < 2:
        return []
    text = search.strip()
    if IMDB_ID.match(text):
        kind = "title" if text.startswith("tt") else "name"
        return [{"label": t("Open {id}", id=text), "value": f"/{kind}/{text}", "search": search}]
    films = localised(db().fetch("SELECT * FROM api.search_titles(%s, 5)", (text,)))
    people = db().fetch("SELECT * FROM api.search_people(%s, 4)", (text,))
    return [
        *(
            {
                "label": f"🎬 {r['primary_title']} ({r['start_year'] or '?'})",
                "value": f"/title/{r['tconst']}",
                "search": search,
            }
            for r in films
        ),
        *(
            {"label": f"👤 {r['primary_name']}", "value": f"/name/{r['nconst']}", "search": search}
            for r in people
        ),
    ]


@callback(Output("nav-search", "options"), Input("nav-search", "search_value"))
def update_nav_suggestions(search):
    if not search:
        raise PreventUpdate
    try:
        return suggestions(search)
    except UserError:
        return dash.no_update


@callback(
    Output("nav-go", "pathname"),
    Output("nav-search", "value"),
    Input("nav-search", "value"),
    prevent_initial_call=True,
)
def open_page(path):
    if not path:
        raise PreventUpdate
    return path, None

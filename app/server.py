"""The one server: the Dash web app at / and the JSON API at /api (app/http_api.py), on the same
Flask instance, pool and port."""

from __future__ import annotations

from dash import Dash

from app import http_api
from app.web import create_app


def create_server(url: str | None = None) -> Dash:
    """The Dash app (connected to ``url``, default the app role's URL) with the JSON API added to
    its Flask server."""
    app = create_app(url)
    http_api.register(app.server)
    return app

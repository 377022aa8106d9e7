"""The one server: the Dash web app at / and the JSON API at /api (app/http_api.py), on the same
Flask instance, pool and port."""

from __future__ import annotations

from dash import Dash

from app import http_api
from app.web import create_app


def create_server(url: str | None = None) -> Dash:
    """The Dash app (connected to ``url``, default the app role's URL) with the JSON API on its
    Flask server, warmed up: its first request is served here (Flask's first-request set-up,
    the pool's first connection), not to the first visitor (30 ms at full size, measured)."""
    app = create_app(url)  # the JSON API is registered with the app's server (app/web)
    app.server.test_client().get(f"{http_api.PREFIX}/health")
    return app

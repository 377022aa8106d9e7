"""The Dash web app: Explore, Recommend, Predict, What drives popularity, and a page for every
film (/title/<tconst>) and person (/name/<nconst>); one module per page in app/web/pages, each
owning its layout and callbacks. The navbar's search opens a film's or a person's page. The JSON
API (app/http_api.py) is registered on the same Flask server when the app is built."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, html

from app import http_api
from app.db import Database, app_database_url, set_database
from app.web import i18n, navsearch

PAGES = Path(__file__).parent / "pages"


_app: Dash | None = None

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",  # no framing (clickjacking)
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _security_headers(response):
    response.headers.update(SECURITY_HEADERS)
    return response


class LocalisedDash(Dash):
    """Dash, with the page's language in its <html lang> (app/web/i18n.py)."""

    def interpolate_index(self, **kwargs) -> str:
        html_page = super().interpolate_index(**kwargs)
        return html_page.replace("<html>", f'<html lang="{i18n.language()}">', 1)


def language_switch() -> html.Div:
    """Links to the other language (a full reload: every text of the page changes)."""
    here = i18n.language()
    links = [
        html.A(
            label,
            href=f"/lang/{code}",
            lang=code,
            className="nav-link px-1" + (" active fw-bold" if code == here else ""),
            **({"aria-current": "true"} if code == here else {}),
            id=f"lang-{code}",
        )
        for code, label in (("fr", "FR"), ("en", "EN"))
    ]
    return html.Div(links, className="d-flex", role="group", **{"aria-label": i18n.t("Language")})


def frame() -> html.Div:
    """The page around every page: navbar (in the visitor's language), then the page."""
    nav = dbc.NavbarSimple(
        [
            *(
                dbc.NavItem(dbc.NavLink(i18n.t(page["name"]), href=page["relative_path"]))
                for page in dash.page_registry.values()
                if not page.get("path_template")  # film and person pages: reached by links
            ),
            dbc.NavItem(navsearch.box(), className="ms-lg-3"),
            dbc.NavItem(language_switch(), className="ms-lg-3"),
        ],
        brand="Netfloox",
        brand_href="/",
        color="primary",  # Flatly's navy: white text at 11:1 (its "dark" is a light grey)
        dark=True,
        className="mb-3",
    )
    return html.Div(
        [navsearch.address(), nav, html.Main(dbc.Container(dash.page_container, fluid=True))]
    )


def create_app(url: str | None = None) -> Dash:
    """The app, connected to ``url`` (default: the app role's URL) through a pool.

    Dash pages register their callbacks in process-wide state that the first app takes, so there
    is one app per process: a second call returns it, connected to the new URL.
    """
    global _app
    database = Database(url or app_database_url())
    database.open()
    set_database(database)
    if _app is not None:
        return _app
    # The Bootstrap theme is served from app/web/assets (no CDN: the app works offline).
    app = LocalisedDash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES),
        title="Netfloox",
        suppress_callback_exceptions=True,
    )
    app.layout = frame
    i18n.add_switch_route(app.server)
    http_api.register(app.server)  # the JSON API on the same server, before its first request
    app.server.after_request(_security_headers)
    _app = app
    return app

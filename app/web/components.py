"""Small pieces shared by the pages: alerts, title cards, number formatting."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import dash_bootstrap_components as dbc
from dash import dcc, html

from app.db import UserError, db
from app.web.i18n import genre_name, t

log = logging.getLogger(__name__)


def alert(message: str, color: str = "warning") -> dbc.Alert:
    return dbc.Alert(message, color=color, className="my-2", id="page-message")


def safe(*fallbacks) -> Callable:
    """Decorate a callback: a UserError becomes an alert in the first output (the others get
    their fallbacks); any other error is logged and shown as a short apology, never a traceback."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except UserError as exc:
                first = alert(str(exc))
            except Exception:  # the page must never show a traceback
                log.exception("callback %s failed", fn.__name__)
                first = alert(
                    t("Something went wrong on our side; the error has been logged."), "danger"
                )
            return (first, *fallbacks) if fallbacks else first

        return run

    return wrap


def votes(n: int | None) -> str:
    if n is None:
        return t("no votes")
    if n >= 1e6:
        return t("{n} M votes", n=f"{n / 1e6:.1f}")
    if n >= 1e3:
        return t("{n} k votes", n=f"{n / 1e3:.0f}")
    return t("{n} votes", n=n)


def title_card(row: dict, footer: str | None = None) -> dbc.Card:
    rating = row.get("average_rating")
    body = [
        html.H5(title_link(row["tconst"], row["primary_title"]), className="card-title mb-1"),
        html.Div(
            f"{row.get('start_year') or '—'} · "
            f"{', '.join(map(genre_name, row.get('genres') or [])) or '—'}",
            className="text-muted small",
        ),
        html.Div(
            [
                html.Span(
                    f"★ {rating}" if rating is not None else t("not rated"),
                    className="fw-bold me-2",
                ),
                html.Span(votes(row.get("num_votes")), className="small text-muted"),
            ],
            className="my-1",
        ),
    ]
    if footer:
        body.append(html.Div(footer, className="small fst-italic reason"))
    return dbc.Card(
        dbc.CardBody(body),
        className="h-100 title-card",
        id={"type": "title-card", "tconst": row["tconst"]},
    )


def table(rows: list[dict], columns: list[str]) -> dbc.Table:
    """A plain striped table of ``rows`` (dicts) showing ``columns``."""
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody([html.Tr([html.Td(row[c]) for c in columns]) for row in rows])
    return dbc.Table([head, body], striped=True, size="sm", hover=True)


def names(query: str) -> list[str]:
    """The ``name`` column of a small list (api.genres, api.title_types) for a form's choices;
    empty when the database is down (the page then says so elsewhere)."""
    try:
        return [r["name"] for r in db().fetch(query)]
    except UserError:
        return []


def labelled(label: str, control, md: int) -> dbc.Col:
    """A labelled form control; the label names the control for screen readers when it has
    a plain id (an input, a select)."""
    target = getattr(control, "id", None)
    return dbc.Col(
        [html.Label(label, htmlFor=target if isinstance(target, str) else None), control], md=md
    )


def types_and_years(
    prefix: str, years: list[int], first_year: int, chosen: list[str] | None = None
) -> list[dbc.Col]:
    """The title-type and year-range filters shared by the pages (ids ``{prefix}-types`` and
    ``{prefix}-years``)."""
    types = names("SELECT name FROM api.title_types") or ["movie"]
    return [
        labelled(
            t("Title types"),
            dcc.Dropdown(types, chosen or ["movie"], multi=True, id=f"{prefix}-types"),
            4,
        ),
        labelled(
            t("Years"),
            dcc.RangeSlider(
                first_year,
                2030,
                10,
                value=years,
                id=f"{prefix}-years",
                allow_direct_input=False,  # its two number boxes have no label of their own
                marks={y: str(y) for y in range(first_year, 2031, 20)},
            ),
            5,
        ),
    ]


def picker_options(
    search: str | None,
    selected: list[str] | None,
    chosen_sql: str,
    search_sql: str,
    option: Callable[[dict], dict],
    search_args: tuple = (),
    min_length: int = 2,
    prepare: Callable[[list[dict]], list[dict]] = list,
) -> list[dict]:
    """Options of a search-as-you-type dropdown: the chosen values (``chosen_sql`` takes their
    ids) then what the server ranked for the text typed, from ``min_length`` characters, in its
    order (``search_sql`` takes the text, then ``search_args``). Dash drops chosen values whose
    option disappears, hence the first query. ``prepare`` changes the rows before they become
    options (films in the visitor's language: i18n.localised).

    The dropdown filters its options again in the browser, on each option's ``search`` text
    (js-search, every typed word a prefix of a word of it). Each suggestion's ``search`` is
    therefore the text it answers: the browser keeps the server's answer to what is typed now
    (typos, dropped accents, a surname) and hides the late answer to an earlier keystroke."""
    chosen = list(selected or ())
    options = [option(r) for r in prepare(db().fetch(chosen_sql, (chosen,)))] if chosen else []
    if search and len(search.strip()) >= min_length:
        options += [
            {**o, "search": search}
            for o in map(option, prepare(db().fetch(search_sql, (search, *search_args))))
            if o["value"] not in chosen
        ]
    return options


def search_picker(id_, placeholder: str, options=(), value=None, multi: bool = True, **kw):
    """A search-as-you-type dropdown that shows the server's suggestions in the server's order
    (``search_order='original'``; see picker_options for the browser's own filter)."""
    return dcc.Dropdown(
        id=id_,
        multi=multi,
        options=list(options),
        value=value,
        searchable=True,
        search_order="original",
        placeholder=placeholder,
        **kw,
    )


# --------------------------------------------------------------------------- addresses
# Each page keeps its state in its address's query string (?liked=tt0133093&types=movie): a
# reload, Back/Forward or a shared link shows the same page with the same answers. A page's
# dcc.Location (refresh="callback-nav") receives the new query when its inputs change; Dash's
# page router then renders the page again from it.


def page_address(prefix: str) -> dcc.Location:
    return dcc.Location(id=f"{prefix}-url", refresh="callback-nav")


def query_string(params: dict) -> str:
    """``?a=1&b=x,y`` from {a: 1, b: [x, y]}, leaving out empty values."""
    from urllib.parse import urlencode

    kept = {
        k: ",".join(map(str, v)) if isinstance(v, list | tuple) else v
        for k, v in params.items()
        if v not in (None, "", [], ())
    }
    return "?" + urlencode(kept, safe=",") if kept else ""


def query_list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def query_int(name: str, value: str | None, default: int | None) -> int | None:
    """An integer query parameter; a clear UserError naming it when it is not one."""
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise UserError(
            t("The address's {name}={value!r} is not a whole number.", name=name, value=value)
        ) from None


def query_years(value: str | None, default: list[int]) -> list[int]:
    """``years=1990-2010`` -> [1990, 2010]."""
    if not value:
        return default
    first, _, last = value.partition("-")
    years = [query_int("years", first, None), query_int("years", last or first, None)]
    if years[0] > years[1]:
        raise UserError(t("The address's years={value!r} end before they start.", value=value))
    return years


def same_address(new: str, current: str | None):
    """The new query string, or no_update when the address already says it (no loop)."""
    from dash import no_update

    return no_update if (new or "") == (current or "") else new


def title_link(tconst: str, text: str, **kw) -> dcc.Link:
    return dcc.Link(text, href=f"/title/{tconst}", **kw)


def person_link(nconst: str, text: str, **kw) -> dcc.Link:
    return dcc.Link(text, href=f"/name/{nconst}", **kw)


def rating_and_votes(fig, points: list[dict], col: int) -> None:
    """Expected rating (line, left axis) and expected votes (dotted, right log axis) against the
    points' ``x``, in column ``col`` of a one-row figure made with secondary y axes (the Predict
    page's what-if curves, the drivers page's runtime and decade curves)."""
    import plotly.graph_objects as go

    x = [r["x"] for r in points]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r["predicted_rating"] for r in points],
            name=t("expected rating"),
            line_color="#264653",
            showlegend=col == 1,
        ),
        row=1,
        col=col,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[r["expected_votes"] for r in points],
            name=t("expected votes"),
            line={"color": "#e9c46a", "dash": "dot"},
            showlegend=col == 1,
        ),
        row=1,
        col=col,
        secondary_y=True,
    )
    fig.update_yaxes(title_text=t("votes"), type="log", tickformat=".2s", secondary_y=True)

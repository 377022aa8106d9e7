"""``make bench-app``: server time of the app's heaviest callbacks on the live database.

Each callback is called as Dash calls it, its result serialised to JSON as Dash sends it; the
browser's rendering is not included. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from plotly.utils import PlotlyJSONEncoder

from harness import reports

REPEATS = 20
TARGET_MS = 300  # p95 of every callback (issue 5)


def cases() -> dict[str, Callable[[], object]]:
    from app.db import db
    from app.web import navsearch
    from app.web.pages import drivers, explore, name, predict, recommend, title

    seed = db().fetch("""SELECT tconst FROM analytics.title_search
                         ORDER BY num_votes DESC NULLS LAST LIMIT 1""")[0]["tconst"]
    director = db().fetch("""SELECT nconst FROM analytics.person_stats WHERE role = 'director'
                             ORDER BY rated_titles DESC LIMIT 1""")[0]["nconst"]
    filters = (["movie"], [1950, 2025], None)
    charts = {
        f"Explore: {chart_id} (movies 1950-2025)": (
            lambda build=build: explore.chart_callback(build)(*filters)
        )
        for chart_id, build in explore.CHARTS.items()
    }
    return {
        **charts,
        "Explore: Horror in every type (chart-per-year)": lambda: explore.chart_callback(
            explore.per_year
        )(["movie", "tvSeries", "short", "tvMovie", "video"], [1900, 2030], "Horror"),
        "Explore: filter message": lambda: explore.update_message(*filters),
        "Explore: people tables (directors)": lambda: explore.update_people(
            "director", 5, ["movie"]
        ),
        "Explore: first visit (layout + key figures)": explore.layout,
        "Recommend: suggestions while typing": lambda: recommend.update_suggestions(
            "the matri", None
        ),
        f"Recommend: 5 films for {seed}": lambda: recommend.update_recommendations(
            [seed], ["movie"], [1920, 2030], 1000
        ),
        "Predict: rating, audience, explanations, what-if": lambda: predict.update_prediction(
            1, "movie", 2026, 110, ["Drama", "Crime"], [director], [], [], []
        ),
        "SQL: predict_rating (genres, director)": lambda: db().fetch(
            "SELECT * FROM api.predict_rating(genres => %s, directors => %s,"
            " runtime_minutes => 110)",
            (["Drama", "Crime"], [director]),
        ),
        "SQL: predict_audience (genres, director)": lambda: db().fetch(
            "SELECT * FROM api.predict_audience(genres => %s, directors => %s,"
            " runtime_minutes => 110)",
            (["Drama", "Crime"], [director]),
        ),
        "What drives popularity: genres and curves": lambda: drivers.show_drivers(None),
        "What drives popularity: track records": lambda: drivers.show_track_records("actor"),
        "What drives popularity: film directors named 'an'": lambda: drivers.show_track_records(
            "director", "movie", 3, "an"
        ),
        f"Film page {seed}": lambda: title.layout(tconst=seed),
        f"Person page {director}": lambda: name.layout(nconst=director),
        "Navbar search (titles and people)": lambda: navsearch.suggestions("godfathr"),
        "Predict page from its address": lambda: predict.layout(
            genres="Drama,Crime", directors=director, runtime="110"
        ),
        "Predict: people search": lambda: predict.update_people_options("spiel", None, "directors"),
        "Predict: people search with a director chosen": lambda: predict.update_people_options(
            "spiel", [director], "directors"
        ),
        "Recommend: suggestions with a film chosen": lambda: recommend.update_suggestions(
            "the matri", [seed]
        ),
    }


def measure(fn: Callable[[], object], repeats: int = REPEATS) -> list[float]:
    """Milliseconds per call (after one warm-up call), result serialised like Dash does."""
    json.dumps(fn(), cls=PlotlyJSONEncoder)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        json.dumps(fn(), cls=PlotlyJSONEncoder)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(echo: Callable[[str], None] = print) -> None:
    from app.db import db
    from app.web import create_app

    create_app()
    titles = db().fetch("SELECT titles FROM analytics.key_figures")[0]["titles"]
    rows = ["| Callback | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    worst = 0.0
    for name, fn in cases().items():
        times = sorted(measure(fn))
        p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
        worst = max(worst, p95)
        rows.append(f"| {name} | {p50:.1f} | {p95:.1f} | {times[-1]:.1f} |")
        echo(rows[-1])
    verdict = "met" if worst <= TARGET_MS else "NOT met"
    body = (
        f"Database: {titles:,} titles. {REPEATS} warm calls per callback, in the server "
        f"process, JSON serialisation included, browser rendering not.\n\n"
        + "\n".join(rows)
        + f"\n\nTarget: every callback p95 <= {TARGET_MS} ms: **{verdict}** "
        f"(worst p95 {worst:.0f} ms)."
    )
    reports.write_section("Web app callbacks", "make bench-app", body)
    echo(f"worst p95 {worst:.0f} ms (target {TARGET_MS} ms: {verdict}); docs/benchmarks.md")

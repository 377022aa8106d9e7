"""Figures for the deck, each read from where it is measured: a table of docs/evaluation.md or
docs/benchmarks.md, a line of those documents, or the live database. Never retyped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from database.config import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


@dataclass(frozen=True)
class Figure:
    value: str
    source: str  # where it was read, for the closing note and the test


def sections(path: Path) -> dict[str, str]:
    """The ``## `` sections of a Markdown document, by title."""
    parts = re.split(r"^## (.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def table_rows(body: str) -> list[list[str]]:
    """Every row of every Markdown table in ``body`` (header and separator lines dropped)."""
    rows = []
    for line in body.splitlines():
        if line.startswith("|") and not re.match(r"^\|\s*-", line):
            rows.append([c.strip().strip("*") for c in line.strip().strip("|").split("|")])
    return rows


def cell(path: Path, section: str, row_starts: str, column: int) -> Figure:
    """The cell of the first table row of ``section`` whose first cell starts so."""
    for row in table_rows(sections(path)[section]):
        if row[0].startswith(row_starts):
            return Figure(row[column], f"{path.name} § {section}: row '{row[0]}', column {column}")
    raise KeyError(f"{path.name} § {section}: no row starting with {row_starts!r}")


def matched(path: Path, section: str, pattern: str) -> Figure:
    """The first group of ``pattern`` in ``section`` (for figures written in sentences)."""
    found = re.search(pattern, sections(path)[section], flags=re.DOTALL)
    if not found:
        raise KeyError(f"{path.name} § {section}: {pattern!r} not found")
    return Figure(found.group(1), f"{path.name} § {section}: /{pattern}/")


def database_figures(conn: psycopg.Connection) -> dict[str, Figure]:
    def one(sql: str, label: str) -> Figure:
        value = conn.execute(sql).fetchone()[0]
        return Figure(f"{value:,}" if isinstance(value, int) else str(value), f"database: {label}")

    return {
        "titles": one("SELECT count(*) FROM catalog.title WHERE NOT is_placeholder", "titles"),
        "people": one("SELECT count(*) FROM catalog.person WHERE NOT is_placeholder", "people"),
        "principals": one("SELECT count(*) FROM catalog.principal", "principals"),
        "rated": one("SELECT count(*) FROM catalog.rating", "ratings"),
        "recommendable": one("SELECT count(*) FROM ml.title_embedding", "recommendable titles"),
        "points": one(
            "SELECT count(DISTINCT point_id) FROM ml.title_embedding", "distinct vectors"
        ),
        "clients": one("SELECT count(DISTINCT client_id) FROM clientlog.rating", "log clients"),
        "log_ratings": one("SELECT count(*) FROM clientlog.rating", "log ratings"),
    }


def document_figures() -> dict[str, Figure]:
    ev, bench = DOCS / "evaluation.md", DOCS / "benchmarks.md"
    rec = "Recommender (MovieLens item-item neighbours)"
    pop = "Popularity predictor (held-out R², RMSE, MAE)"
    srch = "Search (what people type)"
    lat = "Recommender latency and exactness"
    imp = next(s for s in sections(bench) if s.startswith("Import"))
    app = "Web app callbacks"
    load = "Load while the data changes"
    return {
        "p5_shipped": cell(ev, rec, "recommend() as shipped", 1),
        "p5_content": cell(ev, rec, "same ranking, content block only", 1),
        "p5_popularity": cell(ev, rec, "popularity", 1),
        "p5_soup": cell(ev, rec, "bag of genres", 1),
        "p5_ceiling": cell(ev, rec, "ceiling", 1),
        "famous_junk": matched(ev, rec, r"most-voted movies, \*\*(\d+)\*\*"),
        "search_typo_top1": _search_cell(ev, srch, "one typo", 2),
        "search_surname_top1": _search_cell(ev, srch, "surname", 2),
        "r2_sql": cell(ev, pop, "predict_rating()", 1),
        "r2_mean": cell(ev, pop, "global mean", 1),
        "r2_baseline": cell(ev, pop, "genre + year + runtime", 1),
        "r2_ridge": cell(ev, pop, "ridge, same inputs", 1),
        "r2_audience": cell(ev, pop, "predict_audience()", 1),
        "rec_p50": cell(bench, lat, "`recommend(tconst, 5)`, random seeds", 1),
        "rec_p99": cell(bench, lat, "`recommend(tconst, 5)`, random seeds", 2),
        "exact_min": cell(bench, lat, "stored nearest-point lists", 2),
        "exact_cases": cell(bench, lat, "stored nearest-point lists", 4),
        "import_ratio": cell(bench, imp, "ratio import / floor", 1),
        "import_rows": Figure(
            imp.removeprefix("Import, ").removesuffix(" generated rows"),
            f"benchmarks.md § {imp}: title",
        ),
        "import_seconds": cell(bench, imp, "full Netfloox import", 1),
        "copy_seconds": cell(bench, imp, "bare COPY", 1),
        "app_worst_p95": matched(bench, app, r"worst p95 (\d+ ms)"),
        "load_clients": matched(bench, load, r"\*\*(\d+) clients\*\*(?!.*\*\*\d+ clients\*\*)"),
        "load_errors": matched(
            bench, load, r"\*\*\d+ clients\*\*(?!.*\*\*\d+ clients\*\*).*?\*\*(\d+) errors\*\*"
        ),
    }


def _search_cell(path: Path, section: str, typed: str, column: int) -> Figure:
    """Search rows share their first cell: pick the first row typed ``typed``."""
    for row in table_rows(sections(path)[section]):
        if row[1] == typed:
            return Figure(row[column], f"{path.name} § {section}: row '{row[0]} / {typed}'")
    raise KeyError(f"{path.name} § {section}: no row typed {typed!r}")


def import_phases() -> dict[str, float]:
    """The import phases (s) of the benchmark, for the chart."""
    bench = DOCS / "benchmarks.md"
    imp = next(s for s in sections(bench) if s.startswith("Import"))
    line = re.search(r"Import phases \(s\): (.+?)\. Target", sections(bench)[imp]).group(1)
    phases = {}
    for part in line.split(", "):
        name, seconds = re.match(r"(.+?) ([\d.]+)", part).groups()
        phases[name] = float(seconds)
    return phases


def recommender_rows() -> list[tuple[str, float]]:
    ev = DOCS / "evaluation.md"
    body = sections(ev)["Recommender (MovieLens item-item neighbours)"]
    rows = table_rows(body.split("Per-user protocol")[0].split("Tuning of the blend")[0])
    return [(r[0], float(r[1])) for r in rows if r[0] != "method (even users, held out)"]


def limits(n: int = 5) -> tuple[list[str], str]:
    """The known limits listed in docs/ (bullets of every "## Limits" section)."""
    found = []
    for doc in sorted(DOCS.glob("*.md")):
        body = sections(doc).get("Limits", "")
        for bullet in re.findall(r"^- (.+?)(?=^- |\Z)", body, flags=re.MULTILINE | re.DOTALL):
            found.append(" ".join(bullet.split()))
    return found[:n], "docs/*.md § Limits"

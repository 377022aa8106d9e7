"""``netfloox slides``: the Marp deck, filled with figures read at build time.

Each ``{name}`` of TEMPLATE is a Figure from ``sources`` (documents or live database); the deck
lists where every figure came from in a final hidden comment, and tests/test_presentation.py
checks each one against its source. Speaker notes (``<!-- … -->``) carry the oral part.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from harness.presentation import charts
from harness.presentation.board import board_counts
from harness.presentation.sources import (
    DOCS,
    Figure,
    database_figures,
    document_figures,
    import_phases,
    limits,
    recommender_rows,
    sections,
    table_rows,
)

OUT = DOCS / "presentation"
EXAMPLE_SEED = "tt1375666"  # Inception, when the catalogue has it

TEMPLATE = """---
marp: true
theme: default
paginate: true
size: 16:9
style: |
  section {{ font-size: 28px; }}
  h1 {{ color: #c0392b; }}
  table {{ font-size: 22px; }}
  img[alt~="center"] {{ display: block; margin: 0 auto; }}
---

# Netfloox
### Film-catalogue intelligence that lives inside PostgreSQL

IMDb catalogue · recommender · popularity predictor · web app

<!-- Good morning. In fifteen minutes: what we built for the streaming service, how it works, and
how well it works — every number on these slides is read from our evaluation and benchmark files
or from the live database when the deck is built. -->

---

# The problem

- A catalogue the product and data teams can query and trust
- "You liked this film: here are five more" — with a reason
- "Our planned film: what rating, what audience, and why?"
- One place to explore it all: a web app

<!-- The service asked for four things. We chose to put all of them inside the database, so that a
DBA, a BI tool and the web app all use the same functions. -->

---

# The data: seven IMDb files

- title.basics, akas, crew, episode, principals, ratings, name.basics
- Full dump ≈ 12 M titles, 98 M principals, 15 M people
- Our sample database: {titles} titles, {people} people, {principals} credits, {rated} ratings
- Traps: `\\N` nulls, quotes inside titles, ids that point nowhere, bad UTF-8

<!-- The files are tab-separated, never quoted, and full of references to people and titles that
are not in the other files. We keep those as flagged placeholders instead of dropping them. -->

---

# The Merise model: MCD → MLD → MPD

![w:1000 center](charts/merise.png)

<!-- Conceptual model first: titles, people, genres, ratings, alternative titles, the crew and the
principals as associations. The logical and physical models (docs/data-model.md) follow from it;
a test checks that the physical model in the document matches the live tables. -->

---

# Why PostgreSQL + pgvector

- One engine for relational data, vectors and the public API
- Layers: **staging → catalog → analytics → ml → api**
- `SELECT * FROM recommend('tt0133093', 5)` from psql, BI tools or the app
- Read-only roles, atomic swaps, materialized views for BI

<!-- PostgreSQL gives us transactions for atomic imports, materialized views for BI, and pgvector
for embeddings. Python trains; the database scores. -->

---

# The import: nothing lost

- Every line: stored, rejected with file:line and reason, or a placeholder
- Killed at any point: the previous catalogue stays
- {import_rows} generated rows: {import_seconds} s vs {copy_seconds} s bare COPY (×{import_ratio})

![w:700 center](charts/import_phases.png)

<!-- "Nothing lost" means the counts add up for every file. The honest part: we are about twelve
times slower than a bare COPY, mostly in the derived views; that is our next performance target. -->

---

# The recommender

- Content vectors: genres, people, era, audience → TF-IDF → SVD (64 d)
- Client log ({log_ratings} ratings, {clients} clients): "clients who liked X also liked Y"
- {recommendable} films, {points} distinct vectors: exact neighbour lists
- Checked against an exact computation: minimum recall {exact_min} ({exact_cases} vectors)
- `recommend(tconst, 5)`: p50 {rec_p50} ms, p99 {rec_p99} ms

<!-- Two blocks in one vector. We dropped the HNSW index: on real catalogue vectors thousands of
near-identical films trap its walks, so famous films got obscure neighbours. Exact lists fixed it
and are faster to read. -->

---

# Example: {example_title}

{example_table}

<!-- Read from the live database when the deck was built. Each line says why: the shared clients,
director, writer or cast. -->

---

# How good is it? (held-out MovieLens users)

![w:900 center](charts/recommender.png)

- With the client log: precision@5 **{p5_shipped}**; content only {p5_content}
- Baselines: popularity {p5_popularity}, bag of people {p5_soup}; ceiling {p5_ceiling}
- Famous films with a junk top-5: **{famous_junk}** of 300

<!-- Truth is what held-out users co-liked. The log we trained on is the odd users only; the even
users are never loaded. The ceiling is what the odd users' own co-likes reach. -->

---

# Search finds what people type

- One typo in a famous title: top-1 **{search_typo_top1}**
- A surname: the famous person first, top-1 **{search_surname_top1}**
- Match quality + popularity: `godfather` → The Godfather (1972)

<!-- Cases are built from the catalogue: the most-voted films typed exactly, with a typo, without
the article; the best-known people by surname. -->

---

# The popularity predictor

- Features in SQL: genres, runtime, year, type, people's track records
- Track records out-of-fold: no training film sees its own rating (no leakage)
- Gradient-boosted trees stored as rows, walked in SQL; explanations add up
- Held-out R² rating: trees **{r2_sql}** · ridge {r2_ridge} · genres+year+runtime {r2_baseline}
- Audience (log10 votes): R² **{r2_audience}** · rating of the global mean: {r2_mean}

![w:780 center](charts/popularity.png)

<!-- Two models, rating and audience, scored by SQL functions; the ridge stays registered for
comparison and rollback. -->

---

# Why this estimate?

![w:950 center](charts/explanation.png)

<!-- A producer's dream: the contributions add up exactly to the prediction, grouped by what the
producer entered. -->

---

# The web app

![w:1150 center](charts/app.png)

- Explore · Recommend · Predict — worst callback p95 {app_worst_p95}

<!-- Dash, reading only the api and analytics schemas through a read-only role. -->

---

# Reliability and tests

- {tests} tests on a real PostgreSQL with pgvector — no mocks
- {load_clients} clients during a re-import and a retrain: **{load_errors} errors**
- Killed imports and retrains leave the previous state serving
- Index = exact scan, checked for every seed with duplicate groups
- One command each: `make run`, `make test`

<!-- Every database test runs against a real server: embedded, a container, or yours. -->

---

# Limits and next steps

{limits}

<!-- What we measured and did not reach yet. These are the "next" cards on the board. -->

---

# Project board

- {board_done} user stories done, {board_next} cards next
- `docs/board.csv` imports into Trello or GitHub Projects

# Questions?

<!-- Thank you. The repository, the docs and this deck are generated from the same sources. -->
"""


def _example(conn: psycopg.Connection) -> tuple[str, str, str]:
    """(title, Markdown table, source) of a live recommendation."""
    seed = conn.execute(
        """SELECT t.tconst, t.primary_title FROM catalog.title t
           JOIN ml.title_embedding e USING (title_id)
           ORDER BY t.tconst = %s DESC, e.num_votes DESC LIMIT 1""",
        (EXAMPLE_SEED,),
    ).fetchone()
    rows = conn.execute(
        "SELECT primary_title, start_year, reason FROM api.recommend(%s, 5)", (seed[0],)
    ).fetchall()
    lines = ["| film | year | why |", "| --- | ---: | --- |"]
    for title, year, reason in rows:
        lines.append(f"| {title} | {year} | {reason[:70]} |")
    return seed[1], "\n".join(lines), f"database: recommend('{seed[0]}', 5)"


def _explanation(conn: psycopg.Connection, path: Path) -> str | None:
    """A producer's dream film, explained; None without a rating model."""
    director = conn.execute(
        """SELECT nconst FROM analytics.person_search WHERE directed > 0
           ORDER BY votes DESC LIMIT 1"""
    ).fetchone()
    args = {"directors": [director[0]] if director else []}
    try:
        terms = conn.execute(
            """SELECT feature_group, contribution FROM api.explain_rating(
                   title_type => 'movie', start_year => 2026, runtime_minutes => 148,
                   genres => '{Action,Sci-Fi}', directors => %(directors)s)""",
            args,
        ).fetchall()
    except psycopg.Error:
        return None
    baseline = terms[0][1]  # the average film of its type
    shown = [(g, v) for g, v in terms[1:] if abs(v) > 0.005]
    charts.contributions(path, shown, baseline)
    return "database: explain_rating(Action/Sci-Fi, 148 min, 2026, the best-known director)"


def _short(text: str, words: int = 16) -> str:
    """The first clause of a limit, at most ``words`` words."""
    clause = re.split(r"[.;:](?:\s|$)", re.sub(r"\s*\(.*?\)", "", text))[0]
    parts = clause.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


class Inconsistent(RuntimeError):
    """The live database cannot tell the story the measured docs tell."""


def check_consistent(figures: dict) -> None:
    """Refuse a deck whose live figures contradict the measured ones: the evaluation reports the
    recommender with the client log, so the deck's database must hold a log."""
    if figures["clients"].value in ("0", "0.0") or figures["log_ratings"].value in ("0", "0.0"):
        raise Inconsistent(
            "the database has no client rating log, while docs/evaluation.md measures the "
            "recommender with one: load it first (netfloox import ratings --source "
            "../shared/movielens-odd, then netfloox train), so that the deck tells one story"
        )


def build(conn: psycopg.Connection, out: Path = OUT, draw: bool = True) -> tuple[str, dict]:
    """Write the deck (and its charts when ``draw``); return its Markdown and its figures."""
    figures: dict[str, Figure] = {**document_figures(), **database_figures(conn)}
    check_consistent(figures)
    title, table, source = _example(conn)
    figures["example_title"] = Figure(title, source)
    figures["example_table"] = Figure(table, source)
    tests = sum(p.read_text().count("\ndef test_") for p in (DOCS.parent / "tests").glob("*.py"))
    figures["tests"] = Figure(str(tests), "tests/*.py: functions named test_*")
    done, upcoming = board_counts()
    figures["board_done"] = Figure(str(done), "docs/board.csv: cards in Done")
    figures["board_next"] = Figure(str(upcoming), "docs/board.csv: cards in Next")
    bullets, limits_source = limits()
    figures["limits"] = Figure("\n".join(f"- {_short(b)}" for b in bullets), limits_source)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    if draw:
        charts.bars(out / "charts" / "recommender.png", recommender_rows(), "precision@5")
        pop = table_rows(
            sections(DOCS / "evaluation.md")["Popularity predictor (held-out R², RMSE, MAE)"].split(
                "**Audience**"
            )[0]
        )
        charts.bars(
            out / "charts" / "popularity.png",
            [(r[0], float(r[1])) for r in pop[1:] if r[1].replace(".", "").lstrip("-").isdigit()],
            "held-out R² (movies)",
        )
        charts.bars(
            out / "charts" / "import_phases.png",
            sorted(import_phases().items(), key=lambda kv: -kv[1])[:6],
            "seconds",
            fmt="{:.1f}",
        )
        charts.merise(out / "charts" / "merise.png")
        charts.screenshots_strip(
            [DOCS / "screenshots" / f"{page}.png" for page in ("explore", "recommend", "predict")],
            out / "charts" / "app.png",
        )
        _explanation(conn, out / "charts" / "explanation.png")
    deck = TEMPLATE.format_map({k: f.value for k, f in figures.items()})
    deck += (
        "\n<!-- Figure sources:\n"
        + "\n".join(f"{k}: {f.source}" for k, f in sorted(figures.items()))
        + "\n-->\n"
    )
    (out / "netfloox.md").write_text(deck, encoding="utf-8")
    return deck, figures

"""The deck's figures equal their sources; the board and the user stories agree."""

from __future__ import annotations

import csv
import re

import pytest

from harness.presentation import board, deck
from harness.presentation.sources import DOCS, sections
from ml.embeddings import EmbeddingParams, train
from ml.popularity import train as train_popularity
from tests.test_recommend import build_catalogue


def add_client_log(db) -> None:
    """Two clients who liked a few films: the deck's database holds a log, as the docs' does."""
    db.execute(
        """INSERT INTO clientlog.rating (client_id, title_id, rating)
           SELECT c, t, 4.5 FROM generate_series(1, 2) c, generate_series(1, 6) t"""
    )


def trained_catalogue_with_log(db) -> None:
    """The test catalogue, a small client log, both models trained."""
    build_catalogue(db)
    add_client_log(db)
    train_popularity(db)
    train(db, EmbeddingParams())


@pytest.fixture
def built(db, tmp_path):
    trained_catalogue_with_log(db)
    return deck.build(db, out=tmp_path, draw=False)


def test_a_deck_without_the_client_log_the_docs_measure_is_refused(db, tmp_path):
    build_catalogue(db)
    train_popularity(db)
    with pytest.raises(deck.Inconsistent, match="no client rating log"):
        deck.build(db, out=tmp_path, draw=False)
    assert not (tmp_path / "netfloox.md").exists()


def row_cell(doc: str, section: str, label: str, column: int) -> str:
    """The source, read again independently: a table row of a docs section, by its label."""
    for line in sections(DOCS / doc)[section].splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(label):
            return cells[column]
    raise AssertionError(f"{doc} § {section}: no row {label!r}")


def test_every_placeholder_is_filled_and_every_figure_is_in_the_deck(built):
    text, figures = built
    assert not re.search(r"\{[a-z_0-9]+\}", text)
    for name, figure in figures.items():
        assert figure.value in text, name
        assert figure.source, name


def test_document_figures_equal_their_sources(built):
    _, figures = built
    rec = "Recommender (MovieLens item-item neighbours)"
    assert figures["p5_shipped"].value == row_cell(
        "evaluation.md", rec, "recommend() as shipped", 1
    )
    assert figures["p5_content"].value == row_cell("evaluation.md", rec, "same ranking", 1)
    pop = "Popularity predictor (held-out R², RMSE, MAE)"
    assert figures["r2_sql"].value == row_cell("evaluation.md", pop, "predict_rating()", 1)
    lat = "Recommender latency and exactness"
    assert figures["rec_p99"].value == row_cell("benchmarks.md", lat, "`recommend(tconst, 5)`", 2)
    imp = next(s for s in sections(DOCS / "benchmarks.md") if s.startswith("Import"))
    assert figures["import_ratio"].value == row_cell("benchmarks.md", imp, "ratio import", 1)
    load = sections(DOCS / "benchmarks.md")["Load while the data changes"]
    last = [line for line in load.splitlines() if line.startswith("**")][-1]
    assert last.startswith(f"**{figures['load_clients'].value} clients**")
    assert f"**{figures['load_errors'].value} errors**" in last


def test_database_figures_equal_the_live_database(built, db):
    _, figures = built
    (titles,) = db.execute("SELECT count(*) FROM catalog.title WHERE NOT is_placeholder").fetchone()
    assert figures["titles"].value == f"{titles:,}"
    example = db.execute(
        "SELECT primary_title FROM recommend((SELECT t.tconst FROM catalog.title t JOIN"
        " ml.title_embedding e USING (title_id) ORDER BY e.num_votes DESC LIMIT 1), 5)"
    ).fetchall()
    assert all(r[0] in figures["example_table"].value for r in example)


def test_slides_are_short_and_have_speaker_notes(built):
    text, _ = built
    slides = text.split("\n---\n")[1:]
    assert 15 <= len(slides) <= 20
    for slide in slides:
        bullets = [ln for ln in slide.splitlines() if ln.startswith("- ")]
        assert len(bullets) <= 6, slide[:60]
        assert "<!--" in slide, slide[:60]


def test_the_board_has_a_card_per_user_story_with_its_tests(tmp_path, monkeypatch):
    stories = (DOCS / "user-stories.md").read_text(encoding="utf-8")
    ids = re.findall(r"^\*\*([A-Z]\d+)\.\*\*", stories, flags=re.M)
    cards = {c.title.split(" — ")[0]: c for c in board.story_cards()}
    assert sorted(cards) == sorted(ids)
    for sid, card in cards.items():
        body = stories.split(f"**{sid}.**")[1].split("\n**")[0]
        assert set(card.tests) == set(re.findall(r"`(test_\w+\.py::test_\w+)`", body))
        assert card.status == "Done" and card.tests
    next_cards = board.limit_cards()
    assert next_cards and all(c.status == "Next" for c in next_cards)


def test_the_committed_board_matches_the_generated_one():
    with open(DOCS / "board.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["title"] for r in rows] == [c.title for c in board.cards()]
    assert {r["list"] for r in rows} == {"Done", "Next"}


MARP = DOCS.parent / "harness" / "js" / "node_modules" / ".bin" / "marp"


def marp_slides(source, tmp_path) -> int:
    """Render a deck's Markdown with Marp (as make slides does); the number of slides."""
    import subprocess

    html = tmp_path / f"{source.stem}.html"
    done = subprocess.run(
        [str(MARP), "--allow-local-files", str(source), "-o", str(html)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return len(re.findall(r"<section\b", html.read_text(encoding="utf-8")))


def slide_count(markdown: str) -> int:
    """Slides of a Marp deck: its `---` lines, less the front matter's two, plus one."""
    return len(re.findall(r"^---$", markdown, re.M)) - 1


@pytest.mark.skipif(not MARP.exists(), reason="Marp not installed (make browser: npm)")
def test_the_deck_renders_with_marp_the_committed_one_and_a_fresh_one(built, tmp_path):
    text, _ = built
    assert marp_slides(tmp_path / "netfloox.md", tmp_path) == slide_count(text) > 10
    committed = DOCS / "presentation" / "netfloox.md"
    assert marp_slides(committed, tmp_path) == slide_count(committed.read_text(encoding="utf-8"))


def test_the_deck_draws_its_charts_and_renders(db, tmp_path):
    """What `make slides` runs, charts included (the other tests skip them), on a catalogue
    with a client log, as the README's steps build one from the sample and its log."""
    trained_catalogue_with_log(db)
    text, _ = deck.build(db, out=tmp_path, draw=True)
    charts = sorted(p.name for p in (tmp_path / "charts").glob("*.png"))
    assert {"recommender.png", "popularity.png", "import_phases.png", "explanation.png"} <= set(
        charts
    )
    if MARP.exists():
        assert marp_slides(tmp_path / "netfloox.md", tmp_path) == slide_count(text)

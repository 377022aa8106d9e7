"""``netfloox eval content``: what the content vectors owe to each kind of token — an ablation.

The content block (ml/embeddings.py) is what a service without a rating log recommends from. Each
variant rebuilds it from the same tokens with one family of tokens scaled (x0 drops it) or one
setting changed, then ranks as ``recommend()`` does (the 50 nearest, then cosine + prior):

* scored on the **odd** users' co-like truth (the tuning split: the only one a choice may look at);
* and on the **even** users' (held out), printed beside it so that the report shows how far the
  tuned choice carries — never used to choose.

Families: the SQL tokens of ``ml.title_token`` (genre, director, writer, cast, producer, composer,
region, language) and the structural ones added in Python (decade, type, runtime, rating, votes).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import psycopg
from scipy import sparse

from harness.evaluation.recommend import build_split, load_movielens, ranked, score
from ml.embeddings import EmbeddingParams, load_titles, prior, project, title_tokens

FAMILIES = (
    "genre",
    "director",
    "writer",
    "cast",
    "producer",
    "composer",
    "region",
    "language",
    "decade",
    "type",
    "runtime",
    "rating",
    "votes",
)
STRUCTURAL = ("decade", "type", "runtime", "rating", "votes")


class TokenMatrix:
    """The catalogue's content tokens at the shipped weights, and the family of each column."""

    def __init__(self, conn: psycopg.Connection, p: EmbeddingParams):
        self.titles = load_titles(conn)
        counts = title_tokens(conn, self.titles, p)
        family = {token: token.split(":", 1)[0] for token in counts.vocabulary}
        self.column_family = np.array(
            [family[t] for t in sorted(counts.vocabulary, key=counts.vocabulary.get)]
        )
        self.weights = counts.matrix()

    def scaled(self, scale: dict[str, float]) -> sparse.csr_matrix:
        factor = np.ones(len(self.column_family))
        for name, value in scale.items():
            factor[self.column_family == name] = value
        return (self.weights @ sparse.diags(factor)).tocsr()


def variants() -> dict[str, tuple[dict[str, float], EmbeddingParams]]:
    """Name -> (family scales, parameters). One change at a time from the shipped model."""
    p = EmbeddingParams()
    out: dict[str, tuple[dict[str, float], EmbeddingParams]] = {"as shipped": ({}, p)}
    for family in FAMILIES:
        out[f"without {family}"] = ({family: 0.0}, p)
    out["without any structural token"] = ({f: 0.0 for f in STRUCTURAL}, p)
    for family in ("genre", "director", "writer", "cast", "votes", "rating"):
        out[f"{family} x2"] = ({family: 2.0}, p)
    out["people (director, writer, cast) x2"] = ({"director": 2, "writer": 2, "cast": 2}, p)
    out["structural x0.5"] = ({f: 0.5 for f in STRUCTURAL}, p)
    out["tokens of a single title kept"] = ({}, replace(p, min_titles_per_token=1))
    out["tokens of fewer than 5 titles dropped"] = ({}, replace(p, min_titles_per_token=5))
    for pop in (0.3, 0.7, 1.0):
        out[f"prior: popularity weight {pop}"] = ({}, replace(p, popularity_weight=pop))
    for quality in (0.0, 0.6):
        out[f"prior: quality weight {quality}"] = ({}, replace(p, quality_weight=quality))
    return out


def evaluate(conn: psycopg.Connection, names: list[str] | None = None) -> dict[str, dict]:
    """{variant: {"odd": score, "even": score}} for the content block alone."""
    shipped = EmbeddingParams()
    tokens = TokenMatrix(conn, shipped)
    title_ids = tokens.titles["title_id"].to_numpy()
    catalogue = set(title_ids.tolist())
    ratings = load_movielens()
    splits = {"odd": build_split(ratings, 1, catalogue), "even": build_split(ratings, 0, catalogue)}
    cache: dict[tuple, np.ndarray] = {}
    out = {}
    for name, (scale, p) in variants().items():
        if names and name not in names:
            continue
        key = (tuple(sorted(scale.items())), p.min_titles_per_token)
        if key not in cache:
            cache[key] = project(tokens.scaled(scale), p)
        vectors, weights = cache[key], prior(tokens.titles, p)
        out[name] = {
            part: score(split, ranked(vectors, weights, title_ids, split.seeds), len(catalogue))
            for part, split in splits.items()
        }
    return out


def render_ablation(results: dict[str, dict]) -> str:
    lines = [
        "| content block variant | precision@5, odd users (tuning) | hit@5, odd"
        " | precision@5, even users (held out) | coverage, even |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['odd']['precision@5']:.3f} | {r['odd']['hit@5']:.3f} | "
            f"{r['even']['precision@5']:.3f} | {r['even']['coverage']:.4f} |"
        )
    return "\n".join(lines)


def write_report(conn: psycopg.Connection) -> str:
    """Run the ablation and write its section of docs/evaluation.md."""
    from harness.reports import write_evaluation

    results = evaluate(conn)
    body = f"""Each row rebuilds the content block with one change (a family of tokens scaled,
x0 = dropped, or the prior's weights) and ranks as recommend() does. Choices are made on the odd
users' column only; the even users' column is shown to see how far they carry.

{render_ablation(results)}"""
    write_evaluation("Content vectors: ablation", "netfloox eval content", body)
    return body

"""Film embeddings for the recommender: content tokens -> TF-IDF -> truncated SVD -> unit vectors.

Tokens come from SQL (``ml.title_token``: genres, directors, writers, billed cast, producers,
composers, akas regions/languages) plus structural ones added here (decade, type, runtime band,
rating band, popularity band). People weigh by role and billing; TF-IDF then down-weights the
common tokens, SVD folds co-occurring people and genres into 64 dimensions, and the vectors are
L2-normalised so that pgvector's cosine distance ranks them.

``recommend()`` ranks by ``cosine + prior``: the prior (stored per title) is
``popularity_weight * log10(votes)/log10(max votes) + quality_weight * (bayes - C)/10`` with the
Bayesian-average rating ``bayes = (v R + m C) / (v + m)``. Both weights were tuned on the odd
MovieLens users (docs/recommender.md).

A retrain writes ``ml.title_embedding_next`` (structure cloned from ``ml.title_embedding``), builds
its HNSW index, then swaps the two tables in one short transaction: ``recommend()`` resolves the
table by name at each call, so it never sees an empty or half-written one.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import psycopg
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from ml import NotReady

log = logging.getLogger(__name__)

DIM = 64  # matches vector(64) in migrations/V010


@dataclass
class EmbeddingParams:
    dim: int = DIM
    popularity_weight: float = 0.3
    quality_weight: float = 0.1
    bayes_m: float = 1000.0  # votes of "confidence" in the Bayesian average
    structure_weight: float = 2.0  # decade/type/runtime/rating/votes tokens vs. people/genres
    seed: int = 0


@dataclass
class Embeddings:
    title_ids: np.ndarray  # int, one per row
    vectors: np.ndarray  # float32, unit rows
    titles: pd.DataFrame  # recommendable_title rows, same order
    prior: np.ndarray  # float32


def load_titles(conn: psycopg.Connection) -> pd.DataFrame:
    cur = conn.execute("""SELECT title_id, tconst, title_type, start_year, runtime_minutes,
                                 average_rating::float8, num_votes, series_title_id, genres
                          FROM ml.recommendable_title ORDER BY title_id""")
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def load_tokens(conn: psycopg.Connection) -> pd.DataFrame:
    cur = conn.execute("""SELECT t.title_id, t.token, t.weight FROM ml.title_token t
                          WHERE EXISTS (SELECT 1 FROM ml.recommendable_title r
                                        WHERE r.title_id = t.title_id)""")
    return pd.DataFrame(cur.fetchall(), columns=["title_id", "token", "weight"])


def structural_tokens(titles: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Decade, type, runtime band, rating band and popularity band as weighted tokens."""
    decade = (titles["start_year"].fillna(0) // 10 * 10).astype(int).astype(str)
    runtime = pd.cut(
        titles["runtime_minutes"].fillna(-1),
        [-2, 0, 45, 80, 100, 120, 150, 1e9],
        labels=["na", "lt45", "45-80", "80-100", "100-120", "120-150", "150+"],
    )
    rating = titles["average_rating"].round().astype(int).astype(str)
    votes = np.floor(np.log10(titles["num_votes"].clip(lower=1) * 2)).astype(int).astype(str)
    parts = [
        ("decade:" + decade, 1.0),
        ("type:" + titles["title_type"], 0.5),
        ("runtime:" + runtime.astype(str), 0.3),
        ("rating:" + rating, 0.5),
        ("votes:" + votes, 0.8),
    ]
    frames = [
        pd.DataFrame({"title_id": titles["title_id"], "token": tok, "weight": w * weight})
        for tok, w in parts
    ]
    return pd.concat(frames, ignore_index=True)


def prior(titles: pd.DataFrame, p: EmbeddingParams) -> np.ndarray:
    votes = titles["num_votes"].astype(float).to_numpy()
    rating = titles["average_rating"].astype(float).to_numpy()
    mean = float(np.average(rating, weights=votes)) if votes.sum() else 6.0
    bayes = (votes * rating + p.bayes_m * mean) / (votes + p.bayes_m)
    popularity = np.log10(votes + 1) / max(np.log10(votes.max() + 1), 1.0)
    return (p.popularity_weight * popularity + p.quality_weight * (bayes - mean) / 10).astype(
        np.float32
    )


def embed(titles: pd.DataFrame, tokens: pd.DataFrame, p: EmbeddingParams) -> Embeddings:
    tokens = pd.concat([tokens, structural_tokens(titles, p.structure_weight)], ignore_index=True)
    row_of = pd.Series(np.arange(len(titles)), index=titles["title_id"])
    codes, vocabulary = pd.factorize(tokens["token"])
    counts = sparse.csr_matrix(
        (tokens["weight"].astype(float), (row_of[tokens["title_id"]].to_numpy(), codes)),
        shape=(len(titles), len(vocabulary)),
    )
    tfidf = TfidfTransformer(sublinear_tf=False).fit_transform(counts)
    dim = min(p.dim, min(tfidf.shape) - 1)
    reduced = TruncatedSVD(n_components=dim, random_state=p.seed).fit_transform(tfidf)
    if dim < p.dim:  # tiny catalogues (tests): pad to the column's dimension
        reduced = np.hstack([reduced, np.zeros((len(titles), p.dim - dim))])
    vectors = normalize(reduced).astype(np.float32)
    return Embeddings(titles["title_id"].to_numpy(), vectors, titles, prior(titles, p))


def _vector_text(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6g}" for x in v) + "]"


def write(
    conn: psycopg.Connection, emb: Embeddings, p: EmbeddingParams, metrics: dict | None = None
) -> int:
    """Store the vectors as a new active model version, swapping tables atomically."""
    with conn.transaction():
        conn.execute("DROP TABLE IF EXISTS ml.title_embedding_next")
        conn.execute(
            "CREATE TABLE ml.title_embedding_next (LIKE ml.title_embedding"
            " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        (version,) = conn.execute(
            """INSERT INTO ml.embedding_model (method, dim, n_titles, params, metrics)
               VALUES ('tfidf-svd', %s, %s, %s, %s) RETURNING version""",
            (p.dim, len(emb.title_ids), json.dumps(asdict(p)), json.dumps(metrics or {})),
        ).fetchone()
        buf = io.StringIO()
        t = emb.titles
        for i in range(len(t)):
            genres = "{" + ",".join('"' + g + '"' for g in t["genres"].iat[i]) + "}"
            year = t["start_year"].iat[i]
            series = t["series_title_id"].iat[i]
            buf.write(
                "\t".join(
                    [
                        str(int(emb.title_ids[i])),
                        str(version),
                        t["title_type"].iat[i],
                        "\\N" if pd.isna(year) else str(int(year)),
                        str(int(t["num_votes"].iat[i])),
                        genres,
                        "\\N" if pd.isna(series) else str(int(series)),
                        f"{emb.prior[i]:.6g}",
                        _vector_text(emb.vectors[i]),
                    ]
                )
                + "\n"
            )
        with conn.cursor().copy(
            "COPY ml.title_embedding_next (title_id, version, title_type,"
            " start_year, num_votes, genres, series_title_id, prior,"
            " embedding) FROM STDIN"
        ) as copy:
            copy.write(buf.getvalue())
    indexes = conn.execute("""SELECT indexname, indexdef FROM pg_indexes
                              WHERE schemaname = 'ml' AND tablename = 'title_embedding'""")
    indexes = indexes.fetchall()
    conn.execute("SET maintenance_work_mem = '1GB'")
    # A parallel HNSW build gave a broken graph here (embedded pgvector 0.8.6: the nearest
    # neighbour of a stored vector was not itself, recall ~0); serial builds are exact.
    conn.execute("SET max_parallel_maintenance_workers = 0")
    for name, definition in indexes:  # built after the load: much faster than row by row
        conn.execute(
            definition.replace(
                f"INDEX {name} ON ml.title_embedding ",
                f"INDEX {name}_next ON ml.title_embedding_next ",
            )
        )
        if name.endswith("_pkey"):
            conn.execute(
                f"ALTER TABLE ml.title_embedding_next ADD CONSTRAINT {name}_next"
                f" PRIMARY KEY USING INDEX {name}_next"
            )
    conn.execute("ANALYZE ml.title_embedding_next")
    with conn.transaction():
        conn.execute("LOCK TABLE ml.title_embedding IN ACCESS EXCLUSIVE MODE")
        conn.execute("DROP TABLE ml.title_embedding")
        conn.execute("ALTER TABLE ml.title_embedding_next RENAME TO title_embedding")
        for name, _ in indexes:
            conn.execute(f"ALTER INDEX ml.{name}_next RENAME TO {name}")
        conn.execute("UPDATE ml.embedding_model SET active = (version = %s)", (version,))
    return version


def train(conn: psycopg.Connection, p: EmbeddingParams | None = None) -> tuple[int, int]:
    """Compute and store the embeddings; returns (model version, titles embedded)."""
    p = p or EmbeddingParams()
    titles = load_titles(conn)
    if len(titles) < 3:
        raise NotReady("fewer than 3 recommendable titles: run `netfloox import` first")
    emb = embed(titles, load_tokens(conn), p)
    version = write(conn, emb, p)
    log.info("embedding model %s: %s titles", version, len(titles))
    return version, len(titles)

"""Film embeddings for the recommender: a content block and a collaborative block, unit vectors.

Content: tokens -> TF-IDF -> truncated SVD -> unit vectors (64 dimensions).

Tokens come from SQL (``ml.title_token``: genres, directors, writers, billed cast, producers,
composers, akas regions/languages) plus structural ones added here (decade, type, runtime band,
rating band, popularity band). People weigh by role and billing; TF-IDF then down-weights the
common tokens, SVD folds co-occurring people and genres into 64 dimensions, and the vectors are
L2-normalised so that pgvector's cosine distance ranks them.

Collaborative (``ml.collaborative``, 64 dimensions): when the service's client rating log is
loaded, films its clients liked get vectors of their EASE item-item relation. The stored vector
is ``[c_i * content, w_i * collab]``
with ``w_i = sqrt(collaborative_share)`` for a film with likes (0 without) and
``c_i = sqrt(1 - w_i^2)``, so it stays a unit vector and the cosine of two films is
``c_i c_j cos_content + w_i w_j cos_collab``: two films with a rating history meet mostly through
their clients, every other pair through content alone (scaled, which leaves its order unchanged).

Titles with identical or near-identical vectors share a *point* (``point_id``: the smallest
``title_id`` of the group, stored with the point's vector), and each point's row carries the exact
list of its nearest points (``ml/neighbours.py``; why not an HNSW index: docs/recommender.md).

``recommend()`` ranks by ``cosine + prior``: the prior (stored per title) is
``popularity_weight * log10(votes)/log10(max votes) + quality_weight * (bayes - C)/10`` with the
Bayesian-average rating ``bayes = (v R + m C) / (v + m)``. Both weights were tuned on the odd
MovieLens users (docs/recommender.md).

A retrain writes ``ml.title_embedding_next`` (structure cloned from ``ml.title_embedding``), builds
its indexes, then swaps the two tables in one short transaction: ``recommend()`` resolves the
table by name at each call, so it never sees an empty or half-written one.
"""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
import psycopg
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from ml import NotReady
from ml.changes import forget_seen, last_import
from ml.collaborative import ItemVectors, train_item_vectors
from ml.neighbours import WORKERS, points_and_lists

log = logging.getLogger(__name__)

CONTENT_DIM = 64
COLLAB_DIM = 64
DIM = CONTENT_DIM + COLLAB_DIM  # matches vector(128) in migrations/V104__ml.sql


@dataclass
class EmbeddingParams:
    dim: int = CONTENT_DIM
    collab_dim: int = COLLAB_DIM
    collaborative_share: float = 0.85  # w^2: share of the cosine given to the client log (EASE)
    like_threshold: float = 4.0  # a client "liked" a film rated at least this (MovieLens stars)
    popularity_weight: float = 0.5
    quality_weight: float = 0.3
    bayes_m: float = 1000.0  # votes of "confidence" in the Bayesian average
    structure_weight: float = 2.0  # decade/type/runtime/rating/votes tokens vs. people/genres
    min_titles_per_token: int = 2  # a token fewer titles hold cannot make two titles alike
    seed: int = 0


@dataclass
class Embeddings:
    title_ids: np.ndarray  # int, one per row, sorted
    vectors: np.ndarray  # float32, unit rows (content block, then collaborative block)
    titles: pd.DataFrame  # recommendable_title rows, same order
    prior: np.ndarray  # float32
    collaborative: np.ndarray  # float32, w_i^2 per row (0: content only)
    prior_constants: PriorConstants


@dataclass(frozen=True)
class PriorConstants:
    """The catalogue-wide figures of the prior: fitted with the model (as the content projection
    is), kept by a refresh, so that a title whose votes did not move keeps its prior."""

    mean_rating: float  # vote-weighted mean rating (the Bayesian average's C)
    max_votes: float  # the most votes of a title (popularity's scale)

    @classmethod
    def of(cls, titles: pd.DataFrame) -> PriorConstants:
        votes = titles["num_votes"].astype(float).to_numpy()
        rating = titles["average_rating"].astype(float).to_numpy()
        mean = float(np.average(rating, weights=votes)) if votes.sum() else 6.0
        return cls(mean, float(votes.max()) if len(votes) else 0.0)


def load_titles(conn: psycopg.Connection, ids: np.ndarray | None = None) -> pd.DataFrame:
    """The recommendable titles (``ids``: those of them), in title_id order."""
    where = "" if ids is None else "WHERE title_id = ANY (%(ids)s)"
    cur = conn.execute(
        f"""SELECT title_id, tconst, title_type, start_year, runtime_minutes,
                   average_rating::float8, num_votes, series_title_id, genres
            FROM ml.recommendable_title {where} ORDER BY title_id""",
        {"ids": None if ids is None else ids.tolist()},
    )
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


class TokenCounts:
    """Titles x tokens weights, built in batches: each token's text is held once (the
    vocabulary), every (title, token, weight) as int32/int32/float32 — at full size tens of
    millions of rows, which a DataFrame of Python strings would hold in gigabytes."""

    def __init__(self, title_ids: np.ndarray):
        self.title_ids = title_ids  # sorted
        self.vocabulary: dict[str, int] = {}
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []

    def add(self, title_ids, tokens, weights) -> None:
        n = len(tokens)
        vocab = self.vocabulary
        self.rows.append(
            np.searchsorted(self.title_ids, np.fromiter(title_ids, np.int64, n)).astype(np.int32)
        )
        self.cols.append(
            np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), np.int32, n)
        )
        self.vals.append(np.fromiter(weights, np.float32, n))

    def matrix(self) -> sparse.csr_matrix:
        """The counts as a sparse matrix; the batches are released as they are joined (at full
        size each copy is a gigabyte)."""
        rows, self.rows = np.concatenate(self.rows), []
        cols, self.cols = np.concatenate(self.cols), []
        vals, self.vals = np.concatenate(self.vals).astype(float), []
        return sparse.csr_matrix(
            (vals, (rows, cols)), shape=(len(self.title_ids), len(self.vocabulary))
        )


TOKEN_BATCH = 200_000


def load_tokens(conn: psycopg.Connection, counts: TokenCounts, every: bool = True) -> None:
    """Stream the content tokens of the recommendable titles into ``counts`` (``every``: all of
    them, else only ``counts``' titles, looked up by index: a refresh's few).

    The set of recommendable titles is materialised and analysed first, and nested loops are
    off for this batch read: with a stale or missing estimate the planner once chose a nested
    loop over a semi-join of ml.title_token (measured: > 10 min at 20 M rows); a hash join
    reads each table once whatever the statistics say."""
    if not every:
        with conn.transaction(), conn.cursor(name="title_tokens") as cur:
            cur.execute(
                "SELECT title_id, token, weight FROM ml.title_token WHERE title_id = ANY (%s)",
                (counts.title_ids.tolist(),),
            )
            while batch := cur.fetchmany(TOKEN_BATCH):
                counts.add(*zip(*batch, strict=True))
        return
    with conn.transaction():
        conn.execute("SET LOCAL enable_nestloop = off")
        conn.execute(
            "CREATE TEMP TABLE recommendable_ids ON COMMIT DROP AS"
            " SELECT title_id FROM ml.recommendable_title"
        )
        conn.execute("ANALYZE recommendable_ids")
        with conn.cursor(name="title_tokens") as cur:
            cur.execute(
                """SELECT t.title_id, t.token, t.weight FROM ml.title_token t
                   JOIN recommendable_ids r USING (title_id)"""
            )
            while batch := cur.fetchmany(TOKEN_BATCH):
                counts.add(*zip(*batch, strict=True))


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


def prior(
    titles: pd.DataFrame, p: EmbeddingParams, constants: PriorConstants | None = None
) -> np.ndarray:
    """Each title's prior; ``constants``: the model's (a refresh), else those of ``titles``."""
    votes = titles["num_votes"].astype(float).to_numpy()
    rating = titles["average_rating"].astype(float).to_numpy()
    constants = constants or PriorConstants.of(titles)
    mean = constants.mean_rating
    bayes = (votes * rating + p.bayes_m * mean) / (votes + p.bayes_m)
    popularity = np.log10(votes + 1) / max(np.log10(constants.max_votes + 1), 1.0)
    return (p.popularity_weight * popularity + p.quality_weight * (bayes - mean) / 10).astype(
        np.float32
    )


@dataclass
class ContentFit:
    """The fitted content projection: the tokens it kept and their loadings (TF-IDF weight times
    SVD components), enough to give any title its content vector again (``content_of``)."""

    tokens: list[str]  # in the loadings' row order
    loadings: np.ndarray  # float64 (len(tokens), dim)


def title_tokens(
    conn: psycopg.Connection, titles: pd.DataFrame, p: EmbeddingParams, every: bool = True
) -> TokenCounts:
    """Every content token of ``titles``: the SQL ones (``ml.title_token``) and the structural
    ones, weighted as ``p`` says (``every``: ``titles`` are all the recommendable ones)."""
    counts = TokenCounts(titles["title_id"].to_numpy())
    load_tokens(conn, counts, every)
    structural = structural_tokens(titles, p.structure_weight)
    counts.add(structural["title_id"], structural["token"], structural["weight"])
    return counts


def content_vectors(counts: TokenCounts, p: EmbeddingParams) -> tuple[np.ndarray, ContentFit]:
    """The content block: unit rows of ``p.dim`` dimensions (``counts``: from
    ``title_tokens``), and the fit that made it."""
    names = np.array(sorted(counts.vocabulary, key=counts.vocabulary.get), dtype=object)
    weights = counts.matrix()
    columns, loadings = fit_content(weights, p)
    fit = ContentFit(names[columns].tolist(), loadings)
    return content_of(weights[:, columns], loadings), fit


def fit_content(weights: sparse.spmatrix, p: EmbeddingParams) -> tuple[np.ndarray, np.ndarray]:
    """Titles x tokens weights -> TF-IDF -> truncated SVD of ``p.dim`` dimensions: the columns
    (tokens) kept and their loadings, ``idf * components``, so that a title's vector is the unit
    vector of its weights times the loadings (the TF-IDF row norm only scales it).

    Tokens held by fewer than ``p.min_titles_per_token`` titles are dropped first: a person in a
    single recommendable title links it to nothing, and only took a share of its vector's norm
    (most people in IMDb have one credit)."""
    weights = weights.tocsc()
    weights.sum_duplicates()
    columns = np.flatnonzero(weights.getnnz(axis=0) >= p.min_titles_per_token)
    kept = weights[:, columns]
    tfidf = TfidfTransformer(sublinear_tf=False).fit(kept)
    dim = min(p.dim, min(kept.shape) - 1)
    svd = TruncatedSVD(n_components=dim, random_state=p.seed).fit(tfidf.transform(kept))
    loadings = np.zeros((len(columns), p.dim))  # tiny catalogues (tests): padded with zeros
    loadings[:, :dim] = tfidf.idf_[:, None] * svd.components_.T
    # as stored (pgvector's float32), so that a refresh reading them back projects bit for bit
    return columns, loadings.astype(np.float32).astype(np.float64)


def content_of(weights: sparse.spmatrix, loadings: np.ndarray) -> np.ndarray:
    """Unit content vectors of titles x tokens ``weights`` (columns in the loadings' order).

    Titles with identical tokens (same genres, decade... and no known people: thousands of them)
    get bit-identical vectors: each distinct row is projected once. Points merge near-identical
    vectors anyway (ml/neighbours.py); this keeps the exact duplicates exact."""
    first, inverse = _distinct_rows(weights)
    reduced = np.asarray(weights.tocsr()[first] @ loadings)[inverse]
    return normalize(reduced).astype(np.float32)


def project(weights: sparse.spmatrix, p: EmbeddingParams) -> np.ndarray:
    """Fit and apply the content projection in one go (the ablation's variants)."""
    columns, loadings = fit_content(weights, p)
    return content_of(weights.tocsc()[:, columns], loadings)


def _distinct_rows(matrix: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """(index of the first row of each distinct row, the distinct row of every row)."""
    matrix = matrix.tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    keys = [
        matrix.indices[a:b].tobytes() + matrix.data[a:b].tobytes()
        for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
    ]
    _, first, inverse = np.unique(
        np.array(keys, dtype=object), return_index=True, return_inverse=True
    )
    return first, inverse


def blend(
    titles: pd.DataFrame,
    content: np.ndarray,
    collab: ItemVectors,
    p: EmbeddingParams,
    constants: PriorConstants | None = None,
) -> Embeddings:
    """Stack the two blocks, weighted so that each row stays a unit vector; the priors with
    ``constants`` (a refresh's: the model's), else those of ``titles``."""
    share = np.where(collab.likes > 0, p.collaborative_share, 0.0).astype(np.float32)
    vectors = np.hstack(
        [content * np.sqrt(1 - share)[:, None], collab.vectors * np.sqrt(share)[:, None]]
    ).astype(np.float32)
    constants = constants or PriorConstants.of(titles)
    return Embeddings(
        titles["title_id"].to_numpy(),
        vectors,
        titles,
        prior(titles, p, constants),
        share,
        constants,
    )


def _text(v: np.ndarray, digits: str) -> str:
    """Python floats format faster than numpy's scalars, to the same text."""
    return "[" + ",".join(map(digits.format, v.tolist())) + "]"


def vector_text(v: np.ndarray) -> str:
    """The vector's text as stored: six significant digits."""
    return _text(v, "{:.6g}")


def exact_vector_text(v: np.ndarray) -> str:
    """A float32 vector's text that PostgreSQL reads back to the very same float32s."""
    return _text(v, "{:.9g}")


PARALLEL_TEXTS = 100_000  # from this many vectors, their texts are made on WORKERS processes


def _as_stored_serially(vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
    texts = [vector_text(v) for v in vectors]
    if not texts:
        return [], vectors.astype(np.float32)
    stored = np.array(",".join(t[1:-1] for t in texts).split(","), dtype=np.float32)
    return texts, stored.reshape(len(texts), -1)


def as_stored(vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The vectors' text as written (``vector_text``), and the float32 values PostgreSQL will
    hold once it has read them. (Formatting is the cost: 100 s for the full dump's 686 k
    vectors on one core; shared between WORKERS processes from PARALLEL_TEXTS vectors.)"""
    if len(vectors) < PARALLEL_TEXTS:
        return _as_stored_serially(vectors)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        parts = list(pool.map(_as_stored_serially, np.array_split(vectors, 8 * WORKERS)))
    return [t for texts, _ in parts for t in texts], np.vstack([stored for _, stored in parts])


def _points(
    emb: Embeddings, conn: psycopg.Connection | None = None
) -> tuple[list[str], np.ndarray, dict[int, str]]:
    """Each title's vector as stored (its point's), its point_id, and each point's list of
    nearest point_ids as PostgreSQL array text — computed on the vectors as stored (parsed back
    from their text), so that SQL's cosine ranks them alike. ``conn`` (a refresh): the active
    model's lists are updated rather than recomputed."""
    texts, stored = as_stored(emb.vectors)
    point_row, lists = points_and_lists(
        stored,
        priority=emb.titles["num_votes"].to_numpy(),
        previous=None if conn is None else _previous_lists(conn, emb.title_ids, stored),
    )
    neighbours = {
        int(emb.title_ids[row]): "{" + ",".join(map(str, emb.title_ids[near])) + "}"
        for row, near in lists.items()
    }
    return [texts[r] for r in point_row], emb.title_ids[point_row], neighbours


def _previous_lists(
    conn: psycopg.Connection, title_ids: np.ndarray, stored: np.ndarray
) -> dict[int, np.ndarray]:
    """The active model's lists in rows of ``title_ids``, for the points whose title is still
    there with the vector it had (``stored``: the vectors as they will be stored); a member
    whose title is gone or whose vector changed is -1."""
    old = conn.execute(
        "SELECT title_id, neighbours, embedding::text FROM ml.title_embedding"
        " WHERE title_id = point_id ORDER BY title_id"
    ).fetchall()
    if not old:
        return {}
    ids = np.array([r[0] for r in old])
    vectors = np.array(",".join(r[2][1:-1] for r in old).split(","), dtype=np.float32)
    vectors = vectors.reshape(len(old), -1)
    at = pd.Index(title_ids).get_indexer(ids)
    same = at >= 0
    if vectors.shape[1] != stored.shape[1]:
        return {}
    same[same] = (stored[at[same]] == vectors[same]).all(axis=1)
    row_of = np.full(int(max(ids.max(), title_ids.max())) + 1, -1)
    row_of[ids[same]] = at[same]
    return {
        int(at[i]): row_of[np.asarray(old[i][1])]
        for i in np.flatnonzero(same)
        if old[i][1] is not None
    }


def _write_fit(conn: psycopg.Connection, version: int, fit: ContentFit) -> None:
    with conn.cursor().copy(
        "COPY ml.content_token (fit_version, token, position, loading) FROM STDIN"
    ) as copy:
        for position, (token, loading) in enumerate(zip(fit.tokens, fit.loadings, strict=True)):
            copy.write_row((version, token, position, exact_vector_text(loading)))


def write(
    conn: psycopg.Connection,
    emb: Embeddings,
    p: EmbeddingParams,
    metrics: dict | None = None,
    fit: ContentFit | int | None = None,
    update_lists: bool = False,
    catalog_run: int | None = None,
) -> int:
    """Store the vectors as a new active model version, swapping tables atomically. ``fit``: the
    content projection that made them — new (stored with this version) or the version of a
    stored one (a refresh reuses it). ``update_lists``: the active model's neighbour lists are
    updated for what changed rather than recomputed (a refresh). ``catalog_run``: the last
    import the vectors have seen (a refresh re-embeds what the imports after it changed)."""
    with conn.transaction():
        conn.execute("DROP TABLE IF EXISTS ml.title_embedding_next")
        conn.execute(
            "CREATE TABLE ml.title_embedding_next (LIKE ml.title_embedding"
            " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        (version,) = conn.execute(
            """INSERT INTO ml.embedding_model (method, dim, n_titles, params, metrics)
               VALUES (%s, %s, %s, %s, %s) RETURNING version""",
            (
                "tfidf-svd + ease" if emb.collaborative.any() else "tfidf-svd",
                DIM,
                len(emb.title_ids),
                json.dumps(asdict(p)),
                json.dumps(metrics or {}),
            ),
        ).fetchone()
        if isinstance(fit, ContentFit):
            _write_fit(conn, version, fit)
        content_fit = version if isinstance(fit, ContentFit) else fit
        fitted = fitted_params(content_fit, emb.prior_constants, catalog_run)
        conn.execute(
            "UPDATE ml.embedding_model SET params = params || %s::jsonb WHERE version = %s",
            (json.dumps(fitted), version),
        )
        texts, points, neighbours = _points(emb, conn if update_lists else None)
        log.info("points and lists computed; writing")
        buf = io.StringIO()
        t = emb.titles
        for i in range(len(t)):
            genres = "{" + ",".join('"' + g + '"' for g in t["genres"].iat[i]) + "}"
            year = t["start_year"].iat[i]
            series = t["series_title_id"].iat[i]
            fields = [
                str(int(emb.title_ids[i])),
                str(version),
                t["title_type"].iat[i],
                "\\N" if pd.isna(year) else str(int(year)),
                str(int(t["num_votes"].iat[i])),
                genres,
                "\\N" if pd.isna(series) else str(int(series)),
                f"{emb.prior[i]:.6g}",
                str(int(points[i])),
                f"{emb.collaborative[i]:.6g}",
                neighbours.get(int(emb.title_ids[i]), "\\N"),
                texts[i],
            ]
            buf.write("\t".join(fields) + "\n")
        with conn.cursor().copy(
            "COPY ml.title_embedding_next (title_id, version, title_type, start_year, num_votes,"
            " genres, series_title_id, prior, point_id, collaborative, neighbours, embedding)"
            " FROM STDIN"
        ) as copy:
            copy.write(buf.getvalue())
    indexes = conn.execute("""SELECT indexname, indexdef FROM pg_indexes
                              WHERE schemaname = 'ml' AND tablename = 'title_embedding'""")
    indexes = indexes.fetchall()
    conn.execute("SET maintenance_work_mem = '1GB'")
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
        # two statements: one UPDATE of both rows may meet the one-active index half-way
        conn.execute("UPDATE ml.embedding_model SET active = false WHERE active")
        conn.execute("UPDATE ml.embedding_model SET active = true WHERE version = %s", (version,))
        # only the active model's fit is kept (a killed training may have left another)
        conn.execute(
            "DELETE FROM ml.content_token WHERE fit_version IS DISTINCT FROM %s", (content_fit,)
        )
    return version


def fitted_params(content_fit: int, constants: PriorConstants, catalog_run: int | None) -> dict:
    """What a model stores beside its parameters for a refresh to reuse (ml/embedding_refresh.py):
    the version holding its content projection, its prior's constants, its last import seen."""
    return {
        "content_fit": content_fit,
        "prior_mean_rating": constants.mean_rating,
        "prior_max_votes": constants.max_votes,
        "catalog_run": catalog_run,
    }


def train(conn: psycopg.Connection, p: EmbeddingParams | None = None) -> tuple[int, int]:
    """Compute and store the embeddings; returns (model version, titles embedded)."""
    p = p or EmbeddingParams()
    catalog_run = last_import(conn)
    titles = load_titles(conn)
    if len(titles) < 3:
        raise NotReady("fewer than 3 recommendable titles: run `netfloox import` first")
    counts = title_tokens(conn, titles, p)
    log.info("tokens of %s titles loaded", len(titles))
    content, fit = content_vectors(counts, p)
    del counts
    log.info("content vectors fitted")
    title_ids = titles["title_id"].to_numpy()
    collab = train_item_vectors(conn, title_ids, p.collab_dim, p.like_threshold, p.seed)
    emb = blend(titles, content, collab, p)
    log.info("collaborative block learnt and blended")
    metrics = {"titles_with_likes": int((collab.likes > 0).sum()), "clients": collab.clients}
    version = write(conn, emb, p, metrics, fit, catalog_run=catalog_run)
    forget_seen(conn)
    log.info("embedding model %s: %s titles, %s", version, len(titles), metrics)
    return version, len(titles)


def load_fit(conn: psycopg.Connection, fit_version: int) -> dict[str, np.ndarray]:
    """The stored content projection: token -> loading (float32 as stored, in float64)."""
    tokens = [
        r[0]
        for r in conn.execute(
            "SELECT token FROM ml.content_token WHERE fit_version = %s ORDER BY position",
            (fit_version,),
        )
    ]
    if not tokens:
        raise NotReady(f"no stored content fit {fit_version}: run a full `netfloox train`")
    _, loadings = binary_vectors(
        conn,
        f"SELECT position, loading FROM ml.content_token WHERE fit_version = {int(fit_version)}"
        " ORDER BY position",
        CONTENT_DIM,
    )
    return dict(zip(tokens, loadings.astype(float), strict=True))


def binary_vectors(conn: psycopg.Connection, query: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of ``query``'s rows (an integer, a vector(dim)), read in PostgreSQL's binary
    COPY format: fixed-size rows parsed at once by numpy (as text, 425 k vectors of 128 numbers
    take a minute to parse). pgvector sends a vector as int16 dim, int16 unused, then big-endian
    float32s."""
    buf = io.BytesIO()
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
        for chunk in copy:
            buf.write(chunk)
    data = buf.getvalue()
    header = 11 + 4 + 4 + int.from_bytes(data[15:19], "big")  # signature, flags, extension
    row = np.dtype(
        [("fields", ">i2"), ("id_len", ">i4"), ("id", ">i4"), ("vec_len", ">i4")]
        + [("dim", ">i2"), ("unused", ">i2"), ("v", ">f4", (dim,))]
    )
    rows = np.frombuffer(data, row, count=(len(data) - header - 2) // row.itemsize, offset=header)
    if len(rows) and not (rows["dim"] == dim).all():
        raise RuntimeError(f"{query}: vectors of another size than {dim}")
    return rows["id"].astype(np.int64), rows["v"].astype(np.float32)


def stored_collaborative(conn: psycopg.Connection, title_ids: np.ndarray, p) -> ItemVectors:
    """The active model's collaborative block, for the titles it had (others: none)."""
    rows = conn.execute(
        """SELECT title_id, embedding::text, collaborative FROM ml.title_embedding
           WHERE collaborative > 0 ORDER BY title_id"""
    ).fetchall()
    vectors = np.zeros((len(title_ids), p.collab_dim), np.float32)
    likes = np.zeros(len(title_ids), int)
    for title_id, text, share in rows:
        row = np.searchsorted(title_ids, title_id)
        if row < len(title_ids) and title_ids[row] == title_id:
            block = np.array(text[1:-1].split(","), np.float32)[-p.collab_dim :]
            vectors[row] = block / np.sqrt(share)
            likes[row] = 1
    return ItemVectors(vectors, likes, 0)


@dataclass
class ActiveModel:
    version: int
    p: EmbeddingParams
    params: dict  # as stored: ``p`` and ``fitted_params``
    trained_at: object
    metrics: dict

    def log_changed(self, conn: psycopg.Connection) -> bool:
        """Whether a client log was loaded since the model."""
        return conn.execute(
            "SELECT exists (SELECT 1 FROM ops.rating_import_run WHERE status = 'succeeded'"
            " AND finished_at > %s)",
            (self.trained_at,),
        ).fetchone()[0]


def active_model(conn: psycopg.Connection) -> ActiveModel:
    row = conn.execute(
        "SELECT version, params, trained_at, metrics FROM ml.embedding_model WHERE active"
    ).fetchone()
    if not row or row[1].get("content_fit") is None:
        raise NotReady("no trained model with a stored content fit: run `netfloox train` first")
    version, params, trained_at, metrics = row
    known = {f.name for f in fields(EmbeddingParams)}
    p = EmbeddingParams(**{k: v for k, v in params.items() if k in known})
    return ActiveModel(version, p, params, trained_at, metrics)


def fold_in(counts: TokenCounts, loadings: dict[str, np.ndarray], p) -> tuple[np.ndarray, int]:
    """Content vectors of ``counts``' titles from a stored projection (``load_fit``), and how
    many tokens held by enough of these titles the fit never saw (a full training would keep
    them; they add nothing until then)."""
    # the fit's tokens in the fit's order (the same sums in the same order as at training)
    position = {token: i for i, token in enumerate(loadings)}
    kept = sorted((position[t], j) for t, j in counts.vocabulary.items() if t in position)
    every = counts.matrix().tocsc()
    every.sum_duplicates()
    weights = every[:, [j for _, j in kept]]
    fitted = np.array(list(loadings.values()))
    content = content_of(weights, fitted[[i for i, _ in kept]])
    known = np.zeros(every.shape[1], bool)
    known[[j for _, j in kept]] = True
    return content, int(((every.getnnz(axis=0) >= p.min_titles_per_token) & ~known).sum())


def refresh_every_title(
    conn: psycopg.Connection, model: ActiveModel, catalog_run: int | None
) -> tuple[int, dict]:
    """Bring the active model to the current catalogue and log without refitting, every title
    at once (after a rebuild: ml/embedding_refresh.py): every recommendable title (new ones
    too) gets its content vector from the stored projection (a fold-in: tokens the fit never
    saw, such as a new person's, add nothing until the next full training: their count is
    reported); the collaborative block is re-learnt (EASE is closed form) when the log changed
    since the model, else kept; the priors follow the new votes (and the catalogue's constants
    are fitted again); the points are regrouped and the lists updated for the points that
    changed. Returns (version, what changed)."""
    base, params, p = model.version, model.params, model.p
    titles = load_titles(conn)
    title_ids = titles["title_id"].to_numpy()
    counts = title_tokens(conn, titles, p)
    content, unknown = fold_in(counts, load_fit(conn, params["content_fit"]), p)
    log_changed = model.log_changed(conn)
    if log_changed:
        collab = train_item_vectors(conn, title_ids, p.collab_dim, p.like_threshold, p.seed)
    else:
        collab = stored_collaborative(conn, title_ids, p)
    emb = blend(titles, content, collab, p)
    before = set(r[0] for r in conn.execute("SELECT title_id FROM ml.title_embedding"))
    changes = {
        "refreshed_from": base,
        "titles": len(title_ids),
        "new_titles": len(set(title_ids.tolist()) - before),
        "gone_titles": len(before - set(title_ids.tolist())),
        "tokens_unknown_to_the_fit": unknown,
        "collaborative": "re-learnt (the log changed)" if log_changed else "kept",
        "titles_with_likes": int((collab.likes > 0).sum()),
        "clients": collab.clients if log_changed else model.metrics.get("clients", 0),
        "scope": "every title",
    }
    version = write(
        conn, emb, p, changes, params["content_fit"], update_lists=True, catalog_run=catalog_run
    )
    forget_seen(conn)
    log.info("embedding model %s refreshed from %s: %s", version, base, changes)
    return version, changes

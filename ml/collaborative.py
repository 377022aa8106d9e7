"""Collaborative item vectors from the service's client rating log (``clientlog.rating``).

"Clients who liked X also liked Y", learnt with EASE (Steck 2019, "Embarrassingly Shallow
Autoencoders"): X is the film × client matrix of likes (rating at or above ``like_threshold``),
G = X Xᵀ + λI its regularised co-like counts, and B = I - P diag(1/diag(P)) with P = G⁻¹ the
closed-form item-item model that predicts each film's likers from the other films' (zero
diagonal). B weighs a co-like by what it tells beyond the films' popularity and beyond the other
co-likes, where the raw co-like cosine counts every co-like alike. Its symmetric positive part,
each film related to itself as to its closest film, rows L2-normalised, is folded by a truncated
SVD into ``dim`` dimensions and normalised again, so that pgvector's cosine ranks films by their
EASE relation. Films nobody in the log liked get no vector.

Scale: G is a dense n × n matrix over the films with likes. At most ``max_films`` (the most liked)
enter it (15,000 films: 0.9 GB per float32 copy); the other films keep their content vector only,
as films without likes do. Time and memory at a generated 20 M-rating log: docs/benchmarks.md.

Tuned on the odd MovieLens users only (vectors from one half, truth from the other, both ways;
docs/recommender.md): against the co-like cosine vectors of the previous model, per-user hit@5
0.559 -> 0.600, nDCG@5 0.244 -> 0.276, co-like precision@5 0.580 -> 0.599 (λ = 3000, share 0.85).
On a log of 150 clients the best λ is large, where EASE tends to plain co-like counts weighted by
popularity; published tunings on large logs use λ of a few hundred: retune it on the service's log.

Only the log loaded with ``netfloox import ratings`` is read here; no evaluation truth ever is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
from scipy import linalg, sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize


@dataclass
class ItemVectors:
    vectors: np.ndarray  # float32 (n titles, dim), unit rows; zero rows for titles without likes
    likes: np.ndarray  # int, likes per title (0: no collaborative vector)
    clients: int  # clients with at least one like among these titles


def load_likes(
    conn: psycopg.Connection, title_ids: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(title row, client) pairs of the likes on the given titles, in that order of titles.

    Read with COPY into one buffer and parsed by pandas' C reader: a 20 M-rating log has about
    10 M likes, which as Python tuples (``fetchall``) would take gigabytes and minutes."""
    buf = io.BytesIO()
    with conn.cursor().copy(
        """COPY (SELECT r.title_id, r.client_id FROM clientlog.rating r
                 WHERE r.rating >= %s AND r.title_id = ANY (%s)) TO STDOUT""",
        (threshold, title_ids.tolist()),
    ) as copy:
        for chunk in copy:
            buf.write(chunk)
    if not buf.tell():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    buf.seek(0)
    pairs = pd.read_csv(buf, sep="\t", header=None, dtype=np.int64).to_numpy().reshape(-1, 2)
    row = np.searchsorted(title_ids, pairs[:, 0])  # title_ids are sorted
    return row, pairs[:, 1]


EASE_LAMBDA = 3000.0
MAX_FILMS = 15_000


def ease(likes: sparse.csr_matrix, lam: float) -> np.ndarray:
    """EASE's item-item weights B (zero diagonal) for the rows (films) of a binary likes matrix."""
    gram = (likes @ likes.T).toarray().astype(np.float32)
    gram[np.diag_indices_from(gram)] += lam
    inverse = linalg.inv(gram, overwrite_a=True, check_finite=False)
    weights = inverse / -np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def item_vectors(
    rows: np.ndarray,
    clients: np.ndarray,
    n_titles: int,
    dim: int,
    seed: int = 0,
    lam: float = EASE_LAMBDA,
    max_films: int = MAX_FILMS,
) -> ItemVectors:
    """EASE item vectors (see the module docstring) for ``n_titles`` rows."""
    if len(rows) == 0:
        return ItemVectors(np.zeros((n_titles, dim), np.float32), np.zeros(n_titles, int), 0)
    client_ids, col = np.unique(clients, return_inverse=True)
    likes = sparse.csr_matrix((np.ones(len(rows)), (rows, col)), shape=(n_titles, len(client_ids)))
    likes.data[:] = 1.0  # a client counts once per film
    per_title = np.asarray(likes.sum(axis=1)).ravel().astype(int)
    liked = np.flatnonzero(per_title > 0)
    kept = np.sort(liked[np.argsort(-per_title[liked], kind="stable")[:max_films]])
    vectors = np.zeros((n_titles, dim), np.float32)
    rank = min(dim, len(kept) - 1)
    if rank < 1:
        return ItemVectors(vectors, per_title, len(client_ids))
    weights = ease(likes[kept], lam)
    related = np.clip((weights + weights.T) / 2, 0.0, None)
    del weights
    # a film is as related to itself as to its closest film: two films that are each other's
    # closest then get alike rows (a zero diagonal would make their rows point away)
    np.fill_diagonal(related, related.max(axis=1))
    reduced = TruncatedSVD(n_components=rank, random_state=seed).fit_transform(normalize(related))
    vectors[kept, :rank] = normalize(reduced)
    shown = np.zeros(n_titles, bool)
    shown[kept] = True
    return ItemVectors(vectors, np.where(shown, per_title, 0), len(client_ids))


def train_item_vectors(
    conn: psycopg.Connection, title_ids: np.ndarray, dim: int, threshold: float, seed: int = 0
) -> ItemVectors:
    rows, clients = load_likes(conn, title_ids, threshold)
    return item_vectors(rows, clients, len(title_ids), dim, seed)

"""Collaborative item vectors from the service's client rating log (``clientlog.rating``).

"Clients who liked X also liked Y": each film is the set of clients who liked it (rating at or
above ``like_threshold``). Rows of that film × client matrix are L2-normalised, so that the dot
product of two rows is exactly the co-like cosine ``co-likers / sqrt(likers(a) likers(b))``; a
truncated SVD folds them into ``dim`` dimensions (clients that like the same films merge), and the
rows are normalised again. Films nobody in the log liked get no vector.

Only the log loaded with ``netfloox import ratings`` is read here; no evaluation truth ever is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg
from scipy import sparse
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
    """(title row, client) pairs of the likes on the given titles, in that order of titles."""
    cur = conn.execute(
        """SELECT r.title_id, r.client_id FROM clientlog.rating r
           WHERE r.rating >= %s AND r.title_id = ANY (%s)""",
        (threshold, title_ids.tolist()),
    )
    pairs = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 2)
    row = np.searchsorted(title_ids, pairs[:, 0])  # title_ids are sorted
    return row, pairs[:, 1]


def item_vectors(
    rows: np.ndarray, clients: np.ndarray, n_titles: int, dim: int, seed: int = 0
) -> ItemVectors:
    """Co-like item vectors (see the module docstring) for ``n_titles`` rows."""
    if len(rows) == 0:
        return ItemVectors(np.zeros((n_titles, dim), np.float32), np.zeros(n_titles, int), 0)
    client_ids, col = np.unique(clients, return_inverse=True)
    likes = sparse.csr_matrix((np.ones(len(rows)), (rows, col)), shape=(n_titles, len(client_ids)))
    likes.data[:] = 1.0  # a client counts once per film
    per_title = np.asarray(likes.sum(axis=1)).ravel().astype(int)
    rank = min(dim, min(likes.shape) - 1)
    if rank < 1:
        return ItemVectors(np.zeros((n_titles, dim), np.float32), per_title, len(client_ids))
    reduced = TruncatedSVD(n_components=rank, random_state=seed).fit_transform(normalize(likes))
    vectors = np.zeros((n_titles, dim), np.float32)
    vectors[:, :rank] = normalize(reduced)
    vectors[per_title == 0] = 0
    return ItemVectors(vectors, per_title, len(client_ids))


def train_item_vectors(
    conn: psycopg.Connection, title_ids: np.ndarray, dim: int, threshold: float, seed: int = 0
) -> ItemVectors:
    rows, clients = load_likes(conn, title_ids, threshold)
    return item_vectors(rows, clients, len(title_ids), dim, seed)

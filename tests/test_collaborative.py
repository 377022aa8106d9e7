"""The collaborative model (EASE) on hand-made logs whose neighbours are known."""

from __future__ import annotations

import numpy as np

from ml.collaborative import ease, item_vectors


def log(groups: list[tuple[range, list[int]]]) -> tuple[np.ndarray, np.ndarray]:
    """(film row, client) pairs: every client of each range likes each film of its list."""
    pairs = [(film, client) for clients, films in groups for client in clients for film in films]
    rows, clients = zip(*pairs, strict=True)
    return np.array(rows), np.array(clients)


def nearest(vectors: np.ndarray, row: int) -> int:
    sims = vectors @ vectors[row]
    sims[row] = -np.inf
    return int(np.argmax(sims))


def test_films_liked_by_the_same_clients_are_each_others_nearest():
    # films 0+1 share their fans, 2+3 theirs, 4 is liked by a few of both; film 5: no like
    rows, clients = log(
        [(range(0, 30), [0, 1]), (range(30, 60), [2, 3]), (range(0, 5), [4]), (range(30, 35), [4])]
    )
    got = item_vectors(rows, clients, 6, dim=8, lam=10.0)
    assert nearest(got.vectors, 0) == 1 and nearest(got.vectors, 2) == 3
    assert list(got.likes) == [30, 30, 30, 30, 10, 0] and got.clients == 60
    assert np.allclose(np.linalg.norm(got.vectors[:5], axis=1), 1.0, atol=1e-5)
    assert not got.vectors[5].any()  # nobody liked it: content only


def test_ease_discounts_what_popularity_explains():
    # a blockbuster (film 0) liked by everyone co-occurs with everything; films 1 and 2 share a
    # niche audience: EASE relates 1 to 2 more than to the blockbuster, raw counts the other way
    rows, clients = log([(range(0, 100), [0]), (range(0, 12), [1, 2]), (range(50, 60), [3])])
    x = np.zeros((4, 100))
    x[rows, clients] = 1
    weights = ease(__import__("scipy").sparse.csr_matrix(x), lam=5.0)
    counts = x @ x.T
    assert counts[1, 0] >= counts[1, 2]
    assert weights[1, 2] > weights[1, 0]
    assert np.all(np.diag(weights) == 0)


def test_only_the_most_liked_films_enter_the_model():
    rows, clients = log([(range(0, 20), [0, 1]), (range(20, 25), [2, 3]), (range(25, 27), [4])])
    got = item_vectors(rows, clients, 5, dim=4, lam=10.0, max_films=4)
    assert not got.vectors[4].any() and got.likes[4] == 0  # the least liked: left out
    assert nearest(got.vectors, 0) == 1 and nearest(got.vectors, 2) == 3


def test_an_empty_log_gives_no_vector():
    got = item_vectors(np.array([], int), np.array([], int), 3, dim=4)
    assert not got.vectors.any() and got.clients == 0

"""Offline evaluation of the recommender on MovieLens (never an input of the model).

Protocol "item-item neighbours" (shared/movielens/README.md): users split by parity (odd = tuning,
even = report). For each seed film liked (rating >= 4) by at least 20 users of the split, the truth
is its 20 nearest films by the cosine of their likers' sets (co-likers / sqrt(likers(a) likers(b)),
at least 3 co-likers) — what collaborative filtering would find. Scores: precision@5 and hit@5 of
the 5 recommendations against that truth, and catalogue coverage (share of the recommendable titles
that appear in some top-5). Only films the catalogue can recommend count, in seeds and truth alike.

Beside ``recommend()`` (the SQL function, as shipped), two baselines: popularity (the 5 most-voted
titles) and the "soup" cosine over a bag of genres, directors, writers and top-3 cast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from scipy import sparse
from sklearn.preprocessing import normalize

from database.config import PROJECT_ROOT
from ml import NotReady

MOVIELENS = PROJECT_ROOT.parent / "shared" / "movielens"
K = 5
TRUTH = 20


@dataclass
class Split:
    name: str
    seeds: list[int]  # title_ids
    truth: dict[int, set[int]]  # seed -> its co-liked neighbours


def load_movielens(folder: Path = MOVIELENS) -> pd.DataFrame:
    """Ratings with the IMDb title_id of each movie."""
    links = pd.read_csv(folder / "links.csv", dtype={"imdbId": int})
    ratings = pd.read_csv(folder / "ratings.csv")
    ratings = ratings.merge(links[["movieId", "imdbId"]], on="movieId")
    return ratings.rename(columns={"imdbId": "title_id"})


def build_split(ratings: pd.DataFrame, parity: int, catalogue: set[int]) -> Split:
    likes = ratings[(ratings["rating"] >= 4) & (ratings["userId"] % 2 == parity)]
    likes = likes[likes["title_id"].isin(catalogue)]
    users, user_idx = np.unique(likes["userId"], return_inverse=True)
    films, film_idx = np.unique(likes["title_id"], return_inverse=True)
    m = sparse.csr_matrix(
        (np.ones(len(likes)), (user_idx, film_idx)), shape=(len(users), len(films))
    )
    m.data[:] = 1
    co = (m.T @ m).toarray()
    likers = np.diag(co).copy()
    cosine = co / np.sqrt(np.outer(likers, likers))
    cosine[co < 3] = 0
    np.fill_diagonal(cosine, 0)
    seeds, truth = [], {}
    for i in np.flatnonzero(likers >= 20):
        order = np.argsort(-cosine[i])[:TRUTH]
        neighbours = {int(films[j]) for j in order if cosine[i, j] > 0}
        if neighbours:
            seeds.append(int(films[i]))
            truth[int(films[i])] = neighbours
    return Split("odd users (tuning)" if parity else "even users (report)", seeds, truth)


def score(split: Split, recommendations: dict[int, list[int]], catalogue_size: int) -> dict:
    precision = [len(set(recommendations[s][:K]) & split.truth[s]) / K for s in split.seeds]
    recommended = {t for s in split.seeds for t in recommendations[s][:K]}
    return {
        "precision@5": float(np.mean(precision)),
        "hit@5": float(np.mean([p > 0 for p in precision])),
        "coverage": len(recommended) / catalogue_size,
        "seeds": len(split.seeds),
    }


def sql_recommendations(conn: psycopg.Connection, seeds: list[int]) -> dict[int, list[int]]:
    out = {}
    for seed in seeds:
        tconst = conn.execute(
            "SELECT tconst FROM catalog.title WHERE title_id = %s", (seed,)
        ).fetchone()[0]
        rows = conn.execute("SELECT tconst FROM api.recommend(%s, %s)", (tconst, K)).fetchall()
        out[seed] = [int(r[0][2:]) for r in rows]
    return out


def popularity_recommendations(conn: psycopg.Connection, seeds: list[int]) -> dict[int, list[int]]:
    top = [
        r[0]
        for r in conn.execute(
            "SELECT title_id FROM ml.title_embedding ORDER BY num_votes DESC, title_id LIMIT %s",
            (K + 1,),
        )
    ]
    return {s: [t for t in top if t != s][:K] for s in seeds}


def soup_recommendations(conn: psycopg.Connection, seeds: list[int]) -> dict[int, list[int]]:
    """Cosine over a binary bag of genres, directors, writers and top-3 cast (the peers' way)."""
    rows = conn.execute("""
        SELECT t.title_id, x.token FROM ml.title_embedding t
        CROSS JOIN LATERAL (
            SELECT 'g' || genre_id FROM catalog.title_genre WHERE title_id = t.title_id
            UNION ALL SELECT 'd' || person_id FROM catalog.title_director
                WHERE title_id = t.title_id
            UNION ALL SELECT 'w' || person_id FROM catalog.title_writer
                WHERE title_id = t.title_id
            UNION ALL SELECT 'a' || person_id FROM catalog.principal p
                JOIN catalog.category c USING (category_id)
                WHERE p.title_id = t.title_id AND c.name IN ('actor', 'actress') AND p.ordering <= 3
        ) x(token)""").fetchall()
    bag = pd.DataFrame(rows, columns=["title_id", "token"])
    ids, row = np.unique(bag["title_id"], return_inverse=True)
    _, col = np.unique(bag["token"], return_inverse=True)
    m = normalize(sparse.csr_matrix((np.ones(len(bag)), (row, col))))
    position = {int(t): i for i, t in enumerate(ids)}
    out = {}
    for seed in seeds:
        if seed not in position:
            out[seed] = []
            continue
        sims = (m @ m[position[seed]].T).toarray().ravel()
        sims[position[seed]] = -1
        out[seed] = [int(ids[j]) for j in np.argsort(-sims)[:K]]
    return out


def evaluate(conn: psycopg.Connection, parity: int = 0) -> dict[str, dict]:
    catalogue = {r[0] for r in conn.execute("SELECT title_id FROM ml.title_embedding")}
    if not catalogue:
        raise NotReady("no embeddings: run `netfloox train recommender` first")
    split = build_split(load_movielens(), parity, catalogue)
    return {
        "recommend() (shipped)": score(
            split, sql_recommendations(conn, split.seeds), len(catalogue)
        ),
        "popularity (5 most voted)": score(
            split, popularity_recommendations(conn, split.seeds), len(catalogue)
        ),
        "bag of genres+directors+writers+top-3 cast": score(
            split, soup_recommendations(conn, split.seeds), len(catalogue)
        ),
    }


def render(results: dict[str, dict], split_name: str) -> str:
    lines = [
        f"| method ({split_name}) | precision@5 | hit@5 | coverage | seeds |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for method, r in results.items():
        lines.append(
            f"| {method} | {r['precision@5']:.3f} | {r['hit@5']:.3f} | "
            f"{r['coverage']:.4f} | {r['seeds']} |"
        )
    return "\n".join(lines)


def write_report(conn: psycopg.Connection) -> str:
    """Evaluate on both splits and write the recommender section of docs/evaluation.md."""
    from database.evaldoc import write_section

    tuning = render(evaluate(conn, 1), "odd users, tuning")
    held_out = render(evaluate(conn, 0), "even users, held out")
    params = conn.execute("SELECT version, params FROM ml.embedding_model WHERE active").fetchone()
    body = f"""Model: embedding version {params[0]}, parameters `{json.dumps(params[1])}`.

{held_out}

{tuning}

precision@5: share of the 5 recommendations that are among the seed's 20 most co-liked films;
hit@5: share of seeds with at least one; coverage: share of the recommendable titles that appear
in some top-5 (the seeds are only the ~250 MovieLens films liked by 20+ users of a split, so it is
small for every method). The weights were chosen on the odd users only (docs/recommender.md)."""
    write_section("Recommender (MovieLens item-item neighbours)", "netfloox eval recommend", body)
    return body

"""Offline evaluation of the recommender on MovieLens (never an input of the model).

Protocol "item-item neighbours" (shared/movielens/README.md): users split by parity (odd = tuning,
even = report). For each seed film liked (rating >= 4) by at least 20 users of the split, the truth
is its 20 nearest films by the cosine of their likers' sets (co-likers / sqrt(likers(a) likers(b)),
at least 3 co-likers) — what collaborative filtering would find. Scores: precision@5 and hit@5 of
the 5 recommendations against that truth, and catalogue coverage (share of the recommendable titles
that appear in some top-5). Only films the catalogue can recommend count, in seeds and truth alike.

Beside ``recommend()`` (the SQL function, as shipped — with the collaborative block when a client
rating log is loaded), the same ranking on the content block alone (computed in Python from the
stored vectors), two baselines: popularity (the 5 most-voted titles) and the "soup" cosine over a
bag of genres, directors, writers and top-3 cast; and, as a ceiling, the odd users' own co-likes.

The only rating log ever loaded or trained on is the odd users' (``shared/movielens-odd``). Its
weights are tuned without the even users: the odd users are split in two halves by userId, item
vectors learnt on one half are scored against the co-likes of the other (``tune_blend``).

Also measured on the catalogue itself: for the 300 most-voted movies, how many get a top-5 with
fewer than 3 films of at least 5,000 votes, and the catalogue coverage of 1,000 random seeds.
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
from ml.collaborative import item_vectors
from ml.embeddings import CONTENT_DIM, EmbeddingParams

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


def sql_recommendations(
    conn: psycopg.Connection, seeds: list[int], k: int = K
) -> dict[int, list[int]]:
    out = {}
    for seed in seeds:
        tconst = conn.execute(
            "SELECT tconst FROM catalog.title WHERE title_id = %s", (seed,)
        ).fetchone()[0]
        rows = conn.execute("SELECT tconst FROM api.recommend(%s, %s)", (tconst, k)).fetchall()
        out[seed] = [int(r[0][2:]) for r in rows]
    return out


def popularity_recommendations(
    conn: psycopg.Connection, seeds: list[int], k: int = K
) -> dict[int, list[int]]:
    top = [
        r[0]
        for r in conn.execute(
            "SELECT title_id FROM ml.title_embedding ORDER BY num_votes DESC, title_id LIMIT %s",
            (k + 1,),
        )
    ]
    return {s: [t for t in top if t != s][:k] for s in seeds}


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


@dataclass
class Stored:
    """The active embeddings, as recommend() reads them."""

    title_ids: np.ndarray  # sorted
    vectors: np.ndarray
    prior: np.ndarray

    @property
    def content(self) -> np.ndarray:
        return normalize(self.vectors[:, :CONTENT_DIM])


def load_stored(conn: psycopg.Connection) -> Stored:
    rows = conn.execute(
        "SELECT title_id, embedding::text, prior FROM ml.title_embedding ORDER BY title_id"
    ).fetchall()
    if not rows:
        raise NotReady("no embeddings: run `netfloox train recommender` first")
    vectors = np.array(",".join(r[1][1:-1] for r in rows).split(","), dtype=np.float32).reshape(
        len(rows), -1
    )
    return Stored(
        np.array([r[0] for r in rows]), vectors, np.array([r[2] for r in rows], np.float32)
    )


def ranked(
    vectors: np.ndarray,
    prior: np.ndarray,
    title_ids: np.ndarray,
    seeds: list[int],
    pool: int = 50,
    k: int = K,
) -> dict[int, list[int]]:
    """recommend()'s ranking on these vectors, exactly: the ``pool`` nearest titles by cosine
    (never the seed), then cosine + prior."""
    position = {int(t): i for i, t in enumerate(title_ids)}
    out = {}
    for seed in seeds:
        i = position[seed]
        sims = vectors @ vectors[i]
        sims[i] = -np.inf
        near = np.argpartition(-sims, pool)[:pool]
        best = near[np.argsort(-(sims[near] + prior[near]), kind="stable")[:k]]
        out[seed] = [int(title_ids[j]) for j in best]
    return out


def _like_rows(ratings: pd.DataFrame, title_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    likes = ratings[(ratings["rating"] >= 4) & ratings["title_id"].isin(title_ids)]
    return np.searchsorted(title_ids, likes["title_id"].to_numpy()), likes["userId"].to_numpy()


def colike_recommendations(
    ratings: pd.DataFrame, title_ids: np.ndarray, seeds: list[int], k: int = K
) -> dict[int, list[int]]:
    """The 5 films most co-liked with each seed by the users of ``ratings`` (a ceiling)."""
    rows, users = _like_rows(ratings, title_ids)
    _, col = np.unique(users, return_inverse=True)
    m = normalize(
        sparse.csr_matrix((np.ones(len(rows)), (rows, col)), (len(title_ids), col.max() + 1))
    )
    position = {int(t): i for i, t in enumerate(title_ids)}
    out = {}
    for seed in seeds:
        sims = (m @ m[position[seed]].T).toarray().ravel()
        sims[position[seed]] = -1
        out[seed] = [int(title_ids[j]) for j in np.argsort(-sims, kind="stable")[:k]]
    return out


def blended(stored: Stored, ratings: pd.DataFrame, share: float, p: EmbeddingParams) -> np.ndarray:
    """Content block + co-like vectors learnt from ``ratings``, weighted as ml.embeddings does."""
    rows, users = _like_rows(ratings, stored.title_ids)
    collab = item_vectors(rows, users, len(stored.title_ids), p.collab_dim, p.seed)
    weight = np.where(collab.likes > 0, share, 0.0)[:, None]
    return np.hstack([stored.content * np.sqrt(1 - weight), collab.vectors * np.sqrt(weight)])


SHARES = (0.0, 0.5, 0.7, 0.85)


def tune_blend(stored: Stored, odd: pd.DataFrame) -> dict[str, dict]:
    """Odd users only: item vectors from one half (userId // 2 even), truth from the other."""
    half = (odd["userId"] // 2) % 2
    catalogue = set(stored.title_ids.tolist())
    split = build_split(odd[half == 1], 1, catalogue)
    p = EmbeddingParams()
    return {
        f"collaborative share {share}": score(
            split,
            ranked(
                blended(stored, odd[half == 0], share, p),
                stored.prior,
                stored.title_ids,
                split.seeds,
            ),
            len(catalogue),
        )
        for share in SHARES
    }


PER_USER_K = 10


def per_user_scores(
    ratings: pd.DataFrame, recommendations: dict[int, list[int]], catalogue: set[int]
) -> dict:
    """The per-user protocol: for each (held-out) user and each film they liked (rating >= 4)
    that the catalogue can recommend, the other films they liked are the truth; hit@5, nDCG@5
    and recall@10 (truncated: hits / min(10, |truth|), as in Steck 2019) of the seed's list,
    averaged over (user, film) pairs; coverage: share of the catalogue in some top-5."""
    likes = ratings[(ratings["rating"] >= 4) & ratings["title_id"].isin(catalogue)]
    hits, ndcgs, recalls = [], [], []
    discount = 1 / np.log2(np.arange(2, 7))
    for _, films in likes.groupby("userId")["title_id"]:
        liked = set(films.tolist())
        if len(liked) < 2:
            continue
        for seed in liked:
            truth = liked - {seed}
            recs = recommendations.get(seed, [])
            gains = np.array([r in truth for r in recs[:5]], dtype=float)
            hits.append(gains.any())
            ideal = discount[: min(5, len(truth))].sum()
            ndcgs.append(float((gains * discount[: len(gains)]).sum() / ideal))
            recalls.append(len(set(recs[:PER_USER_K]) & truth) / min(PER_USER_K, len(truth)))
    shown = {t for recs in recommendations.values() for t in recs[:K]}
    return {
        "hit@5": float(np.mean(hits)),
        "ndcg@5": float(np.mean(ndcgs)),
        "recall@10": float(np.mean(recalls)),
        "coverage": len(shown) / len(catalogue),
        "pairs": len(hits),
    }


def evaluate_per_user(conn: psycopg.Connection, parity: int = 0) -> dict[str, dict]:
    """Every method of ``evaluate`` under the per-user protocol, on the users of ``parity``."""
    stored = load_stored(conn)
    catalogue = set(stored.title_ids.tolist())
    ratings = load_movielens()
    held = ratings[ratings["userId"] % 2 == parity]
    seeds = sorted(
        set(held[(held["rating"] >= 4) & held["title_id"].isin(catalogue)]["title_id"].tolist())
    )
    k = PER_USER_K
    methods = {
        "recommend() as shipped": sql_recommendations(conn, seeds, k),
        "same ranking, content block only": ranked(
            stored.content, stored.prior, stored.title_ids, seeds, k=k
        ),
        "popularity (most voted)": popularity_recommendations(conn, seeds, k),
        "the odd users' raw co-likes": colike_recommendations(
            ratings[ratings["userId"] % 2 == 1], stored.title_ids, seeds, k
        ),
    }
    return {name: per_user_scores(held, recs, catalogue) for name, recs in methods.items()}


def render_per_user(results: dict[str, dict]) -> str:
    lines = [
        "| method (even users, each liked film a seed) | hit@5 | nDCG@5 | recall@10 | coverage"
        " | pairs |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for method, r in results.items():
        lines.append(
            f"| {method} | {r['hit@5']:.3f} | {r['ndcg@5']:.3f} | {r['recall@10']:.3f} | "
            f"{r['coverage']:.4f} | {r['pairs']:,} |"
        )
    return "\n".join(lines)


def famous_films(conn: psycopg.Connection, n: int = 300, votes: int = 5000) -> dict:
    """For the n most-voted movies: how many top-5s hold fewer than 3 films of >= votes votes."""
    rows = conn.execute(
        """SELECT t.tconst, (SELECT count(*) FILTER (WHERE r.num_votes >= %s)
                             FROM api.recommend(t.tconst, 5) r)
           FROM ml.title_embedding e JOIN catalog.title t USING (title_id)
           WHERE e.title_type = 'movie' ORDER BY e.num_votes DESC, e.title_id LIMIT %s""",
        (votes, n),
    ).fetchall()
    known = [r[1] for r in rows]
    return {
        "seeds": len(rows),
        "fewer than 3 known": sum(k < 3 for k in known),
        "minimum known": min(known, default=0),
        "examples": [r[0] for r in rows if r[1] < 3][:5],
    }


def catalogue_coverage(conn: psycopg.Connection, n: int = 1000) -> float:
    """Share of the recommendable titles in some top-5 of n random recommendable seeds."""
    (covered, total) = conn.execute(
        """WITH seeds AS (SELECT t.tconst FROM ml.title_embedding e
                          JOIN catalog.title t USING (title_id)
                          ORDER BY hashint4(e.title_id) LIMIT %s)
           SELECT (SELECT count(DISTINCT r.tconst) FROM seeds s,
                   LATERAL api.recommend(s.tconst, 5) r),
                  (SELECT count(*) FROM ml.title_embedding)""",
        (n,),
    ).fetchone()
    return covered / total


def evaluate(conn: psycopg.Connection, parity: int = 0) -> dict[str, dict]:
    stored = load_stored(conn)
    catalogue = set(stored.title_ids.tolist())
    ratings = load_movielens()
    split = build_split(ratings, parity, catalogue)
    log = conn.execute("SELECT count(*) FROM clientlog.rating").fetchone()[0]
    shipped = "recommend() as shipped" + (
        f" (content + client log, {log:,} ratings)" if log else " (content only, no log)"
    )
    n = len(catalogue)
    return {
        shipped: score(split, sql_recommendations(conn, split.seeds), n),
        "same ranking, content block only": score(
            split, ranked(stored.content, stored.prior, stored.title_ids, split.seeds), n
        ),
        "popularity (5 most voted)": score(split, popularity_recommendations(conn, split.seeds), n),
        "bag of genres+directors+writers+top-3 cast": score(
            split, soup_recommendations(conn, split.seeds), n
        ),
        "ceiling: the odd users' own co-likes": score(
            split,
            colike_recommendations(
                ratings[ratings["userId"] % 2 == 1], stored.title_ids, split.seeds
            ),
            n,
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
    """Evaluate and write the recommender section of docs/evaluation.md."""
    from harness.reports import write_evaluation

    held_out = render(evaluate(conn, 0), "even users, held out")
    odd = load_movielens()
    tuning = render(
        tune_blend(load_stored(conn), odd[odd["userId"] % 2 == 1]),
        "odd users: vectors from one half, truth from the other",
    )
    per_user = render_per_user(evaluate_per_user(conn, 0))
    famous = famous_films(conn)
    coverage = catalogue_coverage(conn)
    params = conn.execute(
        "SELECT version, method, params, metrics FROM ml.embedding_model WHERE active"
    ).fetchone()
    body = f"""Model: embedding version {params[0]} ({params[1]}), parameters
`{json.dumps(params[2])}`, `{json.dumps(params[3])}`.

{held_out}

precision@5: share of the 5 recommendations that are among the seed's 20 most co-liked films (by
the even users); hit@5: share of seeds with at least one; coverage: share of the recommendable
titles that appear in some top-5 of these seeds. The ceiling recommends, for each seed, the 5 films
most co-liked by the odd users — what the loaded log knows at best.

Per-user protocol (comparable with the literature's leave-one-in item-to-item setting): for each
even user and each film they liked (rating >= 4) that the catalogue can recommend, the film is the
seed and the user's other liked films are the truth. hit@5: at least one of the 5 is liked;
nDCG@5 with binary gains; recall@10 truncated to min(10, liked films - 1) (Steck 2019); coverage:
share of the recommendable titles in some top-5 of these seeds.

{per_user}

Tuning of the blend, on the odd users only (the even users never enter it):

{tuning}

Famous films: of the {famous["seeds"]} most-voted movies, **{famous["fewer than 3 known"]}** get a
top-5 with fewer than 3 films of at least 5,000 votes (minimum {famous["minimum known"]} such films
in one top-5{"; e.g. " + ", ".join(famous["examples"]) if famous["examples"] else ""}).
Catalogue coverage: the top-5s of 1,000 random recommendable seeds hold {coverage:.1%} of the
recommendable titles."""
    write_evaluation(
        "Recommender (MovieLens item-item neighbours)", "netfloox eval recommend", body
    )
    return body

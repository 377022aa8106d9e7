"""``netfloox train --refresh`` for the recommender: the active model follows the catalogue and
the client log without a refit, re-embedding only the titles that changed.

Each incremental import records the titles it wrote a row of (``ops.title_change``); a model
records the last import it has seen and the constants of its prior. When every import since the
model was incremental, only the titles they changed are re-embedded (plus, when a client log was
loaded since, the titles liked before or now: EASE is re-learnt, which moves their
collaborative block), in place, in one transaction:

1. their content vectors from the model's stored projection (fold-in), their priors from the
   model's constants (a title whose votes did not move keeps its prior);
2. a title whose new vector is within MERGE_DISTANCE of its point's stays in it (most of them:
   a vote count that moved within its band changes nothing else); the others leave it and join
   the nearest surviving point within MERGE_DISTANCE, or group among themselves into new points
   (ml/neighbours.py: ``grouped``); a point keeps its vector while a member remains, and is
   named by its smallest title (renamed when that one left or a smaller one joined);
3. the lists that hold a point gone or renamed, or that a new point reaches (at or above the
   list's last similarity), are patched exactly (``patched_lists``); the new points get full
   lists; every other list stays as it is, exact since no member left and nothing new reaches it.

Otherwise (a rebuild since the model, or a model older than this bookkeeping) every title is
refreshed (ml/embeddings.py: ``refresh_every_title``). Readers keep the previous rows until the
commit (row versions; no table is swapped). A full ``netfloox train`` stays the reference: the
drift is in docs/recommender.md.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from ml.changes import changes_since, forget_seen, last_import
from ml.collaborative import ItemVectors, train_item_vectors
from ml.embeddings import (
    DIM,
    ActiveModel,
    Embeddings,
    PriorConstants,
    active_model,
    as_stored,
    binary_vectors,
    blend,
    exact_vector_text,
    fitted_params,
    fold_in,
    load_fit,
    load_titles,
    refresh_every_title,
    stored_collaborative,
    title_tokens,
)
from ml.neighbours import (
    BLOCK,
    BOUND_MARGIN,
    MERGE_DISTANCE,
    closest_within,
    grouped,
    patched_lists,
)

log = logging.getLogger(__name__)


def refresh(conn: psycopg.Connection) -> tuple[int, dict]:
    """Bring the active model to the current catalogue and log; (version, what changed)."""
    model = active_model(conn)
    catalog_run = last_import(conn)
    changed = changed_titles(conn, model, catalog_run)
    if changed is None:
        return refresh_every_title(conn, model, catalog_run)
    return refresh_changed(conn, model, catalog_run, changed)


def changed_titles(
    conn: psycopg.Connection, model: ActiveModel, catalog_run: int | None
) -> np.ndarray | None:
    """The ids of the titles the imports since the model changed; None when that is unknown (a
    rebuild since, or a model that did not record its last import or its prior's constants)."""
    if "prior_max_votes" not in model.params:
        return None
    changes = changes_since(conn, model.params.get("catalog_run"), catalog_run)
    return None if changes is None else changes.titles


@dataclass
class Model:
    """The active model's rows: every title's point, the points' vectors (as stored)."""

    title_ids: np.ndarray  # sorted
    point_of: np.ndarray  # each title's point_id
    point_ids: np.ndarray  # sorted
    vectors: np.ndarray  # float32, one per point

    @classmethod
    def load(cls, conn: psycopg.Connection) -> Model:
        rows = np.array(
            conn.execute("SELECT title_id, point_id FROM ml.title_embedding ORDER BY 1").fetchall(),
            dtype=np.int64,
        ).reshape(-1, 2)
        point_ids, vectors = point_vectors(conn)
        return cls(rows[:, 0], rows[:, 1], point_ids, vectors)

    def point_row(self, point_id: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.point_ids, point_id)


def point_vectors(conn: psycopg.Connection) -> tuple[np.ndarray, np.ndarray]:
    """(point ids, their vectors), in point id order."""
    return binary_vectors(
        conn,
        "SELECT title_id, embedding FROM ml.title_embedding WHERE title_id = point_id"
        " ORDER BY title_id",
        DIM,
    )


@dataclass
class Regrouped:
    """The points after a refresh's titles moved (ids: title ids)."""

    point_ids: np.ndarray  # sorted, every point now
    vectors: np.ndarray  # their vectors
    added: np.ndarray  # rows of point_ids that are new points
    renamed: dict[int, int]  # old point id -> new, for the points kept under another name
    gone: np.ndarray  # old point ids no title holds any more
    point_of: dict[int, int]  # each re-embedded title's point now


def regroup(model: Model, ids: np.ndarray, stored: np.ndarray, leaving: np.ndarray) -> Regrouped:
    """The points once the titles ``ids`` (sorted, with their new ``stored`` vectors) have
    moved and the titles ``leaving`` (no longer recommendable) have gone (the module's step 2)."""
    floor = 1 - MERGE_DISTANCE
    at = np.searchsorted(model.title_ids, ids)
    known = at < len(model.title_ids)
    known[known] = model.title_ids[at[known]] == ids[known]
    old_point = np.full(len(ids), -1, dtype=np.int64)
    old_point[known] = model.point_of[at[known]]
    own = model.vectors[model.point_row(old_point[known])]
    stays = np.zeros(len(ids), dtype=bool)
    stays[known] = np.einsum("ij,ij->i", stored[known], own) >= floor
    movers = np.flatnonzero(~stays)
    # what remains of each old point: its titles that neither left nor moved
    left = np.isin(model.title_ids, np.concatenate([leaving, ids[movers]]))
    remaining = model.point_of[~left]
    survivors = np.unique(remaining)
    smallest = pd.Series(model.title_ids[~left]).groupby(remaining).min()
    name = dict(zip(smallest.index.to_numpy(), smallest.to_numpy(), strict=True))
    rows = model.point_row(survivors)
    gone = np.setdiff1d(model.point_ids, survivors)
    # movers join the nearest surviving point within MERGE_DISTANCE, or group among themselves
    best = closest_within(stored[movers], model.vectors[rows])
    joins = best >= 0
    point_of = {int(t): int(p) for t, p in zip(ids[stays], old_point[stays], strict=True)}
    for t, s in zip(ids[movers[joins]], survivors[best[joins]], strict=True):
        point_of[int(t)] = int(s)
        name[s] = min(name[s], int(t))
    renamed = {int(s): int(name[s]) for s in survivors if name[s] != s}
    point_of = {t: renamed.get(p, p) for t, p in point_of.items()}
    # (a new point may be named by a title that named a surviving point before it left)
    lonely = movers[~joins]
    group = grouped(stored[lonely] if len(lonely) else np.zeros((0, stored.shape[1])))
    new_ids = ids[lonely][group]
    for t, p in zip(ids[lonely], new_ids, strict=True):
        point_of[int(t)] = int(p)
    added_ids, first = np.unique(new_ids, return_index=True)
    every = np.concatenate([[name[s] for s in survivors], added_ids]).astype(np.int64)
    vectors = np.concatenate([model.vectors[rows], stored[lonely][first]])
    order = np.argsort(every, kind="stable")
    added = np.flatnonzero(order >= len(survivors))
    return Regrouped(every[order], vectors[order], added, renamed, gone, point_of)


def _lists_touched(
    conn: psycopg.Connection, model: Model, after: Regrouped
) -> dict[int, np.ndarray]:
    """The old lists the change touches, by their point's old id: those holding a point gone or
    renamed, and those a new point reaches (at or above their last similarity)."""
    marked = np.concatenate([after.gone, np.fromiter(after.renamed, np.int64)]).tolist()
    rows = conn.execute(
        """SELECT title_id, neighbours[cardinality(neighbours)], neighbours && %s::integer[]
           FROM ml.title_embedding WHERE title_id = point_id AND neighbours IS NOT NULL
           ORDER BY title_id""",
        (marked,),
    ).fetchall()
    if not rows:
        return {}
    listed = np.array([r[0] for r in rows], dtype=np.int64)
    last = np.array([r[1] for r in rows], dtype=np.int64)
    touched = {int(listed[i]) for i, r in enumerate(rows) if r[2]}
    if len(after.added):
        mine = model.vectors[model.point_row(listed)]
        reach = np.einsum("ij,ij->i", mine, model.vectors[model.point_row(last)]) - BOUND_MARGIN
        new = after.vectors[after.added]
        for start in range(0, len(listed), BLOCK * 8):
            block = mine[start : start + BLOCK * 8] @ new.T
            hit = (block >= reach[start : start + BLOCK * 8, None]).any(axis=1)
            touched.update(listed[start : start + BLOCK * 8][hit].tolist())
    # as text parsed at once (psycopg's int arrays, 130 k lists of 100 at full size: a minute)
    lists = conn.execute(
        """SELECT title_id, cardinality(neighbours), array_to_string(neighbours, ',')
           FROM ml.title_embedding WHERE title_id = ANY (%s)""",
        (sorted(touched),),
    ).fetchall()
    if not lists:
        return {}
    members = np.array(",".join(r[2] for r in lists).split(","), dtype=np.int64)
    parts = np.split(members, np.cumsum([r[1] for r in lists])[:-1])
    return {r[0]: part for r, part in zip(lists, parts, strict=True)}


def patch_lists(
    conn: psycopg.Connection, model: Model, after: Regrouped
) -> tuple[dict[int, np.ndarray], int]:
    """The lists to write (point id -> member ids) and how many old ones were patched."""
    old = _lists_touched(conn, model, after)
    survivor_ids = np.setdiff1d(model.point_ids, after.gone)
    new_name = np.array([after.renamed.get(int(s), int(s)) for s in survivor_ids], np.int64)
    final_row = np.searchsorted(after.point_ids, new_name)

    def rows_of(ids: np.ndarray) -> np.ndarray:
        """Final rows of old point ids (-1: a point gone)."""
        at = np.minimum(np.searchsorted(survivor_ids, ids), len(survivor_ids) - 1)
        return np.where(survivor_ids[at] == ids, final_row[at], -1)

    points = np.array([p for p in old if len(survivor_ids)], dtype=np.int64)
    points = points[rows_of(points) >= 0]  # not the list of a point gone
    if len(points):
        lengths = np.array([len(old[p]) for p in points])
        members = rows_of(np.concatenate([old[p] for p in points]))
        previous = dict(
            zip(rows_of(points).tolist(), np.split(members, np.cumsum(lengths)[:-1]), strict=True)
        )
    else:
        previous = {}
    lists = patched_lists(after.vectors, previous, after.added)
    return {int(after.point_ids[r]): after.point_ids[m] for r, m in lists.items()}, len(old)


def _embeddings_of(
    conn: psycopg.Connection, model: ActiveModel, ids: np.ndarray, log_changed: bool
) -> tuple[Embeddings, int, ItemVectors | None]:
    """The re-embedded titles (those of ``ids`` still recommendable), the tokens of theirs the
    fit never saw, and the re-learnt collaborative model when the log changed."""
    p = model.p
    titles = load_titles(conn, ids)
    constants = PriorConstants(model.params["prior_mean_rating"], model.params["prior_max_votes"])
    if titles.empty:
        none = np.zeros(0, np.float32)
        empty = Embeddings(
            np.zeros(0, np.int64), np.zeros((0, DIM), np.float32), titles, none, none, constants
        )
        return empty, 0, None
    counts = title_tokens(conn, titles, p, every=False)
    content, unknown = fold_in(counts, load_fit(conn, model.params["content_fit"]), p)
    title_ids = titles["title_id"].to_numpy()
    if log_changed:
        every = np.array(
            [r[0] for r in conn.execute("SELECT title_id FROM ml.recommendable_title ORDER BY 1")],
            dtype=np.int64,
        )
        relearnt = train_item_vectors(conn, every, p.collab_dim, p.like_threshold, p.seed)
        at = np.searchsorted(every, title_ids)
        collab = ItemVectors(relearnt.vectors[at], relearnt.likes[at], relearnt.clients)
    else:
        relearnt, collab = None, stored_collaborative(conn, title_ids, p)
    return blend(titles, content, collab, p, constants), unknown, relearnt


def refresh_changed(
    conn: psycopg.Connection, model: ActiveModel, catalog_run: int | None, changed: np.ndarray
) -> tuple[int, dict]:
    """Re-embed the ``changed`` titles (and, when the log changed, the liked ones) in place."""
    log_changed = model.log_changed(conn)
    if log_changed:
        liked = conn.execute(
            """SELECT DISTINCT title_id FROM clientlog.rating WHERE rating >= %s
               UNION SELECT title_id FROM ml.title_embedding WHERE collaborative > 0""",
            (model.p.like_threshold,),
        ).fetchall()
        changed = np.union1d(changed, np.array([r[0] for r in liked], dtype=np.int64))
    emb, unknown, relearnt = _embeddings_of(conn, model, changed, log_changed)
    log.info(
        "%s changed titles, %s of them recommendable, embedded", len(changed), len(emb.title_ids)
    )
    _, stored = as_stored(emb.vectors)
    state = Model.load(conn)
    log.info(
        "the model's %s titles and %s points loaded", len(state.title_ids), len(state.point_ids)
    )
    leaving = np.intersect1d(np.setdiff1d(changed, emb.title_ids), state.title_ids)
    after = regroup(state, emb.title_ids, stored, leaving)
    log.info("regrouped: %s new points, %s gone", len(after.added), len(after.gone))
    lists, patched = patch_lists(conn, state, after)
    changes = {
        "refreshed_from": model.version,
        "scope": "changed titles",
        "titles": len(state.title_ids)
        + len(np.setdiff1d(emb.title_ids, state.title_ids))
        - len(leaving),
        "titles_re_embedded": len(emb.title_ids),
        "new_titles": len(np.setdiff1d(emb.title_ids, state.title_ids)),
        "gone_titles": len(leaving),
        "points_added": len(after.added),
        "points_gone": len(after.gone),
        "points_renamed": len(after.renamed),
        "lists_patched": patched,
        "tokens_unknown_to_the_fit": unknown,
        "collaborative": "re-learnt (the log changed)" if log_changed else "kept",
        "titles_with_likes": int((relearnt.likes > 0).sum())
        if relearnt
        else model.metrics.get("titles_with_likes", 0),
        "clients": relearnt.clients if relearnt else model.metrics.get("clients", 0),
    }
    log.info("neighbour lists: %s updated, %s computed in full", patched, len(lists) - patched)
    version = _write(conn, model, catalog_run, emb, after, lists, leaving, changes)
    log.info("embedding model %s refreshed from %s: %s", version, model.version, changes)
    return version, changes


def _write(
    conn: psycopg.Connection,
    model: ActiveModel,
    catalog_run: int | None,
    emb: Embeddings,
    after: Regrouped,
    lists: dict[int, np.ndarray],
    leaving: np.ndarray,
    changes: dict,
) -> int:
    """One transaction: the new model version, the titles re-embedded (a title joining a point
    takes its vector), the points renamed, the lists patched."""
    # the points of the titles written, exactly (``exact_vector_text``: a title
    # joining a point takes its very vector); formatting every point's would take a minute
    used = np.unique(np.fromiter(after.point_of.values(), np.int64, len(after.point_of)))
    rows = np.searchsorted(after.point_ids, used)
    point_text = {
        int(p): exact_vector_text(after.vectors[r]) for p, r in zip(used, rows, strict=True)
    }
    with conn.transaction():
        (version,) = conn.execute(
            """INSERT INTO ml.embedding_model (method, dim, n_titles, params, metrics)
               SELECT method, dim, %s, params || %s::jsonb, %s FROM ml.embedding_model
               WHERE version = %s RETURNING version""",
            (
                changes["titles"],
                json.dumps(
                    fitted_params(model.params["content_fit"], emb.prior_constants, catalog_run)
                ),
                json.dumps(changes),
                model.version,
            ),
        ).fetchone()
        conn.execute(
            "DELETE FROM ml.title_embedding WHERE title_id = ANY (%s)", (leaving.tolist(),)
        )
        if after.renamed:  # first: a new name may be another point's old one
            conn.execute(
                """UPDATE ml.title_embedding e SET point_id = r.new, neighbours = NULL
                   FROM unnest(%s::integer[], %s::integer[]) r (old, new)
                   WHERE e.point_id = r.old""",
                (list(after.renamed), list(after.renamed.values())),
            )
        conn.execute("CREATE TEMP TABLE re_embedded (LIKE ml.title_embedding) ON COMMIT DROP")
        t = emb.titles
        with conn.cursor().copy(
            "COPY re_embedded (title_id, version, title_type, start_year, num_votes, genres,"
            " series_title_id, prior, point_id, collaborative, embedding) FROM STDIN"
        ) as copy:
            for i, title_id in enumerate(emb.title_ids.tolist()):
                point = after.point_of[title_id]
                year, series = t["start_year"].iat[i], t["series_title_id"].iat[i]
                copy.write_row(
                    (
                        title_id,
                        version,
                        t["title_type"].iat[i],
                        None if pd.isna(year) else int(year),
                        int(t["num_votes"].iat[i]),
                        list(t["genres"].iat[i]),
                        None if pd.isna(series) else int(series),
                        float(emb.prior[i]),
                        point,
                        float(emb.collaborative[i]),
                        point_text[point],
                    )
                )
        conn.execute(
            """INSERT INTO ml.title_embedding AS e
               SELECT * FROM re_embedded
               ON CONFLICT (title_id) DO UPDATE SET (version, title_type, start_year, num_votes,
                   genres, series_title_id, prior, point_id, collaborative, neighbours,
                   embedding) = (excluded.version, excluded.title_type, excluded.start_year,
                   excluded.num_votes, excluded.genres, excluded.series_title_id, excluded.prior,
                   excluded.point_id, excluded.collaborative,
                   CASE WHEN e.point_id = excluded.point_id THEN e.neighbours END,
                   excluded.embedding)"""
        )
        ids = list(lists)
        conn.execute(
            """UPDATE ml.title_embedding e SET neighbours = l.neighbours::integer[]
               FROM unnest(%s::integer[], %s::text[]) AS l (title_id, neighbours)
               WHERE e.title_id = l.title_id""",
            (ids, ["{" + ",".join(map(str, lists[i].tolist())) + "}" for i in ids]),
        )
        conn.execute("UPDATE ml.embedding_model SET active = false WHERE active")
        conn.execute("UPDATE ml.embedding_model SET active = true WHERE version = %s", (version,))
        forget_seen(conn)
    return version

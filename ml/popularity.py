"""Popularity models: expected rating and expected audience, trained in Python, scored in SQL.

Features come from ``ml.popularity_features`` (migrations/R__32): type, year, runtime, genres,
adult flag, and for directors, writers, lead actors and producers their smoothed track records
(mean and best rating effect, how many films, audience effect) computed **out-of-fold** for the
training films, so no feature of a training film contains its own rating or votes.

Two kinds of model share the registry (``ml.model``, one active per target):

- ``trees``: scikit-learn ``HistGradientBoostingRegressor``; every node is written to
  ``ml.model_node`` (and packed into ``ml.model_forest``) and walked by ``ml.forest_terms`` in SQL;
- ``ridge``: standardisation + ``RidgeCV``; coefficients folded back to raw units in
  ``ml.model_feature``. Kept as a comparison and a rollback.

Targets: ``rating`` (IMDb average rating, weighted by log10 votes) and ``audience`` (log10 of the
number of votes). The SQL scorer gives the same number as :func:`predict` (tests, 1e-6), and
explanations are path attributions (Saabas) that add up to the prediction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ml import NotReady
from ml.changes import Changes, changes_since, forget_seen, last_import

log = logging.getLogger(__name__)

ROLES = ("director", "writer", "actor", "producer")
ROLE_MEASURES = ("effect", "best", "films", "audience")
RUNTIME_BANDS = [
    (0, 60, "<60"),
    (60, 90, "60-90"),
    (90, 120, "90-120"),
    (120, 150, "120-150"),
    (150, 10**9, "150+"),
]
SMOOTHING_K = 3.0  # pseudo-films of shrinkage, as in migrations/R__32
# versions kept per target and kind by each training (ml.forget_models): its own and the previous
# training's, for a rollback; the active ones always
VERSIONS_KEPT = 2
ALPHAS = np.logspace(-2, 6, 17)
TARGETS = {"rating": "rating", "audience": "log_votes"}
# Chosen on the training folds' own validation (early stopping off: the SQL scorer walks every
# tree, so its size is fixed and small: 200 trees of at most 31 leaves).
TREE_PARAMS = dict(
    max_iter=200, learning_rate=0.08, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0
)


def runtime_band(minutes) -> str:
    if minutes is None or pd.isna(minutes):
        return "na"
    return next(name for low, high, name in RUNTIME_BANDS if low <= minutes < high)


def decade(year) -> str:
    if year is None or pd.isna(year):
        return "na"
    return str(int(min(max(year, 1910), 2020)) // 10 * 10)


def feature_group(name: str) -> str:
    """What the user entered that a feature comes from (as ml.feature_group in SQL)."""
    head = name.split(":", 1)[0]
    return {
        "type": "title type",
        "genre": "genres",
        "genre_count": "genres",
        "decade": "year",
        "year": "year",
        "runtime": "runtime",
        "director": "directors",
        "writer": "writers",
        "actor": "cast",
        "producer": "producers",
    }.get(head, "other")


class FilmFeatures(BaseEstimator, TransformerMixin):
    """Rows of ml.popularity_features -> numeric design matrix with named columns.

    ``drop``: feature-name prefixes left out (the ablation study)."""

    def __init__(self, drop: tuple[str, ...] = ()):
        self.drop = drop

    def fit(self, df: pd.DataFrame, y=None):
        self.types_ = sorted(df["title_type"].unique())
        self.genres_ = sorted({g for gs in df["genres"] for g in gs})
        self.decades_ = sorted({decade(y) for y in df["start_year"]} | {"na"})
        self.year_mean_ = float(df["start_year"].dropna().mean())
        self.runtime_mean_ = float(df["runtime_minutes"].dropna().mean())
        return self

    def _all_names(self) -> list[str]:
        names = [f"type:{t}" for t in self.types_] + [f"genre:{g}" for g in self.genres_]
        names += ["genre_count"] + [f"decade:{d}" for d in self.decades_] + ["year", "runtime"]
        names += [f"runtime:{b}" for b in ["na"] + [n for _, _, n in RUNTIME_BANDS]]
        names += ["adult"] + [f"{r}:{m}" for r in ROLES for m in ROLE_MEASURES]
        return names

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([n for n in self._all_names() if not n.startswith(self.drop or ("\0",))])

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Vectorised (a million films at full size): one column at a time."""
        cols: dict[str, np.ndarray] = {}
        types = df["title_type"].to_numpy()
        for t in self.types_:
            cols[f"type:{t}"] = (types == t).astype(float)
        genre_sets = df["genres"].map(frozenset)
        for g in self.genres_:
            cols[f"genre:{g}"] = np.fromiter((g in gs for gs in genre_sets), float, len(df))
        cols["genre_count"] = genre_sets.map(len).to_numpy(dtype=float)
        years = df["start_year"].astype(float)
        decades = years.map(decade).where(lambda d: d.isin(self.decades_), "na").to_numpy()
        for d in self.decades_:
            cols[f"decade:{d}"] = (decades == d).astype(float)
        cols["year"] = years.fillna(self.year_mean_).to_numpy()
        runtimes = df["runtime_minutes"].astype(float)
        cols["runtime"] = runtimes.fillna(self.runtime_mean_).to_numpy()
        bands = runtimes.map(runtime_band).to_numpy()
        for b in ["na"] + [n for _, _, n in RUNTIME_BANDS]:
            cols[f"runtime:{b}"] = (bands == b).astype(float)
        cols["adult"] = df["is_adult"].astype(float).to_numpy()
        for r in ROLES:
            for m in ROLE_MEASURES:
                cols[f"{r}:{m}"] = df[f"{r}_{m}"].astype(float).to_numpy()
        return np.column_stack([cols[n] for n in self.get_feature_names_out()])


def make_model(kind: str, drop: tuple[str, ...] = (), tree_params: dict | None = None) -> Pipeline:
    if kind == "ridge":  # efficient leave-one-out CV for the penalty
        steps = [("scale", StandardScaler()), ("model", RidgeCV(alphas=ALPHAS))]
    elif kind == "trees":
        params = {**TREE_PARAMS, **(tree_params or {})}
        steps = [("model", HistGradientBoostingRegressor(random_state=0, **params))]
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    return Pipeline([("features", FilmFeatures(drop))] + steps)


def load_features(conn: psycopg.Connection) -> pd.DataFrame:
    """Refresh ml.popularity_features from the current catalogue (the import leaves it empty)
    and read it."""
    conn.execute("REFRESH MATERIALIZED VIEW ml.popularity_features")
    cur = conn.execute("SELECT * FROM ml.popularity_features ORDER BY title_id")
    df = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    measures = tuple(f"_{m}" for m in ROLE_MEASURES) + ("log_votes", "mu", "mu_votes")
    return df.astype({c: float for c in df.columns if c.endswith(measures)})


def sample_weight(df: pd.DataFrame, target: str = "rating") -> np.ndarray | None:
    """The rating of a film with many votes is a surer fact: weight log10(votes). Not for the
    audience, whose target is log10(votes) itself."""
    return np.log10(df["num_votes"].astype(float)).to_numpy() if target == "rating" else None


def metrics(y, pred) -> dict:
    y, pred = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    slope = float(np.polyfit(pred, y, 1)[0]) if len(y) > 2 and np.ptp(pred) > 0 else None
    if len(y) < 2:  # too few held-out films to measure (tiny catalogues)
        return {"r2": None, "rmse": None, "mae": None, "calibration_slope": None, "n": len(y)}
    return {
        "r2": float(r2_score(y, pred)),
        "rmse": float(np.sqrt(mean_squared_error(y, pred))),
        "mae": float(mean_absolute_error(y, pred)),
        "calibration_slope": slope,
        "n": int(len(y)),
    }


@dataclass
class Trained:
    pipeline: Pipeline
    kind: str
    target: str
    train: pd.DataFrame
    holdout: pd.DataFrame
    mu: float
    mu_votes: float
    metrics: dict = field(default_factory=dict)


def fit(
    df: pd.DataFrame, kind: str = "trees", target: str = "rating", tree_params: dict | None = None
) -> Trained:
    """Train on the non-held-out rows; measure on the held-out ones. ``tree_params`` override
    TREE_PARAMS (tests grow bigger trees on tiny catalogues)."""
    train, holdout = df[~df["is_holdout"]], df[df["is_holdout"]]
    y = train[TARGETS[target]]
    pipe = make_model(kind, tree_params=tree_params).fit(
        train, y, model__sample_weight=sample_weight(train, target)
    )
    trained = Trained(
        pipe,
        kind,
        target,
        train,
        holdout,
        float(train["rating"].mean()),
        float(train["log_votes"].mean()),
    )
    truth = holdout[TARGETS[target]].to_numpy()
    pred = pipe.predict(holdout)
    movies = (holdout["title_type"] == "movie").to_numpy()
    residuals = truth - pred if len(truth) else np.zeros(1)
    trained.metrics = {
        "holdout": metrics(truth, pred),
        "holdout_movies_20_votes": metrics(truth[movies], pred[movies]),
        "residual_q10": float(np.quantile(residuals, 0.1)),
        "residual_q90": float(np.quantile(residuals, 0.9)),
    }
    if kind == "ridge":
        trained.metrics["alpha"] = float(pipe.named_steps["model"].alpha_)
    return trained


# ----------------------------------------------------------------------------- trees as rows
def tree_nodes(model: HistGradientBoostingRegressor) -> list[pd.DataFrame]:
    """Each tree as a node table (feature, threshold, missing_left, left, right, value); a split
    node's value is the count-weighted mean of its children, so that path attributions telescope
    from the root's value to the leaf's."""
    trees = []
    for (predictor,) in model._predictors:  # noqa: SLF001 (sklearn exposes no tree API)
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not supported by the SQL scorer")
        value = nodes["value"].astype(float).copy()
        count = nodes["count"].astype(float)
        for i in sorted(range(len(nodes)), key=lambda j: -int(nodes["depth"][j])):
            if not nodes["is_leaf"][i]:
                left, right = nodes["left"][i], nodes["right"][i]
                value[i] = (count[left] * value[left] + count[right] * value[right]) / (
                    count[left] + count[right]
                )
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            pd.DataFrame(
                {
                    "feature": np.where(leaf, -1, nodes["feature_idx"]).astype(int),
                    "threshold": np.where(leaf, np.nan, nodes["num_threshold"]),
                    "missing_left": nodes["missing_go_to_left"].astype(bool),
                    "left": np.where(leaf, -1, nodes["left"]).astype(int),
                    "right": np.where(leaf, -1, nodes["right"]).astype(int),
                    "value": value,
                }
            )
        )
    return trees


def _intercept(model: HistGradientBoostingRegressor) -> float:
    return float(np.ravel(model._baseline_prediction)[0])  # noqa: SLF001 (as sklearn predicts)


def contributions(trained: Trained, df: pd.DataFrame) -> tuple[float, np.ndarray]:
    """(base, C): the prediction for every row is base + C.sum(axis=1), C[:, j] being what
    feature j adds. Ridge: coef * (x - training mean). Trees: Saabas path attributions (each
    split's change of value is credited to its feature); base = intercept + roots' values."""
    x = trained.pipeline.named_steps["features"].transform(df)
    model = trained.pipeline.named_steps["model"]
    if trained.kind == "ridge":
        intercept, coef, mean = raw_coefficients(trained.pipeline)
        return intercept + float(coef @ mean), coef * (x - mean)
    out = np.zeros_like(x)
    base = _intercept(model)
    rows = np.arange(len(x))
    for t in tree_nodes(model):
        feat, thr, miss = t["feature"].to_numpy(), t["threshold"].to_numpy(), t["missing_left"]
        left, right, value = t["left"].to_numpy(), t["right"].to_numpy(), t["value"].to_numpy()
        base += value[0]
        node = np.zeros(len(x), dtype=int)
        active = feat[node] >= 0
        while active.any():
            r, n = rows[active], node[active]
            v = x[r, feat[n]]
            go_left = np.where(np.isnan(v), miss.to_numpy()[n], v <= thr[n])
            child = np.where(go_left, left[n], right[n])
            out[r, feat[n]] += value[child] - value[n]  # one node per row: no repeats
            node[active] = child
            active = feat[node] >= 0
    return base, out


def raw_coefficients(pipe: Pipeline) -> tuple[float, np.ndarray, np.ndarray]:
    """Ridge: intercept, coefficients and training means in raw feature units (scaler folded)."""
    scale, model = pipe.named_steps["scale"], pipe.named_steps["model"]
    safe = np.where(scale.scale_ == 0, 1, scale.scale_)
    coef = model.coef_ / safe
    return float(model.intercept_ - np.sum(coef * scale.mean_)), coef, scale.mean_


# ----------------------------------------------------------------------------- effects
def effect_settings(train: pd.DataFrame) -> list[tuple[str, str, int | None, int | None, dict]]:
    """(kind, label, x, films, column overrides) of the "what drives popularity" view."""
    counts = train["genres"].map(tuple).value_counts()
    settings = [
        ("genre", g, None, int(sum(n for gs, n in counts.items() if g in gs)), {"genres": [g]})
        for g in sorted({g for gs in counts.index for g in gs})
    ]
    combos = counts[[len(gs) > 1 for gs in counts.index]].head(12)
    settings += [
        ("combination", " + ".join(gs), None, int(n), {"genres": list(gs)})
        for gs, n in combos.items()
    ]
    settings += [
        ("runtime", f"{m} min", m, None, {"runtime_minutes": m}) for m in range(60, 211, 10)
    ]
    settings += [("decade", f"{d}s", d, None, {"start_year": d + 5}) for d in range(1930, 2021, 10)]
    return settings


def partial_dependence(trained: Trained, sample: int = 2000) -> pd.DataFrame:
    """Mean prediction over (a fixed sample of) the training movies with one input set."""
    movies = trained.train[trained.train["title_type"] == "movie"]
    if movies.empty:
        movies = trained.train
    movies = movies.sample(min(sample, len(movies)), random_state=0)
    rows = []
    for kind, label, x, films, overrides in effect_settings(trained.train):
        changed = movies.assign(
            **{c: [v] * len(movies) if isinstance(v, list) else v for c, v in overrides.items()}
        )
        value = float(trained.pipeline.predict(changed).mean())
        rows.append((kind, label, x, films, value))
    return pd.DataFrame(rows, columns=["kind", "label", "x", "films", "value"])


# ----------------------------------------------------------------------------- registry
def _group_contributions(trained: Trained, names: np.ndarray) -> pd.DataFrame:
    """What each group of inputs adds, for every training film."""
    _, c = contributions(trained, trained.train)
    return pd.DataFrame(c, columns=names).T.groupby(lambda n: feature_group(n)).sum().T


def _group_means(by_group: pd.DataFrame, types: pd.Series) -> pd.DataFrame:
    """Mean contribution of each input group over the training films of each type."""
    long = by_group.assign(title_type=types.to_numpy()).groupby("title_type").mean().stack()
    long = long.reset_index()
    long.columns = ["title_type", "feature_group", "contribution"]
    return long


def write(
    conn: psycopg.Connection,
    trained: Trained,
    activate: bool = True,
    records: str = "ml.popularity_person_stats",
    records_run: int | None = None,
) -> int:
    """Register a model version: features, trees or coefficients, track records, group means;
    activate it (the previous version of the same target stays, for rollback). ``records_run``:
    the last import the track records have seen (a refresh recomputes those the imports after it
    changed)."""
    features = trained.pipeline.named_steps["features"]
    names = features.get_feature_names_out()
    model = trained.pipeline.named_steps["model"]
    if trained.kind == "ridge":
        intercept, coef, mean = raw_coefficients(trained.pipeline)
    else:
        intercept, coef = _intercept(model), np.full(len(names), np.nan)
        mean = features.transform(trained.train).mean(axis=0)
    params = {
        "smoothing_k": SMOOTHING_K,
        "mu": trained.mu,
        "mu_votes": trained.mu_votes,
        "min_votes": 20,
        "year_mean": features.year_mean_,
        "runtime_mean": features.runtime_mean_,
        "intercept": intercept,
        "records_run": records_run,
        "weight": "log10(num_votes)" if trained.target == "rating" else "none",
        "model": (
            "ridge (RidgeCV, leave-one-out)"
            if trained.kind == "ridge"
            else "HistGradientBoostingRegressor "
            + json.dumps({k: model.get_params()[k] for k in TREE_PARAMS})
        ),
    }
    by_group = _group_contributions(trained, names)
    importance = by_group.abs().mean().sort_values(ascending=False)
    trained.metrics["importance"] = {g: round(float(v), 4) for g, v in importance.items()}
    with conn.transaction():
        (version,) = conn.execute(
            "INSERT INTO ml.model (target, kind, params, metrics) VALUES (%s, %s, %s, %s)"
            " RETURNING version",
            (trained.target, trained.kind, json.dumps(params), json.dumps(trained.metrics)),
        ).fetchone()
        with conn.cursor().copy(
            "COPY ml.model_feature (version, position, feature, mean, coef) FROM STDIN"
        ) as copy:
            for i, (name, c, m) in enumerate(zip(names, coef, mean, strict=True)):
                copy.write_row((version, i, name, float(m), None if np.isnan(c) else float(c)))
        if trained.kind == "trees":
            _write_trees(conn, version, tree_nodes(model))
        with conn.cursor().copy(
            "COPY ml.model_group_mean (version, title_type, feature_group, contribution) FROM STDIN"
        ) as copy:
            for row in _group_means(by_group, trained.train["title_type"]).itertuples(index=False):
                copy.write_row((version, row.title_type, row.feature_group, row.contribution))
        with conn.cursor().copy(
            "COPY ml.model_effect (version, kind, label, x, films, value) FROM STDIN"
        ) as copy:
            for r in partial_dependence(trained).itertuples(index=False):
                x, films = (None if pd.isna(v) else int(v) for v in (r.x, r.films))
                copy.write_row((version, r.kind, r.label, x, films, r.value))
        store_track_records(conn, version, records)
        if activate:
            conn.execute("SELECT ml.activate_model(%s)", (version,))
    return version


def _write_trees(conn: psycopg.Connection, version: int, trees: list[pd.DataFrame]) -> None:
    with conn.cursor().copy(
        "COPY ml.model_node (version, tree, node, feature, threshold, missing_left,"
        " left_child, right_child, value) FROM STDIN"
    ) as copy:
        for t, nodes in enumerate(trees):
            for n, r in enumerate(nodes.itertuples(index=False)):
                leaf = r.feature < 0
                copy.write_row(
                    (
                        version,
                        t,
                        n,
                        None if leaf else r.feature,
                        None if leaf else r.threshold,
                        r.missing_left,
                        None if leaf else r.left,
                        None if leaf else r.right,
                        r.value,
                    )
                )
    conn.execute("SELECT ml.pack_forest(%s)", (version,))


def train(conn: psycopg.Connection, tree_params: dict | None = None) -> tuple[int, dict]:
    """Train and register: trees for the rating and for the audience (activated), and a ridge
    for the rating (registered inactive: the comparison and the rollback)."""
    records_run = last_import(conn)
    df = load_features(conn)
    if len(df) < 20:
        raise NotReady("fewer than 20 rated titles with >= 20 votes: run `netfloox import` first")
    # the track records, aggregated once for the three versions (minutes at full size)
    conn.execute("DROP TABLE IF EXISTS pg_temp.track_records")
    conn.execute("CREATE TEMP TABLE track_records AS SELECT * FROM ml.popularity_person_stats")
    records = "pg_temp.track_records"
    write(conn, fit(df, "ridge", "rating"), False, records, records_run)
    audience = fit(df, "trees", "audience", tree_params)
    audience_version = write(conn, audience, records=records, records_run=records_run)
    rating = fit(df, "trees", "rating", tree_params)
    version = write(conn, rating, records=records, records_run=records_run)
    forget_seen(conn)
    conn.execute("DROP TABLE pg_temp.track_records")
    gone = [r[0] for r in conn.execute("SELECT ml.forget_models(%s)", (VERSIONS_KEPT,))]
    log.info("versions deleted (older than the last %s trainings): %s", VERSIONS_KEPT, gone)
    log.info("rating model %s: %s", version, rating.metrics)
    log.info("audience model %s: %s", audience_version, audience.metrics)
    return version, {**rating.metrics, "audience": audience.metrics}


def store_track_records(conn: psycopg.Connection, version: int, records: str) -> int:
    """Copy the track records of table ``records`` to ml.person_effect for model ``version``,
    with their smoothed rating effect (the model's smoothing_k and mu; what ml.track_record
    lists and api.track_records reads in index order). Returns the rows stored."""
    return conn.execute(
        """INSERT INTO ml.person_effect (version, role, person_id, n, total, total_votes,
                                         rating_effect, films_by_type)
           SELECT m.version, r.role, r.person_id, r.n, r.total, r.total_votes,
                  (r.total + (m.params ->> 'smoothing_k')::float8 * (m.params ->> 'mu')::float8)
                  / (r.n + (m.params ->> 'smoothing_k')::float8) - (m.params ->> 'mu')::float8,
                  r.films_by_type
           FROM """
        + records
        + " r, ml.model m WHERE m.version = %s",
        (version,),
    ).rowcount


def refresh_track_records(conn: psycopg.Connection) -> dict[int, int]:
    """The active models' track records (ml.person_effect) brought to the current catalogue, in
    one transaction: a refresh of the catalogue changes ratings, votes and credits, and a
    person's record is a sum over their films (no refit: the trees and their features stay).
    When every import since the records was incremental, only the records of the people it
    touched are recomputed (a credit or a name of theirs written, or a credit on a changed title:
    ml/changes.py); otherwise every record. Returns {version: records written}."""
    upto = last_import(conn)
    counts = {}
    with conn.transaction():
        seen_by = {}
        for version, seen in conn.execute(
            "SELECT version, (params->>'records_run')::bigint FROM ml.model WHERE active"
        ).fetchall():
            seen_by.setdefault(seen, []).append(version)
        for seen, versions in seen_by.items():  # the records computed once for each
            changes = changes_since(conn, seen, upto)
            people = None if changes is None else touched_people(conn, changes)
            conn.execute("DROP TABLE IF EXISTS pg_temp.track_records")
            conn.execute(
                "CREATE TEMP TABLE track_records ON COMMIT DROP AS"
                " SELECT * FROM ml.popularity_person_stats"
                + ("" if people is None else " WHERE person_id = ANY (%(people)s)"),
                {"people": people},
            )
            for version in versions:
                conn.execute(
                    "DELETE FROM ml.person_effect WHERE version = %(version)s"
                    + ("" if people is None else " AND person_id = ANY (%(people)s)"),
                    {"version": version, "people": people},
                )
                counts[version] = store_track_records(conn, version, "track_records")
                conn.execute(
                    "UPDATE ml.model SET params = params"
                    " || jsonb_build_object('records_run', %s::bigint) WHERE version = %s",
                    (upto, version),
                )
        forget_seen(conn)
    return counts


def touched_people(conn: psycopg.Connection, changes: Changes) -> list[int]:
    """The people whose track records the changes can move: those whose credits were written,
    and those credited on a title whose own row or rating was (its type, rating and votes are
    in all their records)."""
    return [
        r[0]
        for r in conn.execute(
            """SELECT unnest(%s::integer[])
               UNION SELECT person_id FROM ml.popularity_credit WHERE title_id = ANY (%s)""",
            (changes.people.tolist(), changes.facts.tolist()),
        )
    ]


def input_row(
    conn: psycopg.Connection,
    version: int,
    title_type: str = "movie",
    start_year: int | None = None,
    runtime_minutes: int | None = None,
    genres: tuple[str, ...] = (),
    **people: tuple[str, ...],
) -> pd.DataFrame:
    """The feature row of a planned film, as ml.popularity_features would hold it: the Python
    twin of ml.popularity_inputs (people: directors=, writers=, actors=, producers= nm ids)."""
    (params,) = conn.execute(
        "SELECT params FROM ml.model WHERE version = %s", (version,)
    ).fetchone()
    mu, mu_votes, k = params["mu"], params["mu_votes"], params["smoothing_k"]
    row = {
        "title_type": title_type,
        "start_year": start_year,
        "runtime_minutes": runtime_minutes,
        "is_adult": False,
        "genres": sorted(set(genres)),
    }
    for role in ROLES:
        ids = sorted({int(n[2:]) for n in people.get(role + "s", ())})
        records = [
            conn.execute(
                "SELECT n, total, total_votes FROM ml.person_effect WHERE version = %s"
                " AND role = %s AND person_id = %s",
                (version, role, pid),
            ).fetchone()
            or (0, 0.0, 0.0)
            for pid in ids
        ]
        effects = [(total + k * mu) / (n + k) - mu for n, total, _ in records]
        audience = [(votes + k * mu_votes) / (n + k) - mu_votes for n, _, votes in records]
        row[f"{role}_effect"] = float(np.mean(effects)) if ids else 0.0
        row[f"{role}_best"] = float(np.max(effects)) if ids else 0.0
        row[f"{role}_films"] = float(np.log1p(np.mean([r[0] for r in records]))) if ids else 0.0
        row[f"{role}_audience"] = float(np.mean(audience)) if ids else 0.0
    return pd.DataFrame([row])


def predict(trained: Trained, row: pd.DataFrame) -> np.ndarray:
    return trained.pipeline.predict(row)

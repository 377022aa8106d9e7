"""Popularity (expected rating) model: trained in Python, stored as coefficients, scored in SQL.

Features come from ``ml.popularity_features`` (migrations/R__30): type, year, runtime, genres,
adult flag, and for directors, writers, lead actors and producers the smoothed leave-one-out
effect of their other films (mean and best) and how many films they have. A scikit-learn
``Pipeline`` (feature encoding, standardisation, ridge regression with its penalty chosen by
efficient leave-one-out cross-validation, sample weight log10(votes)) is fitted on the training
titles (>= 20 votes, not held out). Its coefficients, folded back to raw feature units, go to
``ml.model_coef``; the track records to ``ml.person_effect``; ``api.predict_rating`` recomputes
the same features from them and gives the same number as ``Pipeline.predict``
(tests/test_popularity.py, 1e-6).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ml import NotReady

log = logging.getLogger(__name__)

ROLES = ("director", "writer", "actor", "producer")
RUNTIME_BANDS = [
    (0, 60, "<60"),
    (60, 90, "60-90"),
    (90, 120, "90-120"),
    (120, 150, "120-150"),
    (150, 10**9, "150+"),
]
SMOOTHING_K = 3.0  # pseudo-films of shrinkage, as in migrations/R__30
ALPHAS = np.logspace(-2, 6, 17)


def runtime_band(minutes) -> str:
    if minutes is None or pd.isna(minutes):
        return "na"
    return next(name for low, high, name in RUNTIME_BANDS if low <= minutes < high)


def decade(year) -> str:
    if year is None or pd.isna(year):
        return "na"
    return str(int(min(max(year, 1910), 2020)) // 10 * 10)


class FilmFeatures(BaseEstimator, TransformerMixin):
    """Rows of ml.popularity_features -> numeric design matrix with named columns."""

    def fit(self, df: pd.DataFrame, y=None):
        self.types_ = sorted(df["title_type"].unique())
        self.genres_ = sorted({g for gs in df["genres"] for g in gs})
        self.decades_ = sorted({decade(y) for y in df["start_year"]} | {"na"})
        self.year_mean_ = float(df["start_year"].dropna().mean())
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = [f"type:{t}" for t in self.types_] + [f"genre:{g}" for g in self.genres_]
        names += [f"decade:{d}" for d in self.decades_] + ["year"]
        names += [f"runtime:{b}" for b in ["na"] + [n for _, _, n in RUNTIME_BANDS]]
        names += ["adult", "genre_count"]
        names += [f"{r}:{m}" for r in ROLES for m in ("effect", "best", "films")]
        return np.array(names)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        cols = {name: np.zeros(len(df)) for name in self.get_feature_names_out()}
        for i, row in enumerate(df.itertuples(index=False)):
            cols[f"type:{row.title_type}"][i] = 1
            for g in row.genres:
                if f"genre:{g}" in cols:
                    cols[f"genre:{g}"][i] = 1
            d = decade(row.start_year)
            cols[f"decade:{d if d in self.decades_ else 'na'}"][i] = 1
            year = self.year_mean_ if pd.isna(row.start_year) else row.start_year
            cols["year"][i] = (year - 2000) / 10
            cols[f"runtime:{runtime_band(row.runtime_minutes)}"][i] = 1
            cols["adult"][i] = float(row.is_adult)
            cols["genre_count"][i] = len(row.genres)
            for r in ROLES:
                for m in ("effect", "best", "films"):
                    cols[f"{r}:{m}"][i] = getattr(row, f"{r}_{m}")
        return np.column_stack(list(cols.values()))


def make_pipeline() -> Pipeline:
    return Pipeline(
        [
            ("features", FilmFeatures()),
            ("scale", StandardScaler()),
            ("model", RidgeCV(alphas=ALPHAS)),
        ]
    )  # efficient leave-one-out CV


def load_features(conn: psycopg.Connection) -> pd.DataFrame:
    cur = conn.execute("SELECT * FROM ml.popularity_features ORDER BY title_id")
    df = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    return df.astype({c: float for c in df.columns if c.endswith(("_effect", "_best", "_films"))})


def sample_weight(df: pd.DataFrame) -> np.ndarray:
    return np.log10(df["num_votes"].astype(float))


def metrics(y, pred) -> dict:
    return {
        "r2": float(r2_score(y, pred)),
        "rmse": float(np.sqrt(mean_squared_error(y, pred))),
        "mae": float(mean_absolute_error(y, pred)),
        "n": int(len(y)),
    }


@dataclass
class Trained:
    pipeline: Pipeline
    train: pd.DataFrame
    holdout: pd.DataFrame
    mu: float
    metrics: dict = field(default_factory=dict)


def fit(df: pd.DataFrame) -> Trained:
    train, holdout = df[~df["is_holdout"]], df[df["is_holdout"]]
    pipe = make_pipeline().fit(train, train["rating"], model__sample_weight=sample_weight(train))
    trained = Trained(pipe, train, holdout, float(train["rating"].mean()))
    pred = pipe.predict(holdout)
    residuals = holdout["rating"].to_numpy() - pred
    trained.metrics = {
        "holdout": metrics(holdout["rating"], pred),
        "holdout_movies_20_votes": metrics(
            holdout["rating"][holdout["title_type"] == "movie"],
            pred[(holdout["title_type"] == "movie").to_numpy()],
        ),
        "residual_q10": float(np.quantile(residuals, 0.1)),
        "residual_q90": float(np.quantile(residuals, 0.9)),
        "alpha": float(pipe.named_steps["model"].alpha_),
    }
    return trained


def raw_coefficients(pipe: Pipeline) -> tuple[float, dict[str, tuple[float, float]]]:
    """Intercept and {feature: (coef, training mean)} in raw feature units (scaler folded in)."""
    scale, model = pipe.named_steps["scale"], pipe.named_steps["model"]
    names = pipe.named_steps["features"].get_feature_names_out()
    safe = np.where(scale.scale_ == 0, 1, scale.scale_)
    coef = model.coef_ / safe
    intercept = float(model.intercept_ - np.sum(coef * scale.mean_))
    return intercept, {
        n: (float(c), float(m)) for n, c, m in zip(names, coef, scale.mean_, strict=True)
    }


def write(conn: psycopg.Connection, trained: Trained) -> int:
    """Register a new model version with its coefficients and track records; activate it."""
    features = trained.pipeline.named_steps["features"]
    intercept, coefs = raw_coefficients(trained.pipeline)
    params = {
        "smoothing_k": SMOOTHING_K,
        "mu": trained.mu,
        "min_votes": 20,
        "year_mean": features.year_mean_,
        "weight": "log10(num_votes)",
        "alpha": trained.metrics["alpha"],
        "model": "ridge (RidgeCV, leave-one-out)",
    }
    with conn.transaction():
        (version,) = conn.execute(
            "INSERT INTO ml.model (params, metrics) VALUES (%s, %s) RETURNING version",
            (json.dumps(params), json.dumps(trained.metrics)),
        ).fetchone()
        with conn.cursor().copy(
            "COPY ml.model_coef (version, feature, coef, mean) FROM STDIN"
        ) as copy:
            copy.write_row((version, "intercept", intercept, 0.0))
            for name, (coef, mean) in coefs.items():
                copy.write_row((version, name, coef, mean))
        conn.execute(
            """INSERT INTO ml.person_effect (version, role, person_id, n, total)
                        SELECT %s, role, person_id, n, total FROM ml.popularity_person_stats""",
            (version,),
        )
        conn.execute("SELECT ml.activate_model(%s)", (version,))
    return version


def train(conn: psycopg.Connection) -> tuple[int, dict]:
    df = load_features(conn)
    if len(df) < 20:
        raise NotReady("fewer than 20 rated titles with >= 20 votes: run `netfloox import` first")
    trained = fit(df)
    version = write(conn, trained)
    log.info("popularity model %s: %s", version, trained.metrics)
    return version, trained.metrics


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
    twin of ml.rating_terms (people: directors=, writers=, actors=, producers= nm ids)."""
    params = conn.execute("SELECT params FROM ml.model WHERE version = %s", (version,)).fetchone()[
        0
    ]
    mu, k = params["mu"], params["smoothing_k"]
    row = {
        "title_type": title_type,
        "start_year": start_year,
        "runtime_minutes": runtime_minutes,
        "is_adult": False,
        "genres": sorted(set(genres)),
    }
    for role in ROLES:
        ids = sorted({int(n[2:]) for n in people.get(role + "s", ())})
        effects, counts = [], []
        for pid in ids:
            rec = conn.execute(
                "SELECT n, total FROM ml.person_effect WHERE version = %s"
                " AND role = %s AND person_id = %s",
                (version, role, pid),
            ).fetchone()
            n, total = rec if rec else (0, 0.0)
            effects.append((total + k * mu) / (n + k) - mu)
            counts.append(n)
        row[f"{role}_effect"] = float(np.mean(effects)) if ids else 0.0
        row[f"{role}_best"] = float(np.max(effects)) if ids else 0.0
        row[f"{role}_films"] = float(np.log1p(np.mean(counts))) if ids else 0.0
    return pd.DataFrame([row])

"""``netfloox eval popularity``: the SQL scorer on titles the training never saw, beside baselines.

Two test sets: the held-out 10 % (hash of tconst, excluded from training and from every track
record) and a time split (a model refitted on films before 2015, tested on the held-out films of
2015 and later). Reported for the **SQL scorer** (``predict_rating`` called for each film with its
real type, year, runtime, genres and people) beside the global mean, a genre + year + runtime ridge,
and a gradient-boosting reference on the same features (what the in-database linear form costs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from database.evaldoc import write_section
from ml.popularity import ROLES, FilmFeatures, fit, load_features, metrics, sample_weight

SQL_SCORES = """
SELECT f.title_id, p.predicted_rating
FROM ml.popularity_features f
CROSS JOIN LATERAL api.predict_rating(
    f.title_type, f.start_year, f.runtime_minutes, f.genres,
    ARRAY(SELECT 'nm' || lpad(c.person_id::text, greatest(7, length(c.person_id::text)), '0')
          FROM ml.popularity_credit c WHERE c.title_id = f.title_id AND c.role = 'director'),
    ARRAY(SELECT 'nm' || lpad(c.person_id::text, greatest(7, length(c.person_id::text)), '0')
          FROM ml.popularity_credit c WHERE c.title_id = f.title_id AND c.role = 'writer'),
    ARRAY(SELECT 'nm' || lpad(c.person_id::text, greatest(7, length(c.person_id::text)), '0')
          FROM ml.popularity_credit c WHERE c.title_id = f.title_id AND c.role = 'actor'),
    ARRAY(SELECT 'nm' || lpad(c.person_id::text, greatest(7, length(c.person_id::text)), '0')
          FROM ml.popularity_credit c WHERE c.title_id = f.title_id AND c.role = 'producer')) p
WHERE f.is_holdout
"""


class BasicFeatures(FilmFeatures):
    """Genres, year and runtime only (the classic baseline)."""

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        names = list(self.get_feature_names_out())
        keep = [
            i
            for i, n in enumerate(names)
            if n.startswith(("genre:", "decade:", "runtime:")) or n == "year"
        ]
        return super().transform(df)[:, keep]


def _movies(df: pd.DataFrame) -> np.ndarray:
    return (df["title_type"] == "movie").to_numpy()


def reference_models(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    w = sample_weight(train)
    basic = Pipeline(
        [
            ("features", BasicFeatures()),
            ("scale", StandardScaler()),
            ("model", RidgeCV(alphas=np.logspace(-2, 4, 13))),
        ]
    )
    basic.fit(train, train["rating"], model__sample_weight=w)
    features = FilmFeatures().fit(train)
    gbr = HistGradientBoostingRegressor(max_iter=300, random_state=0)
    gbr.fit(features.transform(train), train["rating"], sample_weight=w)
    mean = np.average(train["rating"], weights=w)
    return {
        "global mean": np.full(len(test), mean),
        "genre + year + runtime (ridge)": basic.predict(test),
        "gradient boosting, same features (Python reference)": gbr.predict(
            features.transform(test)
        ),
    }


def _rows(name: str, y: np.ndarray, pred: np.ndarray, movies: np.ndarray) -> str:
    a, m = metrics(y, pred), metrics(y[movies], pred[movies])
    return (
        f"| {name} | {m['r2']:.3f} | {m['rmse']:.3f} | {m['mae']:.3f} | "
        f"{a['r2']:.3f} | {a['n']:,} |"
    )


def evaluate(conn: psycopg.Connection) -> str:
    df = load_features(conn)
    holdout = df[df["is_holdout"]].sort_values("title_id")
    sql = dict(conn.execute(SQL_SCORES).fetchall())
    y = holdout["rating"].to_numpy()
    movies = _movies(holdout)
    header = (
        "| model | R² (movies) | RMSE (movies) | MAE (movies) | R² (all types) | titles |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [
        header,
        _rows(
            "**predict_rating() — the SQL scorer**",
            y,
            holdout["title_id"].map(sql).to_numpy(),
            movies,
        ),
    ]
    train = df[~df["is_holdout"]]
    for name, pred in reference_models(train, holdout).items():
        lines.append(_rows(name, y, pred, movies))
    # time split: refit on older films, test on the newest held-out ones
    old, new = train[train["start_year"] < 2015], holdout[holdout["start_year"] >= 2015]
    refit = fit(pd.concat([old, new]))  # fit() trains on the non-held-out rows (old) only
    time_lines = [
        header,
        _rows(
            "ridge, same features, trained < 2015",
            new["rating"].to_numpy(),
            refit.pipeline.predict(new),
            _movies(new),
        ),
    ]
    for name, pred in reference_models(old, new).items():
        time_lines.append(_rows(name, new["rating"].to_numpy(), pred, _movies(new)))
    n_train = len(train)
    return (
        f"Held-out titles (10 %, hash of tconst; training on the other {n_train:,} rated "
        f"titles with ≥ 20 votes):\n\n"
        + "\n".join(lines)
        + "\n\nTime split (trained on films before 2015, tested on held-out films of 2015 and "
        "later; track records still include every training film, so it tests the drift of "
        "the coefficients, not a strict earlier-films-only setting):\n\n"
        + "\n".join(time_lines)
        + f"\n\nRoles used: {', '.join(ROLES)}."
    )


def write_report(conn: psycopg.Connection) -> str:
    body = evaluate(conn)
    write_section("Popularity predictor (held-out R², RMSE, MAE)", "netfloox eval popularity", body)
    return body

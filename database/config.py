"""Configuration read from environment variables, with safe defaults.

| variable               | default                                   |
|------------------------|-------------------------------------------|
| DATABASE_URL           | unset: use the embedded PostgreSQL server |
| NETFLOOX_HOME          | <project>/.netfloox                       |
| NETFLOOX_PGDATA        | $NETFLOOX_HOME/pgdata                     |
| NETFLOOX_CACHE_DIR     | $NETFLOOX_HOME/cache                      |
| NETFLOOX_IMDB_SOURCE   | https://datasets.imdbws.com/              |
| NETFLOOX_IMPORT_WORKERS| 2 (files staged in parallel)              |
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
IMDB_DEFAULT_SOURCE = "https://datasets.imdbws.com/"


def home_dir() -> Path:
    return Path(os.environ.get("NETFLOOX_HOME", PROJECT_ROOT / ".netfloox")).expanduser().resolve()


def pgdata_dir() -> Path:
    value = os.environ.get("NETFLOOX_PGDATA")
    return Path(value).expanduser().resolve() if value else home_dir() / "pgdata"


def cache_dir() -> Path:
    value = os.environ.get("NETFLOOX_CACHE_DIR")
    return Path(value).expanduser().resolve() if value else home_dir() / "cache"


# What `netfloox import` and `make run` keep by default: every title type but episodes (and video
# games). A streaming service recommends and sells films and series, not single episodes; the 9 M
# episodes are three quarters of the dump's titles and most of its credits, and neither the
# recommender nor the popularity model uses them. NETFLOOX_TITLE_TYPES=all keeps everything.
DEFAULT_TITLE_TYPES = (
    "movie",
    "short",
    "tvMovie",
    "tvSeries",
    "tvMiniSeries",
    "tvSpecial",
    "tvShort",
    "video",
)


def title_types() -> tuple[str, ...] | None:
    """The title types to import (None: all), from NETFLOOX_TITLE_TYPES (a comma list or 'all')."""
    value = os.environ.get("NETFLOOX_TITLE_TYPES")
    if value is None or not value.strip():
        return DEFAULT_TITLE_TYPES
    if value.strip().lower() == "all":
        return None
    return tuple(t.strip() for t in value.split(",") if t.strip())


def external_database_url() -> str | None:
    """The user's own PostgreSQL (with pgvector), if DATABASE_URL is set."""
    return os.environ.get("DATABASE_URL") or None


def imdb_source() -> str:
    return os.environ.get("NETFLOOX_IMDB_SOURCE") or IMDB_DEFAULT_SOURCE


def ratings_source() -> str | None:
    """Where the service's client rating log is (MovieLens format); none by default."""
    return os.environ.get("NETFLOOX_RATINGS_SOURCE") or None


def import_workers() -> int:
    return max(1, int(os.environ.get("NETFLOOX_IMPORT_WORKERS", "2")))

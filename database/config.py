"""Configuration: every environment variable Netfloox reads is read here, with a safe default.

The README's configuration table lists them (tests/test_layout.py keeps the two equal).
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


def imports_dir() -> Path:
    """Copies of the files each database's catalogue was built from (the next import compares
    the new files with them: database/kept_files.py)."""
    value = os.environ.get("NETFLOOX_IMPORTS_DIR")
    return Path(value).expanduser().resolve() if value else home_dir() / "imports"


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


def parse_title_types(value: str | None) -> tuple[str, ...] | None:
    """A comma list of title types, 'all' (None: keep every type) or empty (the default)."""
    if value is None or not value.strip():
        return DEFAULT_TITLE_TYPES
    if value.strip().lower() == "all":
        return None
    return tuple(t.strip() for t in value.split(",") if t.strip()) or DEFAULT_TITLE_TYPES


def title_types() -> tuple[str, ...] | None:
    """The title types to import (None: all), from NETFLOOX_TITLE_TYPES (a comma list or 'all')."""
    return parse_title_types(os.environ.get("NETFLOOX_TITLE_TYPES"))


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


def web_host() -> str:
    """Where the web app listens: loopback unless told otherwise."""
    return os.environ.get("NETFLOOX_HOST") or "127.0.0.1"


def web_port() -> int:
    return int(os.environ.get("NETFLOOX_PORT") or "8050")


def web_threads() -> int:
    """Web server threads (also the size of the app's connection pool)."""
    return max(1, int(os.environ.get("NETFLOOX_WEB_THREADS") or "8"))


def app_database_url() -> str | None:
    """The web app's own URL when set (e.g. a replica); else the app role on the main URL."""
    return os.environ.get("NETFLOOX_APP_DATABASE_URL") or None


def test_database_url() -> str | None:
    """Tests on this server instead of testcontainers or the embedded server."""
    return os.environ.get("TEST_DATABASE_URL") or None

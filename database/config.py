"""Configuration: every environment variable Netfloox reads is read here, with a safe default.

The README's configuration table lists them (tests/test_layout.py keeps the two equal).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
IMDB_DEFAULT_SOURCE = "https://datasets.imdbws.com/"


class SettingError(ValueError):
    """An environment variable holds a value Netfloox cannot use; the message names it."""


def _int_setting(name: str, default: int, low: int, high: int | None = None) -> int:
    """The whole number in ``name`` (``default`` when unset or empty), within low..high."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        raise SettingError(f"{name}={raw!r} is not a whole number {bounds}")
    return value


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


def checked_url(name: str) -> str | None:
    """The libpq URL or key=value string in ``name``, if set; a SettingError if libpq cannot
    parse it (the message never repeats a password)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    value = os.environ.get(name) or None
    if value is not None:
        try:
            conninfo_to_dict(value)
        except ProgrammingError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else "unreadable"
            raise SettingError(
                f"{name} is not a PostgreSQL connection URL ({reason}); "
                "expected e.g. postgresql://user:password@host:5432/netfloox"
            ) from None
    return value


def external_database_url() -> str | None:
    """The user's own PostgreSQL (with pgvector), if DATABASE_URL is set."""
    return checked_url("DATABASE_URL")


def imdb_source() -> str:
    return os.environ.get("NETFLOOX_IMDB_SOURCE") or IMDB_DEFAULT_SOURCE


def ratings_source() -> str | None:
    """Where the service's client rating log is (MovieLens format); none by default."""
    return os.environ.get("NETFLOOX_RATINGS_SOURCE") or None


def import_workers() -> int:
    return _int_setting("NETFLOOX_IMPORT_WORKERS", 2, 1, 64)


def web_host() -> str:
    """Where the web app listens: loopback unless told otherwise."""
    return os.environ.get("NETFLOOX_HOST") or "127.0.0.1"


def web_port() -> int:
    return _int_setting("NETFLOOX_PORT", 8050, 1, 65535)


def web_threads() -> int:
    """Web server threads (also the size of the app's connection pool)."""
    return _int_setting("NETFLOOX_WEB_THREADS", 8, 1, 256)


def app_database_url() -> str | None:
    """The web app's own URL when set (e.g. a replica); else the app role on the main URL."""
    return checked_url("NETFLOOX_APP_DATABASE_URL")


def test_database_url() -> str | None:
    """Tests on this server instead of testcontainers or the embedded server."""
    return checked_url("TEST_DATABASE_URL")

"""The app's only door to the database: a connection pool and errors a person can read.

The app works as the role ``netfloox_app`` (migrations/V100), which may only read ``api`` and
``analytics`` and execute the API functions. ``NETFLOOX_APP_DATABASE_URL`` sets its URL; by default
it is the Netfloox database URL with ``options=-c role=netfloox_app``: the configured user logs in
(so passwords and any server work unchanged) and drops to the app's privileges for the session.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from database import config
from database.connection import database_url

log = logging.getLogger(__name__)

APP_ROLE = "netfloox_app"
APP_TIMEOUT = "10s"  # as ALTER ROLE netfloox_app SET statement_timeout (migrations/V100)


class UserError(Exception):
    """A message to show on the page instead of a result; ``status`` is its HTTP status for the
    JSON API: 400 malformed input, 404 an unknown id, 422 a well-formed value the catalogue or
    the model does not know (a genre, a title type), 503 no database or no model yet."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# SQLSTATE -> HTTP status. The API functions raise no_data_found for unknown ids (P0002) and
# invalid_parameter_value (22023) for values they do not know; other data exceptions (22...) are
# malformed input; object_not_in_prerequisite_state (55000): a model is missing; 57014: timeout.
STATUS_BY_SQLSTATE = {"P0002": 404, "22023": 422, "55000": 503, "57014": 503}


def as_app_role(url: str) -> str:
    """``url`` with the session switched to the app's role right after login."""
    return make_conninfo(url, options=f"-c role={APP_ROLE} -c statement_timeout={APP_TIMEOUT}")


def app_database_url() -> str:
    explicit = config.app_database_url()
    if explicit:
        return explicit

    return as_app_role(database_url())


class Database:
    def __init__(self, url: str, max_size: int = 8):
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            timeout=5,
            kwargs={"autocommit": True, "row_factory": dict_row},
        )

    def open(self, wait: bool = False) -> None:
        """Open the pool; with ``wait``, return once a connection is made (30 s at most)."""
        self.pool.open(wait=wait, timeout=30)

    def close(self) -> None:
        self.pool.close()

    def fetch(self, query: str, params: Any = None) -> list[dict]:
        """Rows as dicts; database errors become UserError with a readable message."""
        try:
            with self.pool.connection() as conn:
                return conn.execute(query, params).fetchall()
        except PoolTimeout as exc:
            raise self._unreachable(exc) from exc
        except psycopg.errors.UndefinedFunction as exc:
            raise UserError(
                "This service is not available yet: its model has not been "
                "trained (run `netfloox train`).",
                503,
            ) from exc
        except psycopg.DataError as exc:
            if exc.sqlstate is None:  # refused by the client library: a NUL in a text
                raise UserError(f"Cannot send this value: {exc}", 400) from exc
            raise self._refused(exc) from exc
        except psycopg.Error as exc:
            if _connection_problem(exc):
                raise self._unreachable(exc) from exc
            raise self._refused(exc) from exc

    @staticmethod
    def _refused(exc: psycopg.Error) -> UserError:
        """The server's own message (our SQL functions write them for people), its status."""
        message = exc.diag.message_primary or str(exc)
        log.info("query refused: %s", message)
        status = STATUS_BY_SQLSTATE.get(exc.sqlstate or "", 400)
        return UserError(message[:1].upper() + message[1:], status)

    @staticmethod
    def _unreachable(exc: Exception) -> UserError:
        log.warning("database unavailable: %s", exc)
        return UserError(
            "The database is not reachable right now. Please try again in a moment.", 503
        )


def _connection_problem(exc: psycopg.Error) -> bool:
    """No SQLSTATE (the client lost the server), connection exceptions (08), server shutting
    down (57P), out of resources (53). Errors raised by our SQL functions are not among them."""
    state = exc.sqlstate
    return state is None or state.startswith(("08", "57P", "53"))


_db: Database | None = None


def set_database(db: Database) -> None:
    """Make ``db`` the app's database, closing the one it replaces."""
    global _db
    if _db is not None and _db is not db:
        _db.close()
    _db = db


def db() -> Database:
    if _db is None:
        raise UserError("The app has no database configured.", 503)
    return _db

"""Where the database is and how to connect to it.

``DATABASE_URL`` (any PostgreSQL >= 15 with pgvector) wins; otherwise the embedded server is started
on demand. Every connection gets the pgvector type adapters.
"""

from __future__ import annotations

import psycopg

from database import config, server


def database_url(start: bool = True) -> str:
    """The URL clients should use; starts the embedded server unless ``DATABASE_URL`` is set."""
    external = config.external_database_url()
    if external:
        return external
    return server.start() if start else server.url()


def connect(url: str | None = None, *, autocommit: bool = False, **kwargs) -> psycopg.Connection:
    conn = psycopg.connect(url or database_url(), autocommit=autocommit, **kwargs)
    register_vector(conn)
    return conn


def register_vector(conn: psycopg.Connection) -> None:
    """Register pgvector adapters when the extension exists in this database."""
    from pgvector.psycopg import register_vector as _register

    row = conn.execute("SELECT 1 FROM pg_type WHERE typname = 'vector'").fetchone()
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS and not conn.autocommit:
        conn.rollback()
    if row:
        _register(conn)

"""What the imports changed since a model last saw the catalogue, for the models' refresh.

Each incremental import records the titles and people it wrote a row of (``ops.title_change``,
``ops.person_change``: database/catalog_refresh.py); a model records the last import it has seen
(its ``catalog_run`` or ``records_run``). The changes since are known only while every import
since was incremental; a rebuild records none, and a refresh after it recomputes everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg


@dataclass
class Changes:
    titles: np.ndarray  # sorted title ids (a row of theirs written)
    facts: np.ndarray  # those of them whose own row or rating was written
    people: np.ndarray  # sorted person ids (a credit of theirs written)


def last_import(conn: psycopg.Connection) -> int | None:
    """The last successful import's run: what a training starting now sees."""
    return conn.execute(
        "SELECT max(run_id) FROM ops.import_run WHERE status = 'succeeded'"
    ).fetchone()[0]


def changes_since(conn: psycopg.Connection, seen: int | None, upto: int | None) -> Changes | None:
    """What the imports after run ``seen`` up to run ``upto`` changed; None when unknown (a
    model that did not record its last import, or a rebuild since)."""
    if seen is None:
        return None
    runs = conn.execute(
        """SELECT run_id, report->'titles_changed' FROM ops.import_run
           WHERE status = 'succeeded' AND run_id > %s AND run_id <= %s""",
        (seen, upto or 0),
    ).fetchall()
    if any(recorded is None for _, recorded in runs):
        return None
    ids = [r for r, _ in runs]

    def of(table: str, column: str, where: str = "true") -> np.ndarray:
        rows = conn.execute(
            f"SELECT DISTINCT {column} FROM ops.{table} WHERE run_id = ANY (%s) AND {where}"
            " ORDER BY 1",
            (ids,),
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    return Changes(
        of("title_change", "title_id"),
        of("title_change", "title_id", "facts"),
        of("person_change", "person_id"),
    )


def forget_seen(conn: psycopg.Connection) -> None:
    """Delete the changes every active model has seen (a model that records no last import
    recomputes everything at its next refresh: it needs none)."""
    conn.execute(
        """WITH seen AS (
               SELECT least((SELECT (params->>'catalog_run')::bigint FROM ml.embedding_model
                             WHERE active),
                            (SELECT min((params->>'records_run')::bigint) FROM ml.model
                             WHERE active)) AS run)
           , titles AS (DELETE FROM ops.title_change WHERE run_id <= (SELECT run FROM seen))
           DELETE FROM ops.person_change WHERE run_id <= (SELECT run FROM seen)"""
    )

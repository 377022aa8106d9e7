"""Build a small catalogue directly in the ``catalog`` tables, for tests of what reads it.

Import tests use IMDb-format files (tests/data); tests of the recommender, the popularity model and
the app only need rows, and say so with these helpers. Ids follow the IMDb convention: ``tt…`` and
``nm…`` with ``title_id``/``person_id`` the numeric part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg


def title_id(tconst: str) -> int:
    return int(tconst[2:])


def person_id(nconst: str) -> int:
    return int(nconst[2:])


def _lookup_id(conn: psycopg.Connection, table: str, name: str) -> int:
    key = {
        "title_type": "title_type_id",
        "genre": "genre_id",
        "category": "category_id",
        "profession": "profession_id",
    }[table]
    row = conn.execute(f"SELECT {key} FROM catalog.{table} WHERE name = %s", (name,)).fetchone()
    if row:
        return row[0]
    (new_id,) = conn.execute(f"SELECT coalesce(max({key}), 0) + 1 FROM catalog.{table}").fetchone()
    conn.execute(f"INSERT INTO catalog.{table} ({key}, name) VALUES (%s, %s)", (new_id, name))
    return new_id


def add_person(
    conn: psycopg.Connection, nconst: str, name: str | None = None, birth_year: int | None = None
) -> None:
    conn.execute(
        """INSERT INTO catalog.person (person_id, nconst, primary_name, birth_year, is_placeholder)
           VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (person_id(nconst), nconst, name, birth_year, name is None),
    )


def add_title(
    conn: psycopg.Connection,
    tconst: str,
    title: str,
    *,
    title_type: str = "movie",
    year: int | None = 2000,
    runtime: int | None = 100,
    genres: Sequence[str] = (),
    rating: float | None = None,
    votes: int | None = None,
    directors: Iterable[str] = (),
    writers: Iterable[str] = (),
    cast: Iterable[str] = (),
    producers: Iterable[str] = (),
    is_adult: bool = False,
    original_title: str | None = None,
) -> None:
    """One title with its genres, rating, crew and principals (people created as needed)."""
    tid = title_id(tconst)
    conn.execute(
        """INSERT INTO catalog.title (title_id, tconst, title_type_id, primary_title,
                                      original_title, is_adult, start_year, runtime_minutes)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            tid,
            tconst,
            _lookup_id(conn, "title_type", title_type),
            title,
            original_title or title,
            is_adult,
            year,
            runtime,
        ),
    )
    for pos, genre in enumerate(genres, 1):
        conn.execute(
            "INSERT INTO catalog.title_genre VALUES (%s, %s, %s)",
            (tid, _lookup_id(conn, "genre", genre), pos),
        )
    if rating is not None:
        conn.execute("INSERT INTO catalog.rating VALUES (%s, %s, %s)", (tid, rating, votes or 0))
    for table, people in (("title_director", directors), ("title_writer", writers)):
        for pos, nconst in enumerate(people, 1):
            add_person(conn, nconst, f"Person {nconst}")
            conn.execute(
                f"INSERT INTO catalog.{table} VALUES (%s, %s, %s)", (tid, person_id(nconst), pos)
            )
    ordering = 0
    for category, people in (("actor", cast), ("producer", producers)):
        for nconst in people:
            ordering += 1
            add_person(conn, nconst, f"Person {nconst}")
            conn.execute(
                """INSERT INTO catalog.principal (title_id, ordering, person_id, category_id)
                   VALUES (%s, %s, %s, %s)""",
                (tid, ordering, person_id(nconst), _lookup_id(conn, "category", category)),
            )


def add_aka(
    conn: psycopg.Connection,
    tconst: str,
    title: str,
    region: str | None,
    language: str | None = None,
    types: Sequence[str] | None = None,
) -> None:
    """An alternative title of ``tconst`` (title.akas), after the ones it has."""
    conn.execute(
        """INSERT INTO catalog.aka (title_id, ordering, title, region, language, types)
           SELECT %(id)s, coalesce(max(ordering), 0) + 1, %(title)s, %(region)s, %(language)s,
                  %(types)s
           FROM catalog.aka WHERE title_id = %(id)s""",
        {
            "id": title_id(tconst),
            "title": title,
            "region": region,
            "language": language,
            "types": list(types) if types is not None else None,
        },
    )


def add_episode(
    conn: psycopg.Connection,
    tconst: str,
    series_tconst: str,
    title: str,
    season: int = 1,
    episode: int = 1,
    **kwargs,
) -> None:
    add_title(conn, tconst, title, title_type="tvEpisode", **kwargs)
    conn.execute(
        "INSERT INTO catalog.episode VALUES (%s, %s, %s, %s)",
        (title_id(tconst), title_id(series_tconst), season, episode),
    )


def refresh_analytics(conn: psycopg.Connection) -> None:
    """Re-create the views over the catalogue, as the importer does after a swap."""
    from database.migrate import apply_repeatables

    with conn.transaction():
        apply_repeatables(conn)

"""``netfloox eval search``: does search find what people type? Cases built from the catalogue.

Titles: the 100 most-voted movies, typed exactly, with one typo (a letter dropped from the middle
of the longest word), and without their leading article (when they have one). People: the 100
most-credited and the 100 with the largest audience (votes of their credited titles), by full name
and by surname. Scores: the share of cases whose target is first (top-1) or in the first three.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg

ARTICLE = re.compile(r"^(the|a|an|le|la|les|el|der|die|das) ", re.IGNORECASE)


def typo(text: str) -> str | None:
    """Drop the middle letter of the longest word (of 5 letters or more)."""
    words = text.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return None
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words)


def title_cases(conn: psycopg.Connection, n: int = 100) -> dict[str, list[tuple[str, str]]]:
    rows = conn.execute(
        """SELECT tconst, primary_title FROM analytics.title_search WHERE title_type = 'movie'
           ORDER BY num_votes DESC, title_id LIMIT %s""",
        (n,),
    ).fetchall()
    cases: dict[str, list[tuple[str, str]]] = {"exact": [], "one typo": [], "no article": []}
    for tconst, title in rows:
        cases["exact"].append((title, tconst))
        if (t := typo(title)) is not None:
            cases["one typo"].append((t, tconst))
        if ARTICLE.match(title):
            cases["no article"].append((ARTICLE.sub("", title), tconst))
    return cases


def people_cases(conn: psycopg.Connection, order: str, n: int = 100) -> dict[str, list]:
    rows = conn.execute(
        f"""SELECT nconst, primary_name FROM analytics.person_search
            ORDER BY {order} DESC, nconst LIMIT %s""",
        (n,),
    ).fetchall()
    return {
        "full name": [(name, nconst) for nconst, name in rows],
        "surname": [(name.split(" ")[-1], nconst) for nconst, name in rows if " " in name],
    }


def rates(conn: psycopg.Connection, sql: str, cases: list[tuple[str, str]]) -> tuple[float, ...]:
    first = top3 = 0
    for typed, target in cases:
        found = [r[0] for r in conn.execute(sql, (typed,))]
        first += found[:1] == [target]
        top3 += target in found[:3]
    return first / len(cases), top3 / len(cases), len(cases)


def evaluate(conn: psycopg.Connection) -> list[tuple[str, str, tuple[float, ...]]]:
    titles = "SELECT tconst FROM api.search_titles(%s, 3)"
    people = "SELECT nconst FROM api.search_people(%s, 3)"
    out = [
        ("titles: 100 most-voted movies", kind, rates(conn, titles, cases))
        for kind, cases in title_cases(conn).items()
    ]
    for label, order in (("most-credited", "credits"), ("largest audience", "votes")):
        out += [
            (f"people: 100 {label}", kind, rates(conn, people, cases))
            for kind, cases in people_cases(conn, order).items()
        ]
    return out


def write_report(conn: psycopg.Connection, echo: Callable[[str], None] = print) -> str:
    from harness.reports import write_evaluation

    lines = ["| cases | typed | top-1 | top-3 | cases |", "| --- | --- | ---: | ---: | ---: |"]
    for group, kind, (first, top3, n) in evaluate(conn):
        lines.append(f"| {group} | {kind} | {first:.2f} | {top3:.2f} | {n} |")
    body = "\n".join(lines) + (
        "\n\nTop-1: the target is the first suggestion; top-3: among the first three. A surname "
        "shared by several well-known people (two Nolans, two Coens) cannot always be top-1."
    )
    write_evaluation("Search (what people type)", "netfloox eval search", body)
    return body

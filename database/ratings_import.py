"""``netfloox import ratings``: the service's client rating log, in MovieLens format.

``ratings.csv`` (``userId,movieId,rating,timestamp``) and ``links.csv`` (``movieId,imdbId,tmdbId``)
from a directory or a base URL become ``clientlog.rating`` (client, IMDb title_id, rating, time),
with the IMDb import's care:

* every line is accounted for: stored, rejected (kept in ``ops.rating_import_reject`` with file,
  line and reason), or a duplicate (client, film) pair resolved to the latest rating (counted);
* ratings of films absent from the catalogue are stored and counted (the catalogue changes with
  each IMDb import; training ignores them while they are absent);
* atomic replace: the new log is built beside the live one and swapped in one short transaction;
  a refused or killed import leaves the previous log intact; a re-run of unchanged files does
  nothing;
* ``--append`` (a day's new ratings): the file's ratings are added in one transaction, a client's
  re-rating of a film keeps the later one, and a file applied twice adds nothing;
* streamed: valid lines go straight to PostgreSQL (COPY) and duplicates are resolved there, so a
  log of tens of millions of ratings never sits in Python's memory.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from database import config
from database.download import fetch, sha256

RATINGS = "ratings.csv"
LINKS = "links.csv"
HEADERS = {RATINGS: ["userId", "movieId", "rating", "timestamp"], LINKS: ["movieId", "imdbId"]}
MAX_REJECT_RATE = 0.001


class RatingImportError(Exception):
    """The log was refused; the previous one is untouched."""


@dataclass
class Reject:
    file_name: str
    line_no: int
    reason: str
    raw_line: str


@dataclass
class RatingReport:
    run_id: int = 0
    source: str = ""
    mode: str = "replace"  # or "append"
    status: str = "running"
    lines_read: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    stored: int = 0  # ratings in the log afterwards
    added: int = 0  # append: (client, film) pairs new to the log
    updated: int = 0  # append: pairs whose rating the file changed (a later rating)
    unchanged: int = 0  # append: pairs the log already held as rated (or rated later)
    duplicates: int = 0
    absent_from_catalogue: int = 0
    clients: int = 0
    films: int = 0
    seconds: float = 0.0
    digests: dict[str, str] = field(default_factory=dict)  # sha256 of each file

    def render(self) -> str:
        if self.status == "unchanged":
            return f"Rating log already loaded from these files ({self.source}): nothing to do."
        read = ", ".join(f"{n} {c:,} lines" for n, c in self.lines_read.items())
        bad = ", ".join(f"{n} {c:,}" for n, c in self.rejected.items())
        appended = (
            [
                f"appended: {self.added:,} new ratings, {self.updated:,} updated to a later "
                f"rating, {self.unchanged:,} already in the log"
            ]
            if self.mode == "append"
            else []
        )
        return "\n".join(
            [
                f"Rating log run {self.run_id} from {self.source} ({self.mode}): {self.status}"
                f" in {self.seconds:.1f} s",
                f"read: {read}; rejected: {bad}",
                *appended,
                f"the log holds {self.stored:,} ratings by {self.clients:,} clients on "
                f"{self.films:,} films; duplicate (client, film) pairs resolved to the latest: "
                f"{self.duplicates:,}; ratings of films absent from the catalogue: "
                f"{self.absent_from_catalogue:,} (kept, ignored by training)",
                "rejected lines: SELECT * FROM ops.rating_import_reject WHERE run_id = "
                f"{self.run_id};",
            ]
        )


def _rows(path: Path, name: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line number, fields or None when the line is not valid CSV text, raw line); the header is
    checked and skipped. Bad UTF-8 is a rejected line, not a failed import."""
    with open(path, "rb") as f:
        header = f.readline().decode("utf-8", "replace").strip().lstrip("\ufeff").split(",")
        if header[: len(HEADERS[name])] != HEADERS[name]:
            raise RatingImportError(
                f"{name}:1: header {','.join(header)!r}, expected "
                f"{','.join(HEADERS[name])!r} (MovieLens format)"
            )
        for line_no, raw in enumerate(f, start=2):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield line_no, None, raw.decode("utf-8", "replace").rstrip("\r\n")
                continue
            fields = next(csv.reader([text])) if text else []
            yield line_no, fields, text


def parse_links(path: Path, rejects: list[Reject]) -> tuple[dict[int, int], int]:
    """movieId -> IMDb title_id, and the number of lines read."""
    links: dict[int, int] = {}
    read = 0
    for line_no, fields, raw in _rows(path, LINKS):
        read += 1
        reason = None
        if fields is None:
            reason = "not valid UTF-8"
        elif len(fields) < 2:
            reason = f"{len(fields)} fields, expected movieId,imdbId,tmdbId"
        elif not fields[0].isdigit() or not fields[1].isdigit():
            reason = f"movieId {fields[0]!r} and imdbId {fields[1]!r} must be numbers"
        elif int(fields[0]) in links:
            reason = f"movieId {fields[0]} linked twice"
        if reason:
            rejects.append(Reject(LINKS, line_no, reason, raw))
            continue
        links[int(fields[0])] = int(fields[1])
    return links, read


def _rating_fields(fields: list[str] | None, links: dict[int, int]) -> tuple | str:
    """(client, title_id, rating, timestamp or None), or the reason the line is rejected."""
    if fields is None:
        return "not valid UTF-8"
    if len(fields) != 4:
        return f"{len(fields)} fields, expected userId,movieId,rating,timestamp"
    user, movie, rating, stamp = (f.strip() for f in fields)
    if not user.isdigit() or not 0 < int(user) < 2**31:
        return f"userId {user!r} is not a positive integer"
    if not movie.isdigit():
        return f"movieId {movie!r} is not an integer"
    try:
        value = float(rating)
    except ValueError:
        return f"rating {rating!r} is not a number"
    if not (math.isfinite(value) and 0 <= value <= 10):
        return f"rating {rating!r} is outside 0..10"
    if stamp and not stamp.isdigit():
        return f"timestamp {stamp!r} is not a Unix time"
    if int(movie) not in links:
        return f"movieId {movie} has no IMDb link in {LINKS}"
    return int(user), links[int(movie)], value, int(stamp) if stamp else None


COPY_CHUNK = 1 << 20  # characters of COPY text sent at a time


def stream_ratings(
    path: Path, links: dict[int, int], rejects: list[Reject], copy: psycopg.Copy
) -> int:
    """Send every valid line of ratings.csv to ``copy`` as (client, title_id, rating, epoch,
    line) without holding the file (20 M lines would be gigabytes of Python tuples); duplicates
    are resolved in SQL. Returns the lines read."""
    read = 0
    buf: list[str] = []
    size = 0
    for line_no, fields, raw in _rows(path, RATINGS):
        read += 1
        parsed = _rating_fields(fields, links)
        if isinstance(parsed, str):
            rejects.append(Reject(RATINGS, line_no, parsed, raw))
            continue
        client, title, value, stamp = parsed
        when = "\\N" if stamp is None else stamp
        row = f"{client}\t{title}\t{value}\t{when}\t{line_no}\n"
        buf.append(row)
        size += len(row)
        if size >= COPY_CHUNK:
            copy.write("".join(buf))
            buf, size = [], 0
    copy.write("".join(buf))
    return read


def _load_lines(conn: psycopg.Connection, paths: dict, links: dict, rejects: list, report) -> None:
    """The valid lines of ratings.csv into the session's ``rating_line`` table."""
    conn.execute(
        """CREATE TEMP TABLE rating_line (client_id integer, title_id integer, rating real,
                                          rated_epoch bigint, line_no bigint)"""
    )
    with conn.cursor().copy("COPY rating_line FROM STDIN") as copy:
        report.lines_read[RATINGS] = stream_ratings(paths[RATINGS], links, rejects, copy)
    valid, pairs = conn.execute(
        """SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT client_id, title_id
                                                   FROM rating_line) d)
           FROM rating_line"""
    ).fetchone()
    report.duplicates = valid - pairs


# The latest rating of each (client, film): by time, then by line (a later line wins a tie).
LATEST = """SELECT DISTINCT ON (client_id, title_id) client_id, title_id, rating,
                   to_timestamp(rated_epoch) AS rated_at
            FROM rating_line
            ORDER BY client_id, title_id, coalesce(rated_epoch, 0) DESC, line_no DESC"""


def _count_log(conn: psycopg.Connection, table: str, report: RatingReport) -> None:
    report.absent_from_catalogue = conn.execute(
        f"""SELECT count(*) FROM {table} r
            WHERE NOT EXISTS (SELECT 1 FROM catalog.title t
                              WHERE t.title_id = r.title_id AND NOT t.is_placeholder)"""
    ).fetchone()[0]
    report.clients, report.films = conn.execute(
        f"SELECT count(DISTINCT client_id), count(DISTINCT title_id) FROM {table}"
    ).fetchone()


def _succeed(conn: psycopg.Connection, run_id: int, report: RatingReport) -> None:
    report.status = "succeeded"
    conn.execute(
        """UPDATE ops.rating_import_run SET status = 'succeeded', finished_at = now(),
                  report = %s WHERE run_id = %s""",
        (json.dumps(asdict(report)), run_id),
    )


def _swap_in(conn: psycopg.Connection, run_id: int, report: RatingReport) -> None:
    """Replace the log: the new one is built beside it and swapped in one short transaction."""
    conn.execute("DROP TABLE IF EXISTS clientlog.rating_next")
    conn.execute(
        "CREATE TABLE clientlog.rating_next (LIKE clientlog.rating INCLUDING DEFAULTS"
        " INCLUDING CONSTRAINTS)"
    )
    report.stored = conn.execute(f"INSERT INTO clientlog.rating_next {LATEST}").rowcount
    conn.execute(
        "ALTER TABLE clientlog.rating_next ADD CONSTRAINT rating_next_pkey"
        " PRIMARY KEY (client_id, title_id)"
    )
    conn.execute("CREATE INDEX rating_next_title ON clientlog.rating_next (title_id)")
    conn.execute("ANALYZE clientlog.rating_next")
    _count_log(conn, "clientlog.rating_next", report)
    with conn.transaction():
        conn.execute("LOCK TABLE clientlog.rating IN ACCESS EXCLUSIVE MODE")
        conn.execute("DROP TABLE clientlog.rating")
        conn.execute("ALTER TABLE clientlog.rating_next RENAME TO rating")
        conn.execute("ALTER INDEX clientlog.rating_next_pkey RENAME TO rating_pkey")
        conn.execute("ALTER INDEX clientlog.rating_next_title RENAME TO rating_title")
        _succeed(conn, run_id, report)


def _append(conn: psycopg.Connection, run_id: int, report: RatingReport) -> None:
    """Add the new ratings to the log in one transaction: a (client, film) already rated keeps
    the later rating (by time; the new file wins a tie), and an identical rating changes
    nothing, so a file applied twice adds nothing. Readers keep reading the log meanwhile."""
    with conn.transaction():
        rows = conn.execute(
            f"""INSERT INTO clientlog.rating AS r {LATEST}
                ON CONFLICT (client_id, title_id) DO UPDATE
                SET rating = excluded.rating, rated_at = excluded.rated_at
                WHERE coalesce(excluded.rated_at, 'epoch') >= coalesce(r.rated_at, 'epoch')
                  AND (excluded.rating, excluded.rated_at)
                      IS DISTINCT FROM (r.rating, r.rated_at)
                RETURNING xmax = 0"""
        ).fetchall()
        report.added = sum(1 for (new,) in rows if new)
        report.updated = len(rows) - report.added
        distinct = report.lines_read[RATINGS] - report.rejected[RATINGS] - report.duplicates
        report.unchanged = distinct - len(rows)
        report.stored = conn.execute("SELECT count(*) FROM clientlog.rating").fetchone()[0]
        _count_log(conn, "clientlog.rating", report)
        _succeed(conn, run_id, report)


def _unchanged(conn: psycopg.Connection, digests: dict[str, str]) -> bool:
    row = conn.execute(
        """SELECT report->'digests', coalesce(report->>'mode', 'replace')
           FROM ops.rating_import_run WHERE status = 'succeeded'
           ORDER BY run_id DESC LIMIT 1"""
    ).fetchone()
    return bool(row and row[0] == digests and row[1] == "replace")


def run_ratings_import(
    url: str,
    source: str,
    *,
    force: bool = False,
    append: bool = False,
    max_reject_rate: float = MAX_REJECT_RATE,
    echo: Callable[[str], None] = print,
) -> RatingReport:
    """Load the log at ``source`` (a directory or a base URL): swap it in as the whole log, or
    with ``append`` add its ratings to the log already loaded."""
    started = time.perf_counter()
    paths = fetch(source, [RATINGS, LINKS], config.cache_dir() / "ratings", echo)
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise RatingImportError(f"{source}: {', '.join(missing)} not found (MovieLens format)")
    digests = {name: sha256(path) for name, path in paths.items()}
    report = RatingReport(source=source, digests=digests, mode="append" if append else "replace")
    with psycopg.connect(url, autocommit=True) as conn:
        if not force and not append and _unchanged(conn, digests):
            report.status = "unchanged"
            return report
        (report.run_id,) = conn.execute(
            "INSERT INTO ops.rating_import_run (source) VALUES (%s) RETURNING run_id", (source,)
        ).fetchone()
        try:
            rejects: list[Reject] = []
            links, report.lines_read[LINKS] = parse_links(paths[LINKS], rejects)
            conn.execute("SET work_mem = '256MB'")
            _load_lines(conn, paths, links, rejects, report)
            _record(conn, report, rejects)
            for name, read in report.lines_read.items():
                if read and report.rejected[name] / read > max_reject_rate:
                    raise RatingImportError(
                        f"{name}: {report.rejected[name]:,} of {read:,} lines rejected (more "
                        f"than {max_reject_rate:.1%}); see SELECT * FROM "
                        f"ops.rating_import_reject WHERE run_id = {report.run_id}"
                    )
            if report.lines_read[RATINGS] == report.rejected[RATINGS]:
                raise RatingImportError(f"{source}: {RATINGS} holds no rating")
            report.seconds = time.perf_counter() - started
            (_append if append else _swap_in)(conn, report.run_id, report)
        except Exception as exc:
            conn.execute(
                """UPDATE ops.rating_import_run SET status = 'failed', finished_at = now(),
                          error = %s WHERE run_id = %s""",
                (str(exc), report.run_id),
            )
            raise
    report.seconds = time.perf_counter() - started
    return report


def _record(conn: psycopg.Connection, report: RatingReport, rejects: list[Reject]) -> None:
    report.rejected = {name: 0 for name in report.lines_read}
    for r in rejects:
        report.rejected[r.file_name] += 1
    with conn.cursor().copy(
        "COPY ops.rating_import_reject (run_id, file_name, line_no, reason, raw_line) FROM STDIN"
    ) as copy:
        for r in rejects:
            copy.write_row((report.run_id, r.file_name, r.line_no, r.reason, r.raw_line[:1000]))

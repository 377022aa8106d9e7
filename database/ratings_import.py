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
  nothing.
"""

from __future__ import annotations

import csv
import io
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
    status: str = "running"
    lines_read: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    stored: int = 0
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
        return "\n".join(
            [
                f"Rating log run {self.run_id} from {self.source}: {self.status} in "
                f"{self.seconds:.1f} s",
                f"read: {read}; rejected: {bad}",
                f"stored {self.stored:,} ratings by {self.clients:,} clients on {self.films:,} "
                f"films; duplicate (client, film) pairs resolved to the latest: "
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


def parse_ratings(
    path: Path, links: dict[int, int], rejects: list[Reject]
) -> tuple[dict[tuple[int, int], tuple[float, int | None]], int, int]:
    """{(client, title_id): (rating, timestamp)} keeping the latest of duplicates, lines read,
    duplicates resolved."""
    ratings: dict[tuple[int, int], tuple[float, int | None]] = {}
    read = duplicates = 0
    for line_no, fields, raw in _rows(path, RATINGS):
        read += 1
        parsed = _rating_fields(fields, links)
        if isinstance(parsed, str):
            rejects.append(Reject(RATINGS, line_no, parsed, raw))
            continue
        client, title, value, stamp = parsed
        key = (client, title)
        if key in ratings:
            duplicates += 1
            if (stamp or 0) < (ratings[key][1] or 0):
                continue  # an older rating of the same film: the latest one stays
        ratings[key] = (value, stamp)
    return ratings, read, duplicates


def _copy_text(ratings: dict[tuple[int, int], tuple[float, int | None]]) -> str:
    buf = io.StringIO()
    for (client, title), (value, stamp) in ratings.items():
        when = "\\N" if stamp is None else f"{stamp}"
        buf.write(f"{client}\t{title}\t{value}\t{when}\n")
    return buf.getvalue()


def _swap_in(conn: psycopg.Connection, ratings: dict, run_id: int, report: RatingReport) -> None:
    conn.execute("DROP TABLE IF EXISTS clientlog.rating_next")
    conn.execute(
        "CREATE TABLE clientlog.rating_next (LIKE clientlog.rating INCLUDING DEFAULTS"
        " INCLUDING CONSTRAINTS, rated_epoch bigint)"
    )
    with conn.cursor().copy(
        "COPY clientlog.rating_next (client_id, title_id, rating, rated_epoch) FROM STDIN"
    ) as copy:
        copy.write(_copy_text(ratings))
    conn.execute(
        "UPDATE clientlog.rating_next SET rated_at = to_timestamp(rated_epoch)"
        " WHERE rated_epoch IS NOT NULL"
    )
    conn.execute("ALTER TABLE clientlog.rating_next DROP COLUMN rated_epoch")
    conn.execute(
        "ALTER TABLE clientlog.rating_next ADD CONSTRAINT rating_next_pkey"
        " PRIMARY KEY (client_id, title_id)"
    )
    conn.execute("CREATE INDEX rating_next_title ON clientlog.rating_next (title_id)")
    conn.execute("ANALYZE clientlog.rating_next")
    report.absent_from_catalogue = conn.execute(
        """SELECT count(*) FROM clientlog.rating_next r
           WHERE NOT EXISTS (SELECT 1 FROM catalog.title t
                             WHERE t.title_id = r.title_id AND NOT t.is_placeholder)"""
    ).fetchone()[0]
    report.clients, report.films = conn.execute(
        "SELECT count(DISTINCT client_id), count(DISTINCT title_id) FROM clientlog.rating_next"
    ).fetchone()
    with conn.transaction():
        conn.execute("LOCK TABLE clientlog.rating IN ACCESS EXCLUSIVE MODE")
        conn.execute("DROP TABLE clientlog.rating")
        conn.execute("ALTER TABLE clientlog.rating_next RENAME TO rating")
        conn.execute("ALTER INDEX clientlog.rating_next_pkey RENAME TO rating_pkey")
        conn.execute("ALTER INDEX clientlog.rating_next_title RENAME TO rating_title")
        report.status = "succeeded"
        conn.execute(
            """UPDATE ops.rating_import_run SET status = 'succeeded', finished_at = now(),
                      report = %s WHERE run_id = %s""",
            (json.dumps(asdict(report)), run_id),
        )


def _unchanged(conn: psycopg.Connection, digests: dict[str, str]) -> bool:
    row = conn.execute(
        """SELECT report->'digests' FROM ops.rating_import_run WHERE status = 'succeeded'
           ORDER BY run_id DESC LIMIT 1"""
    ).fetchone()
    return bool(row and row[0] == digests)


def run_ratings_import(
    url: str,
    source: str,
    *,
    force: bool = False,
    max_reject_rate: float = MAX_REJECT_RATE,
    echo: Callable[[str], None] = print,
) -> RatingReport:
    """Load the log at ``source`` (a directory or a base URL) and swap it in."""
    started = time.perf_counter()
    paths = fetch(source, [RATINGS, LINKS], config.cache_dir() / "ratings", echo)
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise RatingImportError(f"{source}: {', '.join(missing)} not found (MovieLens format)")
    digests = {name: sha256(path) for name, path in paths.items()}
    report = RatingReport(source=source, digests=digests)
    with psycopg.connect(url, autocommit=True) as conn:
        if not force and _unchanged(conn, digests):
            report.status = "unchanged"
            return report
        (report.run_id,) = conn.execute(
            "INSERT INTO ops.rating_import_run (source) VALUES (%s) RETURNING run_id", (source,)
        ).fetchone()
        try:
            rejects: list[Reject] = []
            links, report.lines_read[LINKS] = parse_links(paths[LINKS], rejects)
            ratings, report.lines_read[RATINGS], report.duplicates = parse_ratings(
                paths[RATINGS], links, rejects
            )
            _record(conn, report, rejects)
            for name, read in report.lines_read.items():
                if read and report.rejected[name] / read > max_reject_rate:
                    raise RatingImportError(
                        f"{name}: {report.rejected[name]:,} of {read:,} lines rejected (more "
                        f"than {max_reject_rate:.1%}); see SELECT * FROM "
                        f"ops.rating_import_reject WHERE run_id = {report.run_id}"
                    )
            if not ratings:
                raise RatingImportError(f"{source}: {RATINGS} holds no rating")
            report.stored = len(ratings)
            report.seconds = time.perf_counter() - started
            _swap_in(conn, ratings, report.run_id, report)
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

"""Stream an IMDb gzip TSV file into PostgreSQL with COPY, losing nothing.

The file is decompressed in a background thread (zlib releases the GIL) in blocks of whole lines;
each block goes to the server in one ``COPY`` inside a savepoint. A block the server refuses (wrong
column count, invalid UTF-8, a NUL byte...) is rolled back and bisected until every bad line is
isolated: good lines are stored, bad ones are returned with their line number and the server's
reason. Clean files therefore cost one COPY per block, like a bare COPY.

COPY runs in CSV mode with a tab delimiter and a quote character that IMDb never uses, so that
backslashes and ``"`` are plain data and only the exact field ``\\N`` is NULL.
"""

from __future__ import annotations

import gzip
import queue
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from database.imdb_files import ImdbFile

BLOCK_BYTES = 8 << 20
QUOTE = b"\x01"
COPY_OPTIONS = (
    "FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', ESCAPE E'\\x01', NULL '\\N', ENCODING 'UTF8'"
)


class ImportFileError(Exception):
    """A file that cannot be imported at all (missing header, wrong header, broken gzip)."""

    def __init__(self, file_name: str, message: str, line_no: int | None = None):
        where = f"{file_name}, line {line_no}" if line_no else file_name
        super().__init__(f"{where}: {message}")
        self.file_name = file_name
        self.line_no = line_no


@dataclass(frozen=True)
class Block:
    first_line: int  # file line number of the first line (the header is line 1)
    n_lines: int  # lines read from the file
    data: bytes  # whole lines, each ending with b"\n"
    # True: ``data`` holds some of the lines, each after its line number and a tab
    # (database/kept_titles.py)
    numbered: bool = False

    def lines(self) -> list[tuple[int, bytes]]:
        """(line number, line) of each line of the block."""
        lines = self.data.split(b"\n")[:-1]
        if not self.numbered:
            return list(enumerate(lines, self.first_line))
        pairs = (x.split(b"\t", 1) for x in lines)
        return [(int(n), line) for n, line in pairs]


@dataclass(frozen=True)
class Reject:
    line_no: int
    reason: str
    raw: bytes


def check_header(spec: ImdbFile, header: bytes) -> None:
    got = tuple(header.rstrip(b"\r\n").decode("utf-8", "backslashreplace").split("\t"))
    if got != spec.header:
        raise ImportFileError(
            spec.name,
            f"wrong header: expected {chr(9).join(spec.header)!r}, got {chr(9).join(got)!r}",
            line_no=1,
        )


def read_blocks(path: Path, spec: ImdbFile, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """Blocks of whole lines after a checked header; a truncated or corrupt gzip raises."""
    line_no = 2
    try:
        with gzip.open(path, "rb") as f:
            header = f.readline()
            if not header:
                raise ImportFileError(spec.name, "empty file (no header line)")
            check_header(spec, header)
            carry = b""
            while block := f.read(block_bytes):
                data = carry + block
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                carry, data = data[cut:], data[:cut]
                n = data.count(b"\n")
                yield Block(line_no, n, data)
                line_no += n
            if carry:
                yield Block(line_no, 1, carry + b"\n")
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        if isinstance(exc, ImportFileError):
            raise
        raise ImportFileError(
            spec.name, f"truncated or corrupt gzip near line {line_no}: {exc}"
        ) from exc


def prefetch(blocks: Iterator[Block], depth: int = 3) -> Iterator[Block]:
    """Decompress ahead in a thread while the main thread talks to the server."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def work() -> None:
        try:
            for b in blocks:
                q.put(b)
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    threading.Thread(target=work, daemon=True).start()
    while (item := q.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _copy(cur: psycopg.Cursor, sql: str, data: bytes) -> None:
    with cur.copy(sql) as copy:
        copy.write(data)


def _number_lines(lines: list[tuple[int, bytes]]) -> bytes:
    """COPY text of (line number, line) pairs: the number first, as staging's line_no."""
    out = []
    for line_no, line in lines:
        if b"\r" in line or QUOTE in line:  # keep a stray CR as data: quote the fields holding it
            line = b"\t".join(
                QUOTE + f.replace(QUOTE, QUOTE + QUOTE) + QUOTE if (b"\r" in f or QUOTE in f) else f
                for f in line.split(b"\t")
            )
        out.append(b"%d\t%s\n" % (line_no, line))
    return b"".join(out)


class StagingCopier:
    """COPY blocks of one file into its staging table, isolating the lines the server refuses."""

    def __init__(self, conn: psycopg.Connection, spec: ImdbFile):
        self.conn = conn
        self.spec = spec
        cols = ", ".join(spec.columns)
        self.copy_fast = f"COPY {spec.staging} ({cols}) FROM STDIN WITH ({COPY_OPTIONS})"
        self.copy_numbered = (
            f"COPY {spec.staging} (line_no, {cols}) FROM STDIN WITH ({COPY_OPTIONS})"
        )
        self.seq = f"{spec.staging}_line_seq"

    def prepare(self) -> None:
        """Empty the staging table (its line_no default is a sequence, reset per block)."""
        self.conn.execute(f"TRUNCATE {self.spec.staging}")

    def load(self, block: Block) -> list[Reject]:
        if not block.data:  # a numbered block whose every line was left out
            return []
        cur = self.conn.cursor()
        if not block.numbered:  # the sequence numbers the lines
            self.conn.execute("SELECT setval(%s, %s, false)", (self.seq, block.first_line))
        try:
            with self.conn.transaction():
                _copy(cur, self.copy_numbered if block.numbered else self.copy_fast, block.data)
            return []
        except psycopg.Error:
            return self._bisect(cur, block.lines())

    def load_lines(self, lines: list[tuple[int, bytes]]) -> list[Reject]:
        """Some lines of the file, each with its line number (an incremental import's changed
        lines), in one COPY; the refused ones isolated as ``load`` does."""
        return self._bisect(self.conn.cursor(), lines) if lines else []

    def reason(self, exc: psycopg.Error, line: bytes) -> str:
        """The server's refusal, named by the IMDb field at fault."""
        fields = line.count(b"\t") + 1
        if fields != len(self.spec.columns):
            return f"expected {len(self.spec.columns)} tab-separated fields, found {fields}"
        diag = exc.diag
        field = {c: h for c, h in zip(self.spec.columns, self.spec.header, strict=True)}
        if diag.sqlstate == "23514" and diag.constraint_name:  # our CHECKs are named as reasons
            return diag.constraint_name
        if diag.sqlstate == "23502" and diag.column_name:
            return f"{field.get(diag.column_name, diag.column_name)}: missing"
        message = (diag.message_primary or str(exc)).strip()
        column = re.search(r"column (\w+)", diag.context or "")
        if column and column.group(1) in field:
            return f"{field[column.group(1)]}: {message}"
        return message

    def _bisect(self, cur: psycopg.Cursor, lines: list[tuple[int, bytes]]) -> list[Reject]:
        try:
            with self.conn.transaction():
                _copy(cur, self.copy_numbered, _number_lines(lines))
            return []
        except psycopg.Error as exc:
            if len(lines) == 1:
                return [Reject(lines[0][0], self.reason(exc, lines[0][1]), lines[0][1])]
        half = len(lines) // 2
        return self._bisect(cur, lines[:half]) + self._bisect(cur, lines[half:])

"""Which lines changed between two versions of an IMDb file, at about the speed of reading them.

IMDb's files are sorted by their first field's number (``tconst``, ``nconst``), so both
versions are cut into pieces that end at the same owner: the old one every ``PIECE`` bytes at
the start of an owner, the new one where that owner (or the first one after it) starts, found by
bisection.
Equal pieces, nearly all of them when a day changes one title in a hundred, are skipped by a
byte comparison (memcmp); only the lines of the pieces that differ are compared, as sets.

A file that is not sorted still gives a correct answer: a line the cuts put in different pieces
on each side is reported removed and added again (which the refresh applies as no change),
never missed. ``max_share`` stops a diff that grows too big to be worth an incremental import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from isal import igzip  # ISA-L: gzip decompressed 2-3x faster than zlib (the diff's floor)

PIECE = 12_288  # bytes of the old file per comparison: ~200 lines (8-16 KB measured best)
READ = 1 << 24  # decompressed bytes read at a time
FEWEST_TOO_MANY = 100_000  # changed lines never too many below this (max_share)


class TooManyChanges(Exception):
    """The files differ in more lines than an incremental import is worth."""


class DuplicateKey(Exception):
    """A changed line shares its key with another line of the new file."""


@dataclass
class FileDiff:
    header: bytes = b""  # the new file's first line
    lines: int = 0  # data lines of the new file (header excluded)
    removed: list[bytes] = field(default_factory=list)  # old lines the new file lacks
    added: list[tuple[int, bytes]] = field(default_factory=list)  # (line number, line)
    old_last_key: bytes = b""  # the first field of the old file's last line


class _Stream:
    """A gzip file decompressed into a growing buffer of whole lines (``pos``: a line start)."""

    def __init__(self, path: Path):
        self.file = igzip.open(path, "rb")  # noqa: SIM115 - closed at its end (or with the object)
        self.buf = b""
        self.pos = 0
        self.eof = False

    def fill(self, need: int) -> None:
        """At least ``need`` bytes after ``pos``, unless the file ends first."""
        if len(self.buf) - self.pos >= need or self.eof:
            return
        parts, have = [self.buf[self.pos :]], len(self.buf) - self.pos
        while have < need and not self.eof:
            chunk = self.file.read(min(max(READ, need - have), 1 << 28))
            if not chunk:
                self.eof = True
                self.file.close()
                if parts[-1] and not parts[-1].endswith(b"\n"):
                    parts.append(b"\n")  # a last line without its newline, as the reader does
                break
            parts.append(chunk)
            have += len(chunk)
        self.buf, self.pos = b"".join(parts), 0

    def read_on(self) -> int:
        """Read more; returns by how much the positions shifted (the buffer starts at ``pos``)."""
        shift = self.pos
        self.fill(len(self.buf) - self.pos + READ)
        return shift


def _key(buf: bytes, start: int) -> bytes:
    """The first field of the line starting at ``start``."""
    end = buf.find(b"\n", start)
    tab = buf.find(b"\t", start, end)
    return buf[start : tab if tab >= 0 else end]


def _first_at_least(
    buf: bytes, lo: int, key, hi: int | None = None, rank: Callable[[bytes], Any] = bytes
) -> int:
    """The first line start in [lo, hi) whose ``rank(key)`` is >= ``key`` (``hi``, by default
    len(buf), if none), by bisection on byte offsets: the lines are sorted by that rank."""
    hi = len(buf) if hi is None else hi
    if lo >= hi or rank(_key(buf, lo)) >= key:
        return lo
    # invariant: the line at lo has a smaller key; the answer is in (lo, hi]
    while hi - lo > 256:
        mid = buf.find(b"\n", (lo + hi) // 2) + 1
        if mid <= lo or mid >= hi:
            break
        if rank(_key(buf, mid)) >= key:
            hi = mid
        else:
            lo = mid
    while (lo := buf.find(b"\n", lo) + 1) and lo < hi:
        if rank(_key(buf, lo)) >= key:
            return lo
    return hi


def _owner_start(buf: bytes, lo: int, key: bytes, span: int) -> int:
    """Where ``key``'s lines start from ``lo``: first looked for as a line beginning within
    about ``span`` bytes (the same owner's place in the other version: one search in C where
    the bisection made some twenty key reads in Python), else by bisection (``key`` gone, or
    far) on the ids' numbers, IMDb's order (tt9916754 comes before tt10001116: in byte order
    every eight-digit id sorts before a seven-digit one, and a seven-digit owner gone made the
    rest of the file one changed piece)."""
    hit = buf.find(b"\n" + key + b"\t", max(lo - 1, 0), lo + 2 * span + PIECE)
    return hit + 1 if hit >= 0 else _first_at_least(buf, lo, imdb_number(key), rank=imdb_number)


def _owner_end(stream: _Stream) -> int:
    """The start of the first owner (first field) that begins PIECE bytes or more after
    ``stream.pos``, or the end of the data (the stream may read on: positions are current)."""
    stream.fill(2 * PIECE)
    at = stream.buf.find(b"\n", stream.pos + PIECE) + 1
    if at == 0:
        return len(stream.buf)
    prefix = _key(stream.buf, at) + b"\t"
    while stream.buf.startswith(prefix, at):
        at = stream.buf.find(b"\n", at) + 1
        if at >= len(stream.buf) and not stream.eof:  # the owner runs past the buffer
            at -= stream.read_on()
    return at


def _check_unique_keys(lines: list[bytes], key_fields: int, name: str) -> None:
    keys = [line.split(b"\t", key_fields)[:key_fields] for line in lines]
    if len({tuple(k) for k in keys}) != len(keys):
        raise DuplicateKey(f"{name}: a changed line repeats the key of another line")


def diff_file(
    old: Path, new: Path, key_fields: int = 1, max_share: float | None = None
) -> FileDiff:
    """The lines of ``new`` that ``old`` lacks (with their line numbers; the header is line 1)
    and the lines of ``old`` that ``new`` lacks. ``key_fields``: how many leading fields make a
    line's key (a changed line whose key another line of the new file has raises DuplicateKey:
    the importer's rule for duplicates, the last line wins, needs every line). ``max_share``:
    raise TooManyChanges once the changed lines pass that share of the lines read (beyond the
    first FEWEST_TOO_MANY), before they fill the memory."""
    result = FileDiff()
    o, n = _Stream(old), _Stream(new)
    for s in (o, n):
        while (end := s.buf.find(b"\n")) < 0 and not s.eof:
            s.read_on()
        s.pos = end + 1 if end >= 0 else len(s.buf)
    result.header = n.buf[: n.pos].rstrip(b"\r\n")
    line_no = 2
    while True:
        o.fill(2 * PIECE)
        n.fill(2 * PIECE)
        if o.pos >= len(o.buf) and n.pos >= len(n.buf):
            break
        o_end = _owner_end(o)
        if o_end >= len(o.buf):  # the old file's last piece: the new one's rest goes with it
            n.fill(1 << 62)
            n_end = len(n.buf)
        else:
            key, span = _key(o.buf, o_end), o_end - o.pos
            n_end = _owner_start(n.buf, n.pos, key, span)
            while n_end >= len(n.buf) and not n.eof:  # the owner lies beyond: read on
                n.read_on()
                n_end = _owner_start(n.buf, n.pos, key, span)
        old_piece, new_piece = o.buf[o.pos : o_end], n.buf[n.pos : n_end]
        if o_end >= len(o.buf) and old_piece:  # the old file's last piece
            result.old_last_key = _key(old_piece, old_piece.rfind(b"\n", 0, len(old_piece) - 1) + 1)
        count = new_piece.count(b"\n")
        if old_piece != new_piece:
            _compare(old_piece, new_piece, line_no, key_fields, new.name, result)
            changed = len(result.added) + len(result.removed)
            if max_share is not None and changed > max(FEWEST_TOO_MANY, max_share * line_no):
                raise TooManyChanges(
                    f"{new.name}: {changed:,} lines changed in its first {line_no:,}, more than "
                    f"{max_share:.0%}"
                )
        line_no += count
        o.pos, n.pos = o_end, n_end
    result.lines = line_no - 2
    return result


def timed_diff(
    old: Path, new: Path, key_fields: int, max_share: float | None
) -> tuple[FileDiff, float]:
    """``diff_file`` and its seconds: a process pool's task (the comparison is mostly Python,
    so threads share one core through the GIL; at 20 M rows the seven files took 7.6 s on two
    threads, as long as one after the other)."""
    start = time.perf_counter()
    return diff_file(old, new, key_fields, max_share), time.perf_counter() - start


def _compare(
    old_piece: bytes, new_piece: bytes, first: int, key_fields: int, name: str, into: FileDiff
) -> None:
    old_lines = old_piece.split(b"\n")[:-1]
    new_lines = new_piece.split(b"\n")[:-1]
    before, after = set(old_lines), set(new_lines)
    if len(before) == len(old_lines) and len(after) == len(new_lines):  # no line twice: sets
        if after - before:
            _check_unique_keys(new_lines, key_fields, name)
            into.added.extend((first + i, x) for i, x in enumerate(new_lines) if x not in before)
        into.removed.extend(x for x in old_lines if x not in after)
        return
    raise DuplicateKey(f"{name}: a line appears twice in one version of the file")


def imdb_number(key: bytes) -> int:
    """The number of an IMDb id (``nm0000206`` → 206); -1 for a key that is not one."""
    digits = key[2:]
    return int(digits) if digits.isdigit() else -1


def lines_of(path: Path, ids: list[int]) -> list[tuple[int, bytes]]:
    """The lines of the file whose first field is one of ``ids``, with their line numbers (the
    header is line 1), read in one pass: each id is found by bisection in the block that spans
    it, the file being sorted by id. What an incremental import of a subset needs of the lines
    that did not change (the people a kept title now credits)."""
    wanted = sorted(set(ids))
    found: list[tuple[int, bytes]] = []
    stream = _Stream(path)
    while (end := stream.buf.find(b"\n")) < 0 and not stream.eof:
        stream.read_on()
    stream.pos, line_no, i = end + 1, 2, 0
    while i < len(wanted):
        stream.fill(READ)
        buf, start = stream.buf, stream.pos
        stop = buf.rfind(b"\n", start) + 1  # the block's whole lines
        if stop <= start:
            break
        last = imdb_number(_key(buf, max(buf.rfind(b"\n", start, stop - 1) + 1, start)))
        lo = counted = start  # line_no: the number of the line at ``counted``
        while i < len(wanted) and (wanted[i] <= last or stream.eof):
            lo = _first_at_least(buf, lo, wanted[i], stop, imdb_number)  # sorted by id: nm9999999
            # comes before nm10000000
            if lo < stop and imdb_number(_key(buf, lo)) == wanted[i]:
                line_no += buf.count(b"\n", counted, lo)
                counted = lo
                found.append((line_no, buf[lo : buf.find(b"\n", lo)]))
            i += 1
        line_no += buf.count(b"\n", counted, stop)
        stream.pos = stop
    return found

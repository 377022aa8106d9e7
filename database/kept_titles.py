"""The lines a subset of the title types cannot store, dropped before they are staged.

An import of some title types (the main job's default leaves out the episodes) stores only the
rows of the titles it keeps. At full size 72 % of the principals' lines belong to titles it then
leaves out: staging them cost their COPY (parsed, checked, written as unlogged heap) and the
build's scans of them. So title.basics is staged first, and each block of the other title files
(keyed by a title id in their first field) keeps only the lines of a title of a kept type, each
with its line number (the staging table's ``line_no``: rejects and duplicates are still named by
the file's own line numbers).

What passes is a superset of what the build stores (it checks the titles again: a vote floor, a
title repeated in title.basics): a line is dropped only when its id is well formed and names no
title of a kept type. A malformed id passes, for COPY to reject as before. The lines dropped are
counted as filtered in the import's report, like the rows the build leaves out; a bad value in a
line of a title the subset leaves out is no longer checked (it would not be stored either).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import psycopg

from database.imdb_reader import Block

TAB, NEWLINE, T, ZERO = 9, 10, ord("t"), ord("0")
MIN_DIGITS, MAX_DIGITS = 7, 9  # an IMDb id: the prefix, 7 to 9 digits (staging's CHECK)
NUMBER_WIDTH = 10  # digits of a line number (COPY reads the leading zeros)


class KeptTitles:
    """The title ids of the kept types, as a table of booleans indexed by id."""

    def __init__(self, ids: np.ndarray):
        ids = np.asarray(ids, dtype=np.int64)
        self.table = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
        self.table[ids] = True

    @classmethod
    def staged(cls, conn: psycopg.Connection, title_types: tuple[str, ...]) -> KeptTitles:
        """The staged title.basics lines of these types (any of a title's lines, if repeated)."""
        with conn.cursor().copy(
            "COPY (SELECT title_key FROM staging.title_basics WHERE title_type = ANY(%s)) "
            "TO STDOUT",
            (list(title_types),),
        ) as copy:
            text = b"".join(bytes(chunk) for chunk in copy)
        return cls(np.array(text.split(), dtype=np.int64))

    def keeps(self, data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, keep) of the block's lines (``ends``: the index of each ``\\n``)."""
        raw = np.frombuffer(data, dtype=np.uint8)
        last = len(raw) - 1
        ends = np.flatnonzero(raw == NEWLINE)
        starts = np.empty_like(ends)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        tabs = np.flatnonzero(raw == TAB)
        at = np.searchsorted(tabs, starts)
        first_tab = tabs[np.minimum(at, len(tabs) - 1)] if len(tabs) else ends
        first_tab = np.where((at < len(tabs)) & (first_tab < ends), first_tab, ends)
        digits = first_tab - starts - 2
        well = (digits >= MIN_DIGITS) & (digits <= MAX_DIGITS) & (first_tab < ends)
        well &= (raw[starts] == T) & (raw[np.minimum(starts + 1, last)] == T)
        value = np.zeros(len(starts), dtype=np.int64)
        for k in range(MAX_DIGITS):
            digit = raw[np.minimum(starts + 2 + k, last)].astype(np.int64) - ZERO
            inside = k < digits
            well &= ~inside | ((digit >= 0) & (digit <= 9))
            value = np.where(inside, value * 10 + digit, value)
        known = well & (value < len(self.table))
        kept = np.zeros(len(starts), dtype=bool)
        kept[known] = self.table[value[known]]
        return starts, ends, kept | ~well

    def filter(self, block: Block) -> Block:
        """The block's lines this subset can store, numbered (``Block.numbered``): each after
        its line number, zero-padded to a fixed width (built with array operations, not a
        Python loop per line: 98 M lines at full size)."""
        starts, ends, keep = self.keeps(block.data)
        raw = np.frombuffer(block.data, dtype=np.uint8)
        lengths = ends - starts + 1
        index = np.flatnonzero(keep)
        sizes = lengths[index] + NUMBER_WIDTH + 1
        offsets = np.zeros(len(index), dtype=np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        out = np.empty(int(sizes.sum()), dtype=np.uint8)
        is_line = np.ones(len(out), dtype=bool)
        numbers = index + block.first_line
        for k in range(NUMBER_WIDTH):
            out[offsets + k] = ZERO + (numbers // 10 ** (NUMBER_WIDTH - 1 - k)) % 10
            is_line[offsets + k] = False
        out[offsets + NUMBER_WIDTH] = TAB
        is_line[offsets + NUMBER_WIDTH] = False
        out[is_line] = raw[np.repeat(keep, lengths)]
        return Block(block.first_line, block.n_lines, out.tobytes(), numbered=True)

    def filtered(self, blocks: Iterator[Block]) -> Iterator[Block]:
        for block in blocks:
            yield self.filter(block)

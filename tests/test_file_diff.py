"""database/file_diff.py: the changed lines of a file, against the plain set difference."""

from __future__ import annotations

import gzip
import random

import pytest

from database import file_diff
from database.file_diff import DuplicateKey, TooManyChanges, diff_file

HEADER = b"tconst\tordering\tnconst"


def _write(path, lines: list[bytes], newline_at_end: bool = True) -> None:
    end = b"\n" if newline_at_end else b""
    path.write_bytes(gzip.compress(b"\n".join([HEADER, *lines]) + end))


def _principals(n_titles: int, rng: random.Random) -> list[bytes]:
    return [
        b"tt%07d\t%d\tnm%07d" % (t, o, rng.randrange(10**6))
        for t in range(1, n_titles + 1)
        for o in range(1, rng.randrange(1, 12))
    ]


def _next_day(lines: list[bytes], rng: random.Random) -> list[bytes]:
    """Lines changed, removed, added (within and after the existing titles), in key order."""
    out = []
    for line in lines:
        roll = rng.random()
        if roll < 0.01:
            continue
        out.append(line.replace(b"\tnm", b"\tnm9") if roll < 0.02 else line)
        if roll > 0.995:
            out.append(line.split(b"\t")[0] + b"\t50\tnm0000001")
    last = int(lines[-1][2:9])
    return out + [b"tt%07d\t1\tnm0000002" % t for t in range(last + 1, last + 30)]


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch):
    monkeypatch.setattr(file_diff, "PIECE", 512)  # many pieces, owners across their edges
    monkeypatch.setattr(file_diff, "READ", 4096)  # and across reads
    monkeypatch.setattr(file_diff, "FEWEST_TOO_MANY", file_diff.FEWEST_TOO_MANY)


@pytest.mark.parametrize("shuffled", [False, True], ids=["sorted", "unsorted"])
def test_the_changed_lines_are_the_set_difference(tmp_path, shuffled):
    rng = random.Random(7)
    old = _principals(3_000, rng)
    new = _next_day(old, rng)
    if shuffled:  # not sorted: never a change missed (some lines reported removed and added)
        rng.shuffle(new)
    _write(tmp_path / "old.gz", old)
    _write(tmp_path / "new.gz", new, newline_at_end=False)
    diff = diff_file(tmp_path / "old.gz", tmp_path / "new.gz", key_fields=2)
    added = {line for _, line in diff.added}
    truth_added, truth_removed = set(new) - set(old), set(old) - set(new)
    assert diff.lines == len(new) and diff.header == HEADER
    assert all(new[line_no - 2] == line for line_no, line in diff.added)  # header: line 1
    if shuffled:
        assert added >= truth_added and set(diff.removed) >= truth_removed
        assert added - truth_added == set(diff.removed) - truth_removed
    else:
        assert (added, set(diff.removed)) == (truth_added, truth_removed)
        assert len(diff.added) == len(truth_added) > 0 and len(truth_removed) > 0


def test_a_changed_line_repeating_a_key_and_too_many_changes_are_refused(tmp_path):
    rng = random.Random(8)
    old = _principals(500, rng)
    _write(tmp_path / "old.gz", old)
    twice = old[:100] + [old[100].replace(b"\tnm", b"\tnm8"), *old[100:]]
    _write(tmp_path / "new.gz", twice)
    with pytest.raises(DuplicateKey, match="new.gz"):
        diff_file(tmp_path / "old.gz", tmp_path / "new.gz", key_fields=2)
    _write(tmp_path / "new.gz", [line.replace(b"\tnm", b"\tnm7") for line in old])
    file_diff_all = diff_file(tmp_path / "old.gz", tmp_path / "new.gz", key_fields=2)
    assert len(file_diff_all.added) == len(old)
    file_diff.FEWEST_TOO_MANY = 10  # restored by monkeypatch (small_pieces)
    with pytest.raises(TooManyChanges, match="new.gz"):
        diff_file(tmp_path / "old.gz", tmp_path / "new.gz", key_fields=2, max_share=0.0)


def test_the_lines_of_some_ids_are_found_in_one_pass_across_reads(tmp_path):
    """lines_of: the lines of the asked ids with their line numbers, none for an id the file
    lacks; the file sorted by id, eight-digit ids after seven-digit ones (as IMDb's)."""
    rng = random.Random(3)
    ids = sorted(rng.sample(range(1, 20_000_000), 5_000)) + [9_999_999, 10_000_000]
    ids = sorted(set(ids))
    lines = [b"nm%07d\tName %d" % (i, i) for i in ids]
    _write(tmp_path / "names.gz", lines, newline_at_end=False)
    asked = rng.sample(ids, 300) + rng.sample(range(1, 20_000_000), 300) + [ids[0], ids[-1]]
    found = file_diff.lines_of(tmp_path / "names.gz", asked)
    truth = [(n, x) for n, x in enumerate(lines, start=2) if int(x[2 : x.index(b"\t")]) in asked]
    assert found == truth and len(truth) >= 302
    assert file_diff.lines_of(tmp_path / "names.gz", []) == []


def test_an_owner_gone_just_before_the_eight_digit_ids_costs_no_more_than_its_lines(
    tmp_path, small_pieces
):
    """IMDb sorts its files by the ids' numbers (tt9916754, then tt10001116: not byte order).
    An owner gone at a piece's end was looked for in the new file by byte order, where every
    eight-digit id sorts before it: the rest of the file was read as one changed piece (a
    full-size day reported 14.3 M of 57.2 M akas lines changed and refreshed from every line)."""
    ids = list(range(9_999_900, 10_000_100))
    old = [b"tt%d\t%d\tnm0000001" % (t, o) for t in ids for o in (1, 2, 3)]
    gone = b"tt9999990\t"
    new = [line for line in old if not line.startswith(gone)]
    _write(tmp_path / "old.tsv.gz", old)
    _write(tmp_path / "new.tsv.gz", new)
    diff = diff_file(tmp_path / "old.tsv.gz", tmp_path / "new.tsv.gz", key_fields=2)
    assert diff.added == [] and sorted(diff.removed) == [x for x in old if x.startswith(gone)]

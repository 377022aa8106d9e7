"""A subset of the title types: the lines of the titles it leaves out are dropped before staging
(database/kept_titles.py), every line still accounted for and every kept line checked."""

from __future__ import annotations

import functools
import gzip
from collections import Counter

import numpy as np
import pytest

from database import imdb_import
from database.config import DEFAULT_TITLE_TYPES
from database.imdb_import import ImportOptions, run_import
from database.imdb_reader import Block, read_blocks
from database.kept_titles import KeptTitles
from harness.imdb_generator import Generator
from tests.imdb_fixture import FILES, gz, write_files


def _import(db_url, folder, **options):
    return run_import(db_url, str(folder), ImportOptions(**options), echo=lambda _: None)


def test_a_block_keeps_the_kept_titles_lines_and_every_malformed_id():
    lines = [
        b"tt0000001\t1\tkept, 7 digits",
        b"tt0000002\t1\tleft out",
        b"tt12345678\t1\tkept, 8 digits",
        b"tt123456789\t1\tkept, 9 digits",
        b"tt99999999\t1\tnot in title.basics: left out",
        b"tt000001\t1\t6 digits: malformed, kept for COPY to refuse",
        b"tt0000000001\t1\t10 digits: malformed",
        b"xx0000001\t1\tanother prefix: malformed",
        b"tt00000a1\t1\ta letter: malformed",
        b"tt0000001",  # no tab: kept (COPY names the missing fields)
        b"tt0000002\tstray\rreturn: left out all the same",
        b"tt0000001\tstray\rreturn: kept",
    ]
    titles = KeptTitles(np.array([1, 12345678, 123456789]))
    block = titles.filter(Block(2, len(lines), b"".join(x + b"\n" for x in lines)))
    assert block.numbered and block.n_lines == len(lines)
    kept = [0, 2, 3, 5, 6, 7, 8, 9, 11]
    assert block.lines() == [(2 + i, lines[i]) for i in kept]
    assert block.data.startswith(b"0000000002\ttt0000001\t")


def test_a_block_of_only_left_out_lines_is_empty():
    titles = KeptTitles(np.array([5]))
    block = titles.filter(Block(10, 2, b"tt0000001\ta\ntt0000002\tb\n"))
    assert (block.data, block.n_lines, block.lines()) == (b"", 2, [])


def _lines(folder, name) -> list[list[bytes]]:
    data = gzip.decompress((folder / name).read_bytes()).splitlines()[1:]
    return [x.split(b"\t") for x in data]


def test_a_subset_stores_every_line_of_its_titles_and_only_those(db, db_url, tmp_path, monkeypatch):
    """The generated dump imported with the default types, its files read in small blocks (many
    of them, lines of left-out titles on both sides of each cut): what each file stored is the
    count of its lines whose titles are of a kept type, counted here from the files."""
    monkeypatch.setattr(imdb_import, "read_blocks", functools.partial(read_blocks, block_bytes=997))
    monkeypatch.setattr(imdb_import, "_empty_staging", lambda conn: None)  # to look at it after
    folder = tmp_path / "gen"
    Generator(20_000, seed=7).write(folder)
    types = {t.encode() for t in DEFAULT_TITLE_TYPES}
    kept = {f[0] for f in _lines(folder, "title.basics.tsv.gz") if f[1] in types}
    report = _import(db_url, folder, title_types=DEFAULT_TITLE_TYPES)
    expected = {
        name: sum(1 for f in _lines(folder, name) if f[0] in kept)
        for name in ("title.akas.tsv.gz", "title.crew.tsv.gz", "title.principals.tsv.gz")
    }
    expected["title.ratings.tsv.gz"] = expected_ratings = sum(
        1 for f in _lines(folder, "title.ratings.tsv.gz") if f[0] in kept
    )
    stored = {name: f.stored for name, f in report.files.items() if name in expected}
    assert stored == expected and expected_ratings > 0
    for name, f in report.files.items():
        assert f.stored + f.rejected + f.filtered == f.read, name
        assert f.rejected == 0, name
    # the left-out lines were never staged (the files have lines of other types' titles)
    every = len(_lines(folder, "title.principals.tsv.gz"))
    assert every > expected["title.principals.tsv.gz"]
    staged = db.execute(
        """SELECT (SELECT count(*) FROM staging.title_principals),
                  (SELECT count(*) FROM staging.title_akas),
                  (SELECT count(*) FROM staging.title_episode)"""
    ).fetchone()
    assert staged == (expected["title.principals.tsv.gz"], expected["title.akas.tsv.gz"], 0)
    # each staged line with its own line number in the file
    numbers = db.execute(
        "SELECT line_no, tconst, ordering FROM staging.title_principals ORDER BY line_no"
    ).fetchall()
    in_file = [
        (i, f[0].decode(), int(f[1]))
        for i, f in enumerate(_lines(folder, "title.principals.tsv.gz"), 2)
        if f[0] in kept
    ]
    assert numbers == in_file


@pytest.mark.parametrize("block_bytes", [None, 40], ids=["one block", "small blocks"])
def test_a_subset_still_rejects_its_own_bad_lines_by_their_line_numbers(
    db, db_url, tmp_path, monkeypatch, block_bytes
):
    """The kept titles' bad lines are refused and named by their line in the file, a repeated
    key by the line that supersedes it; a left-out title's bad line is filtered, unchecked."""
    if block_bytes:
        monkeypatch.setattr(
            imdb_import, "read_blocks", functools.partial(read_blocks, block_bytes=block_bytes)
        )
    principals = [*FILES["title.principals.tsv.gz"], b"tt0000001\t2\tnm0000005\tactor\t\\N\t\\N"]
    ratings = [*FILES["title.ratings.tsv.gz"], b"tt0000004\tbad\t1"]  # an episode's bad line
    folder = write_files(
        tmp_path / "imdb",
        replace={"title.principals.tsv.gz": gz(principals), "title.ratings.tsv.gz": gz(ratings)},
    )
    report = _import(db_url, folder, title_types=("movie",))
    rejects = db.execute(
        "SELECT file_name, line_no, reason FROM ops.import_reject ORDER BY file_name, line_no"
    ).fetchall()
    by_file = Counter(r[0] for r in rejects)
    assert {(r[0], r[1]) for r in rejects if r[0] == "title.principals.tsv.gz"} == {
        ("title.principals.tsv.gz", 3),  # tt0000001's ordering 2, superseded by line 10
        ("title.principals.tsv.gz", 7),
        ("title.principals.tsv.gz", 9),
    }
    assert ("title.principals.tsv.gz", 3, "duplicate key: superseded by line 10") in rejects
    # ratings: line 8 (a short's) and line 9 (an episode's) are of titles left out: filtered
    assert by_file["title.ratings.tsv.gz"] == 0
    f = report.files["title.ratings.tsv.gz"]
    assert (f.read, f.stored, f.rejected, f.filtered) == (8, 4, 0, 4)
    person = db.execute(
        """SELECT p.nconst FROM catalog.principal c JOIN catalog.person p USING (person_id)
           JOIN catalog.title t USING (title_id) WHERE t.tconst = 'tt0000001' AND ordering = 2"""
    ).fetchone()
    assert person == ("nm0000005",)

"""The benchmark generator writes importable IMDb-shaped files, the same bytes for the same seed."""

from __future__ import annotations

import gzip

from database.imdb_files import FILES
from database.imdb_import import ImportOptions, run_import
from harness.imdb_generator import Generator


def test_generated_files_are_deterministic_and_shaped_like_the_dump(tmp_path):
    rows = Generator(20_000, seed=7).write(tmp_path / "a")
    Generator(20_000, seed=7).write(tmp_path / "b")
    for spec in FILES:
        a = gzip.decompress((tmp_path / "a" / spec.name).read_bytes())
        assert a == gzip.decompress((tmp_path / "b" / spec.name).read_bytes())
        lines = a.decode().splitlines()
        assert tuple(lines[0].split("\t")) == spec.header
        assert len(lines) - 1 == rows[spec.name]
    assert abs(rows["title.principals.tsv.gz"] / rows["title.basics.tsv.gz"] - 98 / 12) < 0.05


def test_generated_files_import_with_every_line_accounted_for(db_url, tmp_path):
    Generator(20_000).write(tmp_path / "gen")
    report = run_import(db_url, str(tmp_path / "gen"), ImportOptions(), echo=lambda _: None)
    for name, f in report.files.items():
        assert f.read > 0 and f.rejected == 0, name
        assert f.stored + f.filtered == f.read, name
    assert report.placeholder_people > 0 and report.placeholder_titles > 0

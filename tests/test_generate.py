"""The benchmark generator writes importable IMDb-shaped files, the same bytes for the same seed,
with the real dump's shape: every statistic of its TARGETS within its tolerance."""

from __future__ import annotations

import gzip

import pytest

from database.imdb_files import FILES
from database.imdb_import import ImportOptions, run_import
from harness.imdb_generator import TARGETS, Generator, measure


def test_generated_files_are_deterministic_and_in_the_official_format(tmp_path):
    rows = Generator(20_000, seed=7).write(tmp_path / "a")
    Generator(20_000, seed=7).write(tmp_path / "b")
    for spec in FILES:
        a = gzip.decompress((tmp_path / "a" / spec.name).read_bytes())
        assert a == gzip.decompress((tmp_path / "b" / spec.name).read_bytes())
        lines = a.decode().splitlines()
        assert tuple(lines[0].split("\t")) == spec.header
        assert len(lines) - 1 == rows[spec.name]
        assert all(line.count("\t") == len(spec.header) - 1 for line in lines)


@pytest.fixture(scope="module")
def shape(tmp_path_factory) -> dict[str, float]:
    folder = tmp_path_factory.mktemp("shape")
    Generator(2_000_000, seed=11).write(folder)  # 118 k titles: enough for the rare events
    return measure(folder)


@pytest.mark.parametrize("statistic", list(TARGETS))
def test_the_generated_dump_has_the_real_shape(shape, statistic):
    target, tolerance, source = TARGETS[statistic]
    assert abs(shape[statistic] - target) <= tolerance, (shape[statistic], target, source)


def test_generated_files_import_with_every_line_accounted_for(db_url, tmp_path):
    Generator(20_000).write(tmp_path / "gen")
    report = run_import(
        db_url, str(tmp_path / "gen"), ImportOptions(title_types=None), echo=lambda _: None
    )
    for name, f in report.files.items():
        assert f.read > 0 and f.rejected == 0, name
        assert f.stored + f.filtered == f.read, name
    assert report.placeholder_people > 0 and report.placeholder_titles > 0

"""A deterministic generator of IMDb-shaped files, for import benchmarks at any scale.

Proportions of the full dump (millions of rows): 12 titles, 98 principals, 15 people, 55 akas,
12 crew rows, 9 episodes, 1.6 ratings. Same format as IMDb (gzip TSV, ``\\N``, comma lists, JSON
characters), with its irregularities: titles with ``"``, missing values, crew members absent from
name.basics, known-for titles absent from title.basics. Vectorised with numpy; gzip level 1.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from database.imdb_files import BY_NAME

FULL_DUMP = {  # rows of the full dump, in millions
    "title.basics.tsv.gz": 12,
    "title.principals.tsv.gz": 98,
    "name.basics.tsv.gz": 15,
    "title.akas.tsv.gz": 55,
    "title.crew.tsv.gz": 12,
    "title.episode.tsv.gz": 9,
    "title.ratings.tsv.gz": 1.6,
}
CHUNK = 500_000
TYPES = np.array(["movie", "short", "tvEpisode", "tvSeries", "tvMovie", "video", "tvMiniSeries"])
TYPE_P = [0.06, 0.09, 0.72, 0.02, 0.02, 0.02, 0.07]
GENRES = np.array(
    [
        "Drama",
        "Comedy",
        "Documentary",
        "Action,Crime,Drama",
        "Horror,Thriller",
        "Drama,Romance",
        "Action,Adventure,Sci-Fi",
        "\\N",
        "Animation,Family",
    ]
)
CATEGORIES = np.array(
    [
        "actor",
        "actress",
        "self",
        "director",
        "writer",
        "producer",
        "composer",
        "cinematographer",
        "editor",
    ]
)
CAT_P = [0.28, 0.2, 0.16, 0.1, 0.09, 0.08, 0.04, 0.03, 0.02]
REGIONS = np.array(["US", "GB", "FR", "DE", "JP", "IN", "\\N", "ES", "IT", "BR"])


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), 7))


def _join(*columns: np.ndarray) -> str:
    rows = columns[0]
    for c in columns[1:]:
        rows = np.char.add(np.char.add(rows, "\t"), c)
    return "\n".join(rows.tolist()) + "\n"


def _nullable(values: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    return np.where(rng.random(len(values)) < share, "\\N", values.astype(str))


def _write(path: Path, lines: Iterator[str]) -> None:
    header = "\t".join(BY_NAME[path.name].header) + "\n"
    tmp = path.with_suffix(".part")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1, newline="\n") as f:
        f.write(header)
        for chunk in lines:
            f.write(chunk)
    tmp.replace(path)


class Generator:
    def __init__(self, total_rows: int, seed: int = 42):
        self.scale = total_rows / (sum(FULL_DUMP.values()) * 1e6)
        self.seed = seed
        self.rows = {name: max(10, int(m * 1e6 * self.scale)) for name, m in FULL_DUMP.items()}
        self.titles = self.rows["title.basics.tsv.gz"]
        self.people = self.rows["name.basics.tsv.gz"]

    def rng(self, name: str, chunk: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, sum(map(ord, name)), chunk])

    def chunks(self, name: str) -> Iterator[tuple[np.random.Generator, np.ndarray]]:
        n = self.rows[name]
        for k, start in enumerate(range(0, n, CHUNK)):
            yield self.rng(name, k), np.arange(start, min(n, start + CHUNK))

    def title_basics(self) -> Iterator[str]:
        for rng, i in self.chunks("title.basics.tsv.gz"):
            n = len(i)
            title = np.char.add(
                np.where(rng.random(n) < 0.01, '"Quoted" ', "Title "), (i + 1).astype(str)
            )
            year = rng.integers(1900, 2026, n)
            yield _join(
                _ids("tt", i + 1),
                TYPES[rng.choice(len(TYPES), n, p=TYPE_P)],
                title,
                title,
                np.where(rng.random(n) < 0.02, "1", "0"),
                _nullable(year, rng, 0.1),
                np.full(n, "\\N"),
                _nullable(rng.integers(1, 240, n), rng, 0.5),
                GENRES[rng.integers(0, len(GENRES), n)],
            )

    def title_principals(self) -> Iterator[str]:
        for rng, k in self.chunks("title.principals.tsv.gz"):
            n = len(k)
            title = k // 8 + 1
            ordering = k % 8 + 1
            person = rng.integers(1, int(self.people * 1.02) + 2, n)  # ~2 % absent from names
            chars = np.where(
                rng.random(n) < 0.4,
                np.char.add('["Role ', np.char.add(ordering.astype(str), '"]')),
                "\\N",
            )
            yield _join(
                _ids("tt", title),
                ordering.astype(str),
                _ids("nm", person),
                CATEGORIES[rng.choice(len(CATEGORIES), n, p=CAT_P)],
                np.full(n, "\\N"),
                chars,
            )

    def name_basics(self) -> Iterator[str]:
        for rng, i in self.chunks("name.basics.tsv.gz"):
            n = len(i)
            known = np.char.add(
                _ids("tt", rng.integers(1, int(self.titles * 1.05) + 2, n)),
                np.char.add(",", _ids("tt", rng.integers(1, self.titles + 1, n))),
            )
            yield _join(
                _ids("nm", i + 1),
                np.char.add("Person ", (i + 1).astype(str)),
                _nullable(rng.integers(1900, 2005, n), rng, 0.8),
                np.full(n, "\\N"),
                np.where(rng.random(n) < 0.5, "actor", "writer,producer"),
                known,
            )

    def title_akas(self) -> Iterator[str]:
        for rng, k in self.chunks("title.akas.tsv.gz"):
            n = len(k)
            title = k // 5 + 1
            ordering = k % 5 + 1
            region = REGIONS[rng.integers(0, len(REGIONS), n)]
            yield _join(
                _ids("tt", title),
                ordering.astype(str),
                np.char.add("Aka ", k.astype(str)),
                region,
                np.where(region == "US", "en", "\\N"),
                np.where(ordering == 1, "original", "imdbDisplay"),
                np.full(n, "\\N"),
                np.where(ordering == 1, "1", "0"),
            )

    def title_crew(self) -> Iterator[str]:
        for rng, i in self.chunks("title.crew.tsv.gz"):
            n = len(i)
            people = int(self.people * 1.3) + 2  # crew ids often lack a name.basics row
            directors = _nullable(_ids("nm", rng.integers(1, people, n)), rng, 0.3)
            writers = np.char.add(
                _ids("nm", rng.integers(1, people, n)),
                np.char.add(",", _ids("nm", rng.integers(1, people, n))),
            )
            yield _join(_ids("tt", i + 1), directors, _nullable(writers, rng, 0.4))

    def title_episode(self) -> Iterator[str]:
        for rng, i in self.chunks("title.episode.tsv.gz"):
            n = len(i)
            yield _join(
                _ids("tt", i + 1),
                _ids("tt", rng.integers(1, self.titles + 1, n)),
                _nullable(rng.integers(1, 30, n), rng, 0.2),
                _nullable(rng.integers(1, 300, n), rng, 0.2),
            )

    def title_ratings(self) -> Iterator[str]:
        for rng, i in self.chunks("title.ratings.tsv.gz"):
            n = len(i)
            titles = i * max(1, self.titles // self.rows["title.ratings.tsv.gz"]) + 1
            yield _join(
                _ids("tt", titles),
                np.round(rng.uniform(1, 10, n), 1).astype(str),
                rng.integers(5, 200_000, n).astype(str),
            )

    def write(self, folder: Path) -> dict[str, int]:
        folder.mkdir(parents=True, exist_ok=True)
        for name in FULL_DUMP:
            method = getattr(self, name.removesuffix(".tsv.gz").replace(".", "_"))
            _write(folder / name, method())
        return self.rows

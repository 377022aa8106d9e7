"""A deterministic generator of IMDb-shaped files, shaped like the real dump, at any scale.

Every conclusion drawn at full size (the neighbour-list budget, training time and memory, latency,
disk) depends on the data's shape, so the files reproduce the distributions that matter. Each
target, its value and its source are in ``TARGETS``; ``tests/test_generate.py`` measures every one
on generated files and checks it within its tolerance.

Sources: (a) the full dump's published row counts (IMDb non-commercial datasets, 2024–2026: 11–12 M
titles, 95–98 M principals, 14–15 M people, 50–55 M akas, 9 M episodes, 1.5–1.6 M ratings);
(b) the shared sample (`../shared/imdb-sample`, real IMDb rows, biased towards popular films):
its movies' genre combinations, genres per title, runtimes, credits per person; (c) what the
issues measured on the sample (18 % of recommendable titles without a named credited person,
groups of identical content vectors).

How the shape arises:

* **types** in the dump's proportions; episodes belong to series (tvSeries, tvMiniSeries) with a
  heavy tail of episodes per series (a few soaps and news shows with thousands);
* **votes**: 13 % of titles rated (more for films and series than episodes); the number of votes
  follows the dump's heavy tail (inverse-CDF sampling through ``VOTE_SURVIVAL``);
* **genres**: the sample's most frequent combinations with their frequencies, and a long tail of
  other combinations of one to three of IMDb's 28 genres;
* **people**: each has an activity drawn from a Pareto law (capped): a few are credited hundreds
  or thousands of times, most once or twice. An episode's cast comes mostly from its series'
  regular cast; a film's from the whole population by activity. 15 % of titles have no principal
  and no crew (short films, old titles, unreleased ones), and some credited ids have no
  name.basics row (placeholders, as in the real files);
* the format's irregularities: titles with ``"``, ``\\N`` everywhere, crew and known-for ids absent
  from the basics files, adult titles, future years.

Vectorised with numpy in chunks of titles; each file re-derives the titles' attributes from the
same seeds, so files agree without holding the dump in memory; gzip level 1.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from database.imdb_files import BY_NAME

FULL_DUMP = {  # rows of the full dump, in millions (source a)
    "title.basics.tsv.gz": 12,
    "title.principals.tsv.gz": 98,
    "name.basics.tsv.gz": 15,
    "title.akas.tsv.gz": 55,
    "title.crew.tsv.gz": 12,
    "title.episode.tsv.gz": 9,
    "title.ratings.tsv.gz": 1.6,
}
CHUNK = 200_000  # titles per chunk
# 2: shaped like the real dump (TARGETS); 1 was uniform (random casts, every title rated with
# 5-200,000 votes, 9 genre combinations): dropped, its shape misled every full-size conclusion
GENERATOR_VERSION = 2

# type: (share of titles, share rated, mean principals when credited, mean akas) — shares (a)
TYPES = {
    "tvEpisode": (0.740, 0.075, 7.5, 2.6),
    "short": (0.110, 0.160, 5.0, 3.2),
    "movie": (0.065, 0.450, 14.0, 26.0),
    "video": (0.030, 0.220, 8.0, 4.3),
    "tvSeries": (0.025, 0.400, 14.0, 17.0),
    "tvMovie": (0.015, 0.420, 12.0, 11.0),
    "tvMiniSeries": (0.006, 0.450, 13.0, 13.0),
    "tvSpecial": (0.005, 0.300, 10.0, 4.3),
    "videoGame": (0.003, 0.400, 8.0, 6.5),
    "tvShort": (0.001, 0.200, 4.0, 2.2),
}
TYPE_NAMES = np.array(list(TYPES))
TYPE_SHARE = np.array([v[0] for v in TYPES.values()]) / sum(v[0] for v in TYPES.values())
RATED = np.array([v[1] for v in TYPES.values()])
CREDITS = np.array([v[2] for v in TYPES.values()])
AKAS = np.array([v[3] for v in TYPES.values()])
EPISODE, SERIES, MINI = (list(TYPES).index(t) for t in ("tvEpisode", "tvSeries", "tvMiniSeries"))

# share of rated titles with at least this many votes (a: about 1 in 10 rated titles has 1,000
# votes or more, 6,000 titles have 100,000; the file lists titles with 5 votes or more)
VOTE_SURVIVAL = [(5, 1.0), (10, 0.74), (100, 0.30), (1_000, 0.10), (10_000, 0.025)]
VOTE_SURVIVAL += [(100_000, 0.004), (1_000_000, 0.0002), (3_000_000, 0.0)]

# the sample's movies' most frequent genre combinations, share of all titles (source b); the
# rest (about 45 %) are drawn from GENRES, one to three of them
COMBOS = {
    "Drama": 0.085,
    "Documentary": 0.09,
    "Comedy": 0.065,
    "\\N": 0.05,
    "Horror": 0.025,
    "Comedy,Drama": 0.022,
    "Thriller": 0.017,
    "Drama,Romance": 0.015,
    "Action": 0.013,
    "Comedy,Drama,Romance": 0.012,
    "Biography,Documentary": 0.011,
    "Comedy,Romance": 0.011,
    "Documentary,Drama": 0.009,
    "Drama,Thriller": 0.009,
    "Romance": 0.008,
    "Horror,Thriller": 0.008,
    "Documentary,Music": 0.008,
    "Documentary,History": 0.007,
    "Action,Crime,Drama": 0.007,
    "Crime,Drama,Thriller": 0.006,
    "Family": 0.006,
    "Crime,Drama": 0.005,
    "Animation": 0.005,
    "Adult": 0.005,
}
GENRES = np.array(
    [
        "Drama",
        "Comedy",
        "Documentary",
        "Action",
        "Romance",
        "Thriller",
        "Crime",
        "Horror",
        "Adventure",
        "Family",
        "Animation",
        "Mystery",
        "Fantasy",
        "Biography",
        "History",
        "Music",
        "Sci-Fi",
        "Reality-TV",
        "Talk-Show",
        "Sport",
        "War",
        "Musical",
        "News",
        "Game-Show",
        "Western",
        "Adult",
        "Film-Noir",
        "Short",
    ]
)
GENRE_WEIGHT = 1.0 / np.arange(1, len(GENRES) + 1) ** 1.6

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
        "production_designer",
        "archive_footage",
        "casting_director",
    ]
)
CATEGORY_SHARE = np.array([0.26, 0.19, 0.14, 0.09, 0.09, 0.08, 0.04, 0.04, 0.03, 0.01, 0.02, 0.01])
NO_CREDIT_SHARE = 0.15  # titles without principals nor crew (source c)
SERIES_REGULAR_SHARE = 0.75  # an episode's credits from its series' regular cast
ACTIVITY_PARETO, ACTIVITY_CAP = 1.1, 20_000.0
ABSENT_PEOPLE = 0.03  # credited ids beyond name.basics (placeholders)
REGIONS = np.array(["US", "GB", "FR", "DE", "JP", "IN", "\\N", "ES", "IT", "BR", "CA", "MX"])

# What tests/test_generate.py measures on generated files: (target, tolerance, source)
TARGETS = {
    "share of titles rated": (0.13, 0.02, "a: 1.5-1.6 M rated of 11-12 M"),
    "rated: share >= 10 votes": (0.74, 0.03, "a"),
    "rated: share >= 100 votes": (0.30, 0.03, "a"),
    "rated: share >= 1,000 votes": (0.10, 0.02, "a: about one in ten"),
    "rated: share >= 100,000 votes": (0.004, 0.003, "a: ~6,000 titles"),
    "share of episodes": (0.74, 0.02, "a: 8.5-9 M of 11-12 M"),
    "share of movies": (0.065, 0.01, "a: 700-750 k"),
    "principals per title": (98 / 12, 0.6, "a"),
    "titles without principal or crew": (0.15, 0.03, "c"),
    "people: median principal credits": (1.0, 1.0, "b: the sample's median is 1"),
    "people: share with >= 100 credits": (0.01, 0.009, "a heavy tail: a few people"),
    "most credited person / mean credits": (1500.0, 1400.0, "a heavy tail (series regulars)"),
    "akas per title": (55 / 12, 0.7, "a"),
    "genre combinations: share of the most frequent": (0.14, 0.04, "b: Drama 14 % of movies"),
    "genre combinations: distinct (at 100 k titles or more)": (1100.0, 600.0, "b: 1,122"),
    "genres per title: share with three": (0.22, 0.05, "b: 24 % of the sample's movies"),
    "episodes per series: largest / median": (300.0, 290.0, "a: soaps with thousands"),
    "runtime missing": (0.55, 0.1, "a: most episodes and shorts lack one"),
}


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(np.int64).astype(str), 7))


def _join(*columns: np.ndarray) -> str:
    if not len(columns[0]):
        return ""
    rows = columns[0].astype(str)
    for c in columns[1:]:
        rows = np.char.add(np.char.add(rows, "\t"), np.asarray(c).astype(str))
    return "\n".join(rows.tolist()) + "\n"


def _nullable(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    return np.where(missing, "\\N", np.asarray(values).astype(str))


def _write(path: Path, lines: Iterator[str]) -> int:
    header = "\t".join(BY_NAME[path.name].header) + "\n"
    tmp = path.with_suffix(".part")
    rows = 0
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1, newline="\n") as f:
        f.write(header)
        for chunk in lines:
            rows += chunk.count("\n")
            f.write(chunk)
    tmp.replace(path)
    return rows


def _votes(u: np.ndarray) -> np.ndarray:
    """Inverse CDF of VOTE_SURVIVAL, log-linear between its points."""
    votes = np.log10([v for v, _ in VOTE_SURVIVAL])
    survival = np.array([s for _, s in VOTE_SURVIVAL])
    # np.interp needs increasing x: interpolate on -survival
    return np.round(10 ** np.interp(-u, -survival, votes)).astype(np.int64)


def _genre_sets(rng: np.random.Generator, n: int) -> np.ndarray:
    """n combinations of one to three of GENRES by their weights, in IMDb's (alphabetical)
    order: each set coded as an integer, each distinct code spelled once."""
    # three distinct genres by weight (Gumbel top-k), the first ``count`` of them kept
    keys = np.log(GENRE_WEIGHT) + rng.gumbel(size=(n, len(GENRES)))
    picks = np.argsort(-keys, axis=1)[:, :3]
    count = rng.choice([1, 2, 3], n, p=[0.30, 0.28, 0.42])
    none = len(GENRES)  # sorts after every genre
    picks[:, 1] = np.where(count >= 2, picks[:, 1], none)
    picks[:, 2] = np.where(count >= 3, picks[:, 2], none)
    picks.sort(axis=1)
    codes = (picks[:, 0] * 100 + picks[:, 1]) * 100 + picks[:, 2]
    distinct, inverse = np.unique(codes, return_inverse=True)
    spelled = np.array(
        [
            ",".join(sorted(GENRES[g] for g in (c // 10_000, c // 100 % 100, c % 100) if g < none))
            for c in distinct
        ]
    )
    return spelled[inverse]


@dataclass
class Titles:
    """The attributes of a chunk of titles (ids ``first+1 .. first+n``)."""

    ids: np.ndarray
    kind: np.ndarray  # index into TYPE_NAMES
    year: np.ndarray
    credits: np.ndarray  # principals of each title
    rng: np.random.Generator


class Generator:
    def __init__(self, total_rows: int, seed: int = 42):
        self.seed = seed
        self.scale = total_rows / (sum(FULL_DUMP.values()) * 1e6)
        self.titles = max(50, int(FULL_DUMP["title.basics.tsv.gz"] * 1e6 * self.scale))
        self.people = max(50, int(FULL_DUMP["name.basics.tsv.gz"] * 1e6 * self.scale))
        rng = np.random.default_rng([seed, 1])
        self.kind = rng.choice(len(TYPES), self.titles, p=TYPE_SHARE).astype(np.int8)
        series = np.flatnonzero(np.isin(self.kind, (SERIES, MINI))) + 1
        self.series = series if len(series) else np.array([1])
        # episodes per series: Zipf-like weights over the series in a random order
        weight = 1.0 / rng.permutation(np.arange(1, len(self.series) + 1)) ** 0.8
        self.series_cdf = np.cumsum(weight) / weight.sum()
        activity = np.minimum(rng.pareto(ACTIVITY_PARETO, self.people) + 1, ACTIVITY_CAP)
        self.people_cdf = np.cumsum(activity) / activity.sum()

    def rng(self, name: str, chunk: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, sum(map(ord, name)), chunk])

    def people_for(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Person ids by activity; ABSENT_PEOPLE of them beyond name.basics."""
        people = np.searchsorted(self.people_cdf, rng.random(n)) + 1
        absent = rng.random(n) < ABSENT_PEOPLE
        return np.where(absent, self.people + rng.integers(1, self.people // 10 + 2, n), people)

    def regulars(self, series: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """The regular cast of each series (12 per series), as a deterministic function."""
        u = ((series.astype(np.int64) * 2654435761 + slot * 40503) % 1_000_003) / 1_000_003
        return np.searchsorted(self.people_cdf, u) + 1

    def chunk_titles(self) -> Iterator[Titles]:
        for k, first in enumerate(range(0, self.titles, CHUNK)):
            ids = np.arange(first, min(self.titles, first + CHUNK)) + 1
            rng = self.rng("titles", k)
            kind = self.kind[ids - 1]
            year = 2026 - np.floor(rng.exponential(16, len(ids))).astype(int)
            year = np.where(rng.random(len(ids)) < 0.005, 2027 + rng.integers(0, 5, len(ids)), year)
            credited = rng.random(len(ids)) >= NO_CREDIT_SHARE
            credits = np.where(credited, 1 + rng.poisson(CREDITS[kind]), 0)
            credits = np.where(credited & (rng.random(len(ids)) < 0.05), credits * 3, credits)
            yield Titles(ids, kind, np.maximum(year, 1890), credits, rng)

    # ------------------------------------------------------------------ files
    def title_basics(self) -> Iterator[str]:
        combos = np.array(list(COMBOS))
        combo_p = np.array(list(COMBOS.values()))
        for t in self.chunk_titles():
            rng, n = t.rng, len(t.ids)
            listed = rng.random(n) < combo_p.sum()
            genres = combos[rng.choice(len(combos), n, p=combo_p / combo_p.sum())]
            drawn = _genre_sets(rng, int((~listed).sum()))
            genres[~listed] = drawn
            kind = t.kind
            runtime = np.select(
                [kind == EPISODE, np.isin(kind, (1, 9))],
                [rng.choice([22, 30, 45, 60], n), rng.integers(1, 40, n)],
                np.clip(rng.normal(95, 22, n), 40, 300).astype(int),
            )
            no_runtime = rng.random(n) < np.where(np.isin(kind, (EPISODE, 1)), 0.65, 0.3)
            title = np.char.add(
                np.where(rng.random(n) < 0.01, '"Quoted" ', "Title "), t.ids.astype(str)
            )
            yield _join(
                _ids("tt", t.ids),
                TYPE_NAMES[kind],
                title,
                title,
                np.where(genres == "Adult", "1", "0"),
                _nullable(t.year, rng.random(n) < 0.08),
                np.full(n, "\\N"),
                _nullable(runtime, no_runtime),
                genres,
            )

    def title_ratings(self) -> Iterator[str]:
        for t in self.chunk_titles():
            rng = np.random.default_rng([self.seed, 11, int(t.ids[0])])
            rated = rng.random(len(t.ids)) < RATED[t.kind]
            n = int(rated.sum())
            votes = _votes(rng.random(n))
            rating = np.clip(rng.normal(6.6, 1.3, n) + 0.15 * np.log10(votes), 1, 10)
            yield _join(_ids("tt", t.ids[rated]), np.round(rating, 1), votes)

    def _episode_parents(self, t: Titles) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 13, int(t.ids[0])])
        return self.series[np.searchsorted(self.series_cdf, rng.random(len(t.ids)))]

    def title_episode(self) -> Iterator[str]:
        for t in self.chunk_titles():
            episodes = t.kind == EPISODE
            rng = np.random.default_rng([self.seed, 17, int(t.ids[0])])
            n = int(episodes.sum())
            yield _join(
                _ids("tt", t.ids[episodes]),
                _ids("tt", self._episode_parents(t)[episodes]),
                _nullable(rng.integers(1, 30, n), rng.random(n) < 0.2),
                _nullable(rng.integers(1, 300, n), rng.random(n) < 0.2),
            )

    def title_principals(self) -> Iterator[str]:
        for t in self.chunk_titles():
            rng = np.random.default_rng([self.seed, 19, int(t.ids[0])])
            title = np.repeat(t.ids, t.credits)
            ordering = np.arange(len(title)) - np.repeat(
                np.cumsum(t.credits) - t.credits, t.credits
            )
            kind = np.repeat(t.kind, t.credits)
            parent = np.repeat(self._episode_parents(t), t.credits)
            regular = (kind == EPISODE) & (rng.random(len(title)) < SERIES_REGULAR_SHARE)
            person = np.where(
                regular,
                self.regulars(parent, rng.integers(0, 12, len(title))),
                self.people_for(rng, len(title)),
            )
            category = CATEGORIES[rng.choice(len(CATEGORIES), len(title), p=CATEGORY_SHARE)]
            acting = np.isin(category, ("actor", "actress", "self"))
            chars = np.where(
                acting & (rng.random(len(title)) < 0.7),
                np.char.add('["Role ', np.char.add((ordering + 1).astype(str), '"]')),
                "\\N",
            )
            yield _join(
                _ids("tt", title),
                ordering + 1,
                _ids("nm", person),
                category,
                np.full(len(title), "\\N"),
                chars,
            )

    def title_crew(self) -> Iterator[str]:
        for t in self.chunk_titles():
            rng = np.random.default_rng([self.seed, 23, int(t.ids[0])])
            n = len(t.ids)
            none = t.credits == 0
            parent = self._episode_parents(t)
            episode = t.kind == EPISODE
            director = np.where(
                episode & (rng.random(n) < 0.6),
                self.regulars(parent, np.full(n, 12)),
                self.people_for(rng, n),
            )
            writer_a = np.where(
                episode, self.regulars(parent, np.full(n, 13)), self.people_for(rng, n)
            )
            writers = np.where(
                rng.random(n) < 0.4,
                np.char.add(
                    _ids("nm", writer_a), np.char.add(",", _ids("nm", self.people_for(rng, n)))
                ),
                _ids("nm", writer_a),
            )
            yield _join(
                _ids("tt", t.ids),
                _nullable(_ids("nm", director), none | (rng.random(n) < 0.2)),
                _nullable(writers, none | (rng.random(n) < 0.4)),
            )

    def title_akas(self) -> Iterator[str]:
        for t in self.chunk_titles():
            rng = np.random.default_rng([self.seed, 29, int(t.ids[0])])
            count = rng.poisson(AKAS[t.kind] * rng.lognormal(0, 0.8, len(t.ids)) / 1.37)
            title = np.repeat(t.ids, count)
            ordering = np.arange(len(title)) - np.repeat(np.cumsum(count) - count, count) + 1
            region = REGIONS[rng.integers(0, len(REGIONS), len(title))]
            yield _join(
                _ids("tt", title),
                ordering,
                np.char.add("Aka ", title.astype(str)),
                region,
                np.where(region == "US", "en", "\\N"),
                np.where(ordering == 1, "original", "imdbDisplay"),
                np.full(len(title), "\\N"),
                np.where(ordering == 1, "1", "0"),
            )

    def name_basics(self) -> Iterator[str]:
        for k, first in enumerate(range(0, self.people, CHUNK)):
            rng = self.rng("name.basics.tsv.gz", k)
            ids = np.arange(first, min(self.people, first + CHUNK)) + 1
            n = len(ids)
            known = np.char.add(
                _ids("tt", rng.integers(1, int(self.titles * 1.05) + 2, n)),
                np.char.add(",", _ids("tt", rng.integers(1, self.titles + 1, n))),
            )
            yield _join(
                _ids("nm", ids),
                np.char.add("Person ", ids.astype(str)),
                _nullable(rng.integers(1900, 2005, n), rng.random(n) < 0.8),
                np.full(n, "\\N"),
                np.where(rng.random(n) < 0.5, "actor", "writer,producer"),
                known,
            )

    def write(self, folder: Path) -> dict[str, int]:
        """Write the seven files; returns the data rows of each."""
        folder.mkdir(parents=True, exist_ok=True)
        rows = {}
        for name in FULL_DUMP:
            method = getattr(self, name.removesuffix(".tsv.gz").replace(".", "_"))
            rows[name] = _write(folder / name, method())
        return rows


def measure(folder: Path) -> dict[str, float]:
    """Each statistic of TARGETS, measured on the files in ``folder`` (pandas: small sizes)."""
    import pandas as pd

    def read(name: str, **kw) -> pd.DataFrame:
        return pd.read_csv(
            folder / name, sep="\t", quoting=3, na_values="\\N", keep_default_na=False, **kw
        )

    basics = read("title.basics.tsv.gz", dtype=str)
    ratings = read("title.ratings.tsv.gz")
    principals = read("title.principals.tsv.gz", usecols=["tconst", "nconst"])
    crew = read("title.crew.tsv.gz", dtype=str)
    akas = read("title.akas.tsv.gz", usecols=["titleId"])
    episodes = read("title.episode.tsv.gz", usecols=["tconst", "parentTconst"])
    n = len(basics)
    votes = ratings["numVotes"]
    credits = principals["nconst"].value_counts()
    credited = set(principals["tconst"]) | set(crew.dropna(subset=["directors"])["tconst"])
    credited |= set(crew.dropna(subset=["writers"])["tconst"])
    genres = basics["genres"].fillna("\\N")
    per_series = episodes["parentTconst"].value_counts()
    return {
        "share of titles rated": len(ratings) / n,
        "rated: share >= 10 votes": (votes >= 10).mean(),
        "rated: share >= 100 votes": (votes >= 100).mean(),
        "rated: share >= 1,000 votes": (votes >= 1000).mean(),
        "rated: share >= 100,000 votes": (votes >= 100_000).mean(),
        "share of episodes": (basics["titleType"] == "tvEpisode").mean(),
        "share of movies": (basics["titleType"] == "movie").mean(),
        "principals per title": len(principals) / n,
        "titles without principal or crew": 1 - len(credited & set(basics["tconst"])) / n,
        "people: median principal credits": float(credits.median()),
        "people: share with >= 100 credits": (credits >= 100).mean(),
        "most credited person / mean credits": credits.max() / credits.mean(),
        "akas per title": len(akas) / n,
        "genre combinations: share of the most frequent": genres.value_counts(normalize=True).iloc[
            0
        ],
        "genre combinations: distinct (at 100 k titles or more)": genres.nunique(),
        "genres per title: share with three": (genres.str.count(",") == 2).mean(),
        "episodes per series: largest / median": per_series.max() / per_series.median(),
        "runtime missing": basics["runtimeMinutes"].isna().mean(),
    }

"""The next day of an IMDb dump: from a folder of the seven files, write the following day's files.

What changes, for a ``rate`` r of the titles (IMDb's daily change is well under 1 %):

* ratings: r of the rated titles get more votes and a rating moved by 0.1;
* new titles (r/3 of the count, ids beyond the largest and the dangling references), with
  ratings for half of them, three principals each (existing people and some new ones), a
  director and a writer;
* new principals on r/5 of the existing titles (the next ``ordering``);
* corrections: r/10 of the titles get another runtime;
* people: r/20 renamed, r/100 removed (their credits stay, as the real files' dangling ids do);
* removals: r/20 of the titles, with their ratings, principals, crew, episodes and akas.

Lines that are not data (headers, the test fixture's malformed lines) pass through unchanged.
Decisions hash each id with ``seed``, so a day is reproducible and needs one pass per file.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

NEW_PEOPLE_PER_NEW_TITLE = 0.5


def _chance(number: int, salt: int, share: float) -> bool:
    """A deterministic coin for ``number``: true for about ``share`` of the numbers."""
    return (number * 2654435761 + salt * 40503) % 1_000_003 < share * 1_000_003


def _number(field: bytes) -> int | None:
    try:
        return int(field[2:]) if field[:2] in (b"tt", b"nm") else None
    except ValueError:
        return None


def _lines(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as f:
        for line in f:
            yield line.rstrip(b"\n")


def _write(path: Path, lines: Iterator[bytes]) -> None:
    with gzip.open(path, "wb", compresslevel=1) as f:
        for line in lines:
            f.write(line + b"\n")


def _tt(n: int) -> bytes:
    return b"tt%07d" % n


def _nm(n: int) -> bytes:
    return b"nm%07d" % n


class NextDay:
    def __init__(self, src: Path, rate: float, seed: int):
        self.src, self.rate, self.seed = src, rate, seed
        titles = [
            n
            for line in _lines(src / "title.basics.tsv.gz")
            if (n := _number(line.split(b"\t", 1)[0])) is not None
        ]
        people = [
            n
            for line in _lines(src / "name.basics.tsv.gz")
            if (n := _number(line.split(b"\t", 1)[0])) is not None
        ]
        self.removed = {t for t in titles if _chance(t, seed, rate / 20)}
        self.removed_people = {p for p in people if _chance(p, seed + 1, rate / 100)}
        # beyond the ids the files already reference without a line of their own (placeholders)
        first_new = max(titles, default=0) * 11 // 10 + 10
        self.new_titles = list(range(first_new, first_new + max(1, int(len(titles) * rate / 3))))
        first_person = max(people, default=0) + 1
        n_people = max(1, int(len(self.new_titles) * NEW_PEOPLE_PER_NEW_TITLE))
        self.new_people = list(range(first_person, first_person + n_people))
        kept = [p for p in people if p not in self.removed_people] or self.new_people
        self.cast_pool = kept[:: max(1, len(kept) // 10_000)] + self.new_people

    def person_for(self, title: int, slot: int) -> int:
        pool = self.cast_pool
        return pool[(title * 31 + slot * 7919 + self.seed) % len(pool)]

    def _edited(
        self, name: str, width: int, removed: set[int], salt: int, share: float, edit
    ) -> Iterator[bytes]:
        """The lines of file ``name``: data lines (``width`` fields, an id first) whose id is in
        ``removed`` dropped, ``share`` of the others passed through ``edit(n, fields)`` (which
        returns the new line), every other line unchanged."""
        for line in _lines(self.src / name):
            fields = line.split(b"\t")
            n = _number(fields[0])
            if n is None or len(fields) != width:
                yield line
            elif n in removed:
                continue
            elif _chance(n, self.seed + salt, share):
                yield edit(n, fields)
            else:
                yield line

    # ------------------------------------------------------------------ one generator per file
    def title_basics(self) -> Iterator[bytes]:
        def corrected(n: int, fields: list[bytes]) -> bytes:
            fields[7] = b"%d" % (int(fields[7]) + 1 if fields[7].isdigit() else 90)
            return b"\t".join(fields)

        yield from self._edited(
            "title.basics.tsv.gz", 9, self.removed, 2, self.rate / 10, corrected
        )
        kinds = (b"movie", b"tvSeries", b"short", b"movie", b"tvMovie")
        genres = (b"Drama", b"Comedy,Romance", b"Documentary", b"Action,Thriller", b"Horror")
        for n in self.new_titles:
            yield b"\t".join(
                [
                    _tt(n),
                    kinds[n % len(kinds)],
                    b"New Title %d" % n,
                    b"New Title %d" % n,
                    b"0",
                    b"2026",
                    b"\\N",
                    b"%d" % (60 + n % 90),
                    genres[n % len(genres)],
                ]
            )

    def title_ratings(self) -> Iterator[bytes]:
        def voted(n: int, fields: list[bytes]) -> bytes:
            try:
                rating, votes = float(fields[1]), int(fields[2])
            except ValueError:
                return b"\t".join(fields)
            rating = min(10.0, max(1.0, rating + (0.1 if n % 2 else -0.1)))
            return b"%s\t%.1f\t%d" % (fields[0], rating, votes + 1 + votes // 100)

        yield from self._edited("title.ratings.tsv.gz", 3, self.removed, 3, self.rate, voted)
        for n in self.new_titles[::2]:
            yield b"%s\t%.1f\t%d" % (_tt(n), 5 + n % 40 / 10, 10 + n % 500)

    def title_principals(self) -> Iterator[bytes]:
        current, last_ordering = None, 0

        def extra(title: int | None) -> Iterator[bytes]:
            if title is not None and _chance(title, self.seed + 4, self.rate / 5):
                person = self.person_for(title, 9)
                yield b"%s\t%d\t%s\tactor\t\\N\t\\N" % (_tt(title), last_ordering + 1, _nm(person))

        for line in _lines(self.src / "title.principals.tsv.gz"):
            fields = line.split(b"\t")
            n = _number(fields[0])
            if n is None or len(fields) != 6 or not fields[1].isdigit():
                yield line
                continue
            if n in self.removed:
                continue
            if n != current:
                yield from extra(current)
                current, last_ordering = n, 0
            last_ordering = max(last_ordering, int(fields[1]))
            yield line
        yield from extra(current)
        for n in self.new_titles:
            for slot, category in enumerate((b"actor", b"actress", b"director"), start=1):
                person = self.person_for(n, slot)
                yield b"%s\t%d\t%s\t%s\t\\N\t\\N" % (_tt(n), slot, _nm(person), category)

    def title_crew(self) -> Iterator[bytes]:
        yield from self._without_removed("title.crew.tsv.gz")
        for n in self.new_titles:
            yield b"%s\t%s\t%s" % (_tt(n), _nm(self.person_for(n, 3)), _nm(self.person_for(n, 4)))

    def name_basics(self) -> Iterator[bytes]:
        def renamed(n: int, fields: list[bytes]) -> bytes:
            fields[1] += b" Jr."
            return b"\t".join(fields)

        yield from self._edited(
            "name.basics.tsv.gz", 6, self.removed_people, 5, self.rate / 20, renamed
        )
        for n in self.new_people:
            yield b"%s\tNew Person %d\t1990\t\\N\tactor\t\\N" % (_nm(n), n)

    def _without_removed(self, name: str) -> Iterator[bytes]:
        for line in _lines(self.src / name):
            n = _number(line.split(b"\t", 1)[0])
            if n is None or n not in self.removed:
                yield line

    def files(self) -> dict[str, Iterator[bytes]]:
        return {
            "title.basics.tsv.gz": self.title_basics(),
            "title.ratings.tsv.gz": self.title_ratings(),
            "title.principals.tsv.gz": self.title_principals(),
            "title.crew.tsv.gz": self.title_crew(),
            "name.basics.tsv.gz": self.name_basics(),
            "title.episode.tsv.gz": self._without_removed("title.episode.tsv.gz"),
            "title.akas.tsv.gz": self._without_removed("title.akas.tsv.gz"),
        }


def next_day(src: Path, dst: Path, rate: float = 0.01, seed: int = 1) -> dict[str, int]:
    """Write the day after the dump in ``src`` into ``dst``; returns how many titles and people
    were added and removed. Files absent from ``src`` stay absent."""
    day = NextDay(src, rate, seed)
    dst.mkdir(parents=True, exist_ok=True)
    for name, lines in day.files().items():
        if (src / name).exists():
            _write(dst / name, lines)
    return {
        "new titles": len(day.new_titles),
        "removed titles": len(day.removed),
        "new people": len(day.new_people),
        "removed people": len(day.removed_people),
    }

"""A small IMDb dataset in the official format, with the traps of the real files.

Traps: ``"`` inside titles (IMDb never quotes), a backslash, ``\\N`` everywhere, accents, people and
titles referenced but absent from the basics files, a line with a missing column, a bad number, an
invalid UTF-8 byte, a characters value that is not JSON. ``write_files`` writes them gzip-compressed
(one may be replaced or left out per test).
"""

from __future__ import annotations

import gzip
from pathlib import Path

T = "\t"

FILES: dict[str, list[bytes]] = {
    "title.basics.tsv.gz": [
        b"tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres",
        b'tt0000001\tmovie\t"Quoted" Film\t"Quoted" Film\t0\t1999\t\\N\t136\tAction,Sci-Fi',
        b"tt0000002\tmovie\tBack\\slash Story\tBack\\slash Story\t0\t2001\t\\N\t\\N\tDrama",
        b"tt0000003\ttvSeries\tThe Series\tThe Series\t0\t2010\t2012\t45\tComedy",
        b"tt0000004\ttvEpisode\tPilot\tPilot\t0\t2010\t\\N\t44\tComedy",
        b"tt0000005\tshort\tA Short\tA Short\t0\t\\N\t\\N\t10\t\\N",
        b"tt0000006\tmovie\tBad Year\tBad Year\t0\t19x9\t\\N\t90\tDrama",  # line 7
        b"tt0000007\tmovie\tAdult Film\tAdult Film\t1\t2005\t\\N\t80\tAdult",
        b"tt0000008\tmovie\tMissing Column\t0\t2005\t\\N\t80\tDrama",  # line 9
        b"tt0000009\tmovie\tBad \xff Byte\tBad Byte\t0\t2005\t\\N\t80\tDrama",  # line 10
        "tt0000010\tmovie\tAmélie à Montréal\tLe Fabuleux Destin\t0\t2001\t\\N\t122\t"
        "Comedy,Romance".encode(),
        b"tt0000011\tmovie\tThe Sequel\tThe Sequel\t0\t2003\t\\N\t138\tAction,Sci-Fi",
    ],
    "title.ratings.tsv.gz": [
        b"tconst\taverageRating\tnumVotes",
        b"tt0000001\t8.7\t2000000",
        b"tt0000002\t6.1\t50",
        b"tt0000003\t7.0\t300",
        b"tt0000010\t8.3\t800000",
        b"tt0000011\t7.2\t600000",
        b"tt0000099\t5.0\t10",  # a title absent from title.basics
        b"tt0000005\t11.0\t5",  # line 8: rejected
    ],
    "title.crew.tsv.gz": [
        b"tconst\tdirectors\twriters",
        b"tt0000001\tnm0000001,nm0000009\tnm0000001,nm0000002",  # nm0000009: no name.basics row
        b"tt0000002\tnm0000001\t\\N",
        b"tt0000003\t\\N\t\\N",
        b"tt0000010\tnm0000005\tnm0000005",
        b"tt0000011\tnm0000001,nm0000009\tnm0000001",
    ],
    "title.episode.tsv.gz": [
        b"tconst\tparentTconst\tseasonNumber\tepisodeNumber",
        b"tt0000004\ttt0000003\t1\t1",
        b"tt0000012\ttt0000003\t1\t2",  # an episode absent from title.basics
    ],
    "title.principals.tsv.gz": [
        b"tconst\tordering\tnconst\tcategory\tjob\tcharacters",
        b'tt0000001\t1\tnm0000003\tactor\t\\N\t["Neo"]',
        b'tt0000001\t2\tnm0000004\tactress\t\\N\t["Trinity, \\"the\\" one"]',
        b"tt0000001\t3\tnm0000001\tdirector\t\\N\t\\N",
        b'tt0000002\t1\tnm0000003\tactor\t\\N\t["Someone"]',
        b"tt0000002\t2\tnm0000008\tproducer\tproducer\t\\N",  # nm0000008: no name.basics row
        b"tt0000002\t3\tnm0000004\tactress\t\\N\tNot JSON",  # line 7: rejected
        b'tt0000011\t1\tnm0000003\tactor\t\\N\t["Neo"]',
        b'tt0000011\t2\tnm0000004\tactress\t\\N\t{"not": "a list"}',  # line 9: rejected
    ],
    "title.akas.tsv.gz": [
        b"titleId\tordering\ttitle\tregion\tlanguage\ttypes\tattributes\tisOriginalTitle",
        "tt0000001\t1\tLe Film « Cité »\tFR\tfr\timdbDisplay\t\\N\t0".encode(),
        b'tt0000001\t2\t"Quoted" Film\t\\N\t\\N\toriginal\t\\N\t1',
        b"tt0000010\t1\tAmelie\tUS\ten\timdbDisplay\tliteral title\t0",
    ],
    "name.basics.tsv.gz": [
        b"nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles",
        b"nm0000001\tLana Director\t1965\t\\N\tdirector,writer,producer\ttt0000001,tt0000002",
        b"nm0000002\tWriter One\t1970\t\\N\twriter\ttt0000001",
        b"nm0000003\tActor One\t1964\t\\N\tactor\ttt0000001",
        b"nm0000004\tActress One\t1967\t\\N\tactress\ttt0000001,tt0000088",  # tt0000088: absent
        b"nm0000005\tJean-Pierre R\xc3\xa9alisateur\t1953\t\\N\tdirector\ttt0000010",
    ],
}

# Lines of the files above that the importer must reject (file -> line numbers, header = line 1).
REJECTED = {
    "title.basics.tsv.gz": {7, 9, 10},
    "title.principals.tsv.gz": {7, 9},
    "title.ratings.tsv.gz": {8},
}


def write_files(
    folder: Path, *, skip: tuple[str, ...] = (), replace: dict[str, bytes] | None = None
) -> Path:
    """Write the fixture as gzip files in ``folder``; ``replace`` gives raw file bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in FILES.items():
        if name in skip:
            continue
        path = folder / name
        if replace and name in replace:
            path.write_bytes(replace[name])
        else:
            with gzip.open(path, "wb") as f:
                f.write(b"\n".join(lines) + b"\n")
    return folder


def gz(lines: list[bytes]) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n")

"""The incremental import: day 1 imported, day 2 applied as a refresh, equals a fresh full import
of day 2 — every catalogue table, row by row, and every materialized view over it."""

from __future__ import annotations

import psycopg
import pytest

from database.analytics_upkeep import KEPT
from database.catalog_refresh import parents_first
from database.config import DEFAULT_TITLE_TYPES
from database.imdb_import import ImportOptions, run_import
from harness.imdb_generator import Generator
from harness.imdb_next_day import next_day
from tests.imdb_fixture import write_files

LOOKUPS = {"title_type_id": "title_type", "genre_id": "genre", "category_id": "category"}
LOOKUPS["profession_id"] = "profession"


def imported(url: str, folder, **options):
    return run_import(url, str(folder), ImportOptions(**options), echo=lambda _: None)


def table_rows(conn: psycopg.Connection, table: str) -> list[tuple]:
    """Every row, lookup ids replaced by their names (a lookup id depends on the names the
    database saw first, by design: database/catalog_build.py), sorted; without the time of the
    import (key_figures.imported_at), which differs between the two databases by nature."""
    columns = [
        r[0]
        for r in conn.execute(
            """SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0
               AND NOT attisdropped AND attname <> 'imported_at' ORDER BY attnum""",
            (table,),
        )
    ]
    shown = [
        f"(SELECT name FROM catalog.{LOOKUPS[c]} l WHERE l.{c} = t.{c})"
        if c in LOOKUPS and not table.endswith(f".{LOOKUPS[c]}")
        else f"t.{c}::text"
        for c in columns
        if not (table.startswith("catalog.") and table.endswith(f".{LOOKUPS.get(c, '-')}"))
    ]
    rows = conn.execute(f"SELECT {', '.join(shown)} FROM {table} t").fetchall()
    return sorted(rows, key=repr)


def snapshot(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        tables = [f"catalog.{t}" for t in parents_first(conn)]
        views = [
            r[0]
            for r in conn.execute(
                """SELECT format('analytics.%I', relname) FROM pg_class
                   WHERE relnamespace = 'analytics'::regnamespace AND relkind IN ('r', 'm')"""
            )
        ]
        return {name: table_rows(conn, name) for name in tables + views}


@pytest.fixture
def days(tmp_path):
    """Two days of a generated dump (20,000 rows) and two of the hand-made one with its traps."""
    Generator(20_000, seed=3).write(tmp_path / "gen1")
    changed = next_day(tmp_path / "gen1", tmp_path / "gen2", rate=0.05, seed=1)
    write_files(tmp_path / "fix1")
    next_day(tmp_path / "fix1", tmp_path / "fix2", rate=0.5, seed=2)
    return tmp_path, changed


def refreshed_as_full(db_url, other_db_url, day1, day2, **options):
    """Day 1 imported, day 2 applied as a refresh, and day 2 imported in full beside it: the
    refresh's report, once the two catalogues and their reports are checked equal."""
    assert imported(db_url, day1, **options).mode == "rebuild"
    report = imported(db_url, day2, **options)
    assert (report.mode, report.status) == ("refresh", "succeeded")
    full = imported(other_db_url, day2, **options)
    assert full.mode == "rebuild"
    assert {n: (f.read, f.stored, f.rejected) for n, f in report.files.items()} == {
        n: (f.read, f.stored, f.rejected) for n, f in full.files.items()
    }
    refreshed, rebuilt = snapshot(db_url), snapshot(other_db_url)
    assert refreshed.keys() == rebuilt.keys()
    differ = [name for name in refreshed if refreshed[name] != rebuilt[name]]
    assert differ == []
    return report


def gin_pending_entries(url: str) -> dict[str, int]:
    """Entries waiting in each analytics GIN index's pending list (what every search reads)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        return dict(
            conn.execute(
                """SELECT c.relname, (pgstatginindex(c.oid)).pending_tuples
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   JOIN pg_am a ON a.oid = c.relam
                   WHERE a.amname = 'gin' AND c.relnamespace = 'analytics'::regnamespace"""
            ).fetchall()
        )


@pytest.mark.parametrize("dump", ["gen", "fix"])
def test_a_refresh_equals_a_full_import_table_by_table(days, dump, db_url, other_db_url):
    folder, changed = days
    assert changed["new titles"] > 0 and changed["removed titles"] > 0
    report = refreshed_as_full(db_url, other_db_url, folder / f"{dump}1", folder / f"{dump}2")
    # and the refresh did change something: on the generated dump in each kind of way
    counts = report.changes
    assert counts["title"]["inserted"] > 0 and counts["principal"]["inserted"] > 0
    if dump == "gen":
        assert counts["title"]["updated"] > 0 and counts["rating"]["updated"] > 0
        assert counts["aka"]["deleted"] > 0 and counts["person"]["updated"] > 0
    # the generated days differ in changed lines only; the hand-made ones reject lines (their
    # traps): read in full, since a rejected line's key could hide another line's
    scope = "changed lines" if dump == "gen" else "every line"
    assert report.scope == scope
    assert f"(refresh from {scope})" in report.render() and "title " in report.render()
    # and the searches' indexes hold the new rows in their trees, not in pending lists
    pending = gin_pending_entries(db_url)
    assert "title_search_trgm" in pending and "person_search_trgm" in pending
    assert set(pending.values()) == {0}, pending


@pytest.mark.parametrize(
    "types", [DEFAULT_TITLE_TYPES, ("movie", "tvSeries", "tvEpisode")], ids=["default", "episodes"]
)
def test_a_subset_refresh_from_the_changed_lines_equals_its_full_import(
    tmp_path, types, db_url, other_db_url
):
    """A subset of the title types (the main job's default): the changed lines of the kept
    titles, the people they credit now named from their unchanged lines, the people no kept
    title credits any more gone, the titles removed taking their known-for entries."""
    Generator(20_000, seed=4).write(tmp_path / "gen")
    lone = b"tt0099999\tmovie\tAlone\tAlone\t0\t2001\t\\N\t%d\tDrama"  # no other line has it
    _edited(tmp_path / "gen", tmp_path / "day1", {"title.basics.tsv.gz": lambda x: x + [lone % 90]})
    next_day(tmp_path / "day1", tmp_path / "gen2", rate=0.2, seed=3)  # titles of each type go
    _edited(
        tmp_path / "gen2",
        tmp_path / "day2",
        {
            "title.basics.tsv.gz": lambda x: (
                [y for y in x if not y.startswith(b"tt0099999")] + [lone % 95]
            )
        },
    )
    report = refreshed_as_full(
        db_url, other_db_url, tmp_path / "day1", tmp_path / "day2", title_types=types
    )
    assert report.scope == "changed lines"
    counts = report.changes
    assert counts["title"]["inserted"] > 0 and counts["title"]["deleted"] > 0
    assert counts["person"]["inserted"] > 0 and counts["person"]["deleted"] > 0
    assert counts["known_for"]["deleted"] > 0 and counts["principal"]["inserted"] > 0


@pytest.mark.parametrize("change", [(b"movie", b"tvEpisode"), (b"tvEpisode", b"movie")])
def test_a_title_changing_in_or_out_of_the_subset_refreshes_from_every_line(
    tmp_path, change, db_url, other_db_url
):
    """A title whose type moves it in or out of the kept types has lines that did not change
    in the other files (its credits, its akas): the refresh reads every line, and says why."""
    Generator(2_000, seed=5).write(tmp_path / "gen")
    credited = set(_credited_titles(tmp_path / "gen"))
    old, new = change

    def retyped(lines):
        target = next(
            x.split(b"\t")[0]
            for x in lines
            if x.split(b"\t")[1] == old and x.split(b"\t")[0] in credited
        )
        return [
            x.replace(b"\t" + old + b"\t", b"\t" + new + b"\t")
            if x.startswith(target + b"\t")
            else x
            for x in lines
        ]

    _edited(tmp_path / "gen", tmp_path / "day2", {"title.basics.tsv.gz": retyped})
    report = refreshed_as_full(
        db_url, other_db_url, tmp_path / "gen", tmp_path / "day2", title_types=DEFAULT_TITLE_TYPES
    )
    assert report.scope == "every line"
    assert report.changes["title"]["inserted" if old == b"tvEpisode" else "deleted"] == 1


def _credited_titles(folder) -> list[bytes]:
    import gzip

    lines = gzip.decompress((folder / "title.principals.tsv.gz").read_bytes()).splitlines()
    return [line.split(b"\t")[0] for line in lines[1:]]


def test_full_forces_a_rebuild_and_unchanged_files_do_nothing(days, db_url):
    folder, _ = days
    imported(db_url, folder / "fix1")
    assert imported(db_url, folder / "fix1").status == "unchanged"
    again = imported(db_url, folder / "fix1", force=True)
    assert again.mode == "refresh" and all(
        not any(c.values()) for c in again.changes.values()
    )  # the same files: nothing to change
    assert imported(db_url, folder / "fix2", full=True).mode == "rebuild"
    # other options than the catalogue's (a subset of types): a rebuild, never a refresh
    assert imported(db_url, folder / "fix2", title_types=("movie",)).mode == "rebuild"


REFRESH_SCRIPT = """
import sys
from database.imdb_import import ImportOptions, run_import
run_import(sys.argv[1], sys.argv[2], ImportOptions(force=True), echo=lambda _: None)
"""


@pytest.mark.parametrize(
    "held",
    [
        # the build of catalog_next reads the lookups of the live catalogue
        "LOCK TABLE catalog.category IN ACCESS EXCLUSIVE MODE",
        # the apply: its UPDATE of catalog.rating waits (ROW EXCLUSIVE against SHARE)
        "LOCK TABLE catalog.rating IN SHARE MODE",
        # the analytics: catalog applied, the rows of what changed wait to be replaced
        "LOCK TABLE analytics.title_facts IN SHARE MODE",
    ],
    ids=["building", "applying", "refreshing views"],
)
def test_a_refresh_killed_at_any_step_leaves_the_previous_catalogue(days, db_url, held):
    import os
    import signal
    import subprocess
    import sys
    import time

    folder, _ = days
    imported(db_url, folder / "gen1")
    before = snapshot(db_url)
    app = "netfloox-refresh-under-test"
    locker = psycopg.connect(db_url)
    locker.execute(held)
    proc = subprocess.Popen(
        [sys.executable, "-c", REFRESH_SCRIPT, db_url, str(folder / "gen2")],
        env=dict(os.environ, PGAPPNAME=app),
    )
    try:
        with psycopg.connect(db_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 120
            while not watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s"
                " AND wait_event_type = 'Lock'",
                (app,),
            ).fetchone():
                assert proc.poll() is None and time.monotonic() < deadline, "never held"
                time.sleep(0.05)
            with psycopg.connect(db_url) as reader:  # readers meanwhile: the previous rows
                assert table_rows(reader, "catalog.rating") == before["catalog.rating"]
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            watcher.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (app,),
            )
    finally:
        locker.close()
        if proc.poll() is None:
            proc.kill()
    assert snapshot(db_url) == before
    report = imported(db_url, folder / "gen2")  # the next run cleans up and succeeds
    # from the changed lines: the killed run's copy of its files (made while it ran) left the
    # kept copy of gen1's files as it was
    assert (report.mode, report.status, report.scope) == ("refresh", "succeeded", "changed lines")


def _edited(src, dst, edits) -> None:
    """Copy the files of ``src`` into ``dst``, each through edits[name](data lines) if given."""
    import gzip

    dst.mkdir(parents=True, exist_ok=True)
    for path in src.glob("*.tsv.gz"):
        header, *lines = gzip.decompress(path.read_bytes()).splitlines()
        lines = edits.get(path.name, lambda x: x)(lines)
        (dst / path.name).write_bytes(gzip.compress(b"\n".join([header, *lines]) + b"\n"))


def _credited_people(folder) -> list[bytes]:
    """The people of the principals file, in the order of their first credit."""
    import gzip

    lines = gzip.decompress((folder / "title.principals.tsv.gz").read_bytes()).splitlines()
    return list(dict.fromkeys(line.split(b"\t")[2] for line in lines[1:]))


def test_changed_lines_settle_placeholders_and_lookup_names(tmp_path, db_url, other_db_url):
    """The cases a day's changed lines reach beyond their own rows, each against a full import:
    a person and a title whose basics line goes while rows still reference them (placeholders
    now), placeholders no row references any more (gone), one that gets its basics line (real
    now), a genre and a category no line uses any more and new ones, people whose professions
    change (written in place) or go."""
    Generator(2_000, seed=5).write(tmp_path / "gen")
    gone_person, new_job, no_job = _credited_people(tmp_path / "gen")[:3]
    jobs = {new_job: b"producer,miscellaneous", no_job: b"\\N"}

    def names2(lines):
        out = []
        for line in lines:
            f = line.split(b"\t")
            if f[0] != gone_person:
                f[4] = jobs.get(f[0], f[4])
                out.append(b"\t".join(f))
        return out

    rated = b"tt0000011"  # the generator's first rated title (see its ratings file)

    def basics1(lines):
        return [
            x.rsplit(b"\t", 1)[0] + b"\tNoir" if x.startswith(b"tt0000001\t") else x for x in lines
        ]

    _edited(
        tmp_path / "gen",
        tmp_path / "day1",
        {
            "title.basics.tsv.gz": basics1,
            "title.ratings.tsv.gz": lambda x: x + [b"tt0099990\t5.0\t10", b"tt0099991\t6.0\t20"],
            "title.principals.tsv.gz": lambda x: [
                y
                for line in x
                for y in (
                    [line, b"tt0000001\t99\tnm0099990\tactor\t\\N\t\\N"]
                    if line.startswith(b"tt0000001\t1\t")
                    else [line]
                )
            ],
        },
    )

    def basics2(lines):
        out = [x for x in lines if not x.startswith(rated + b"\t")]
        out = [x.replace(b"\tNoir", b"\tDrama,Western") for x in out]
        return out + [b"tt0099991\tmovie\tNow Real\tNow Real\t0\t2020\t\\N\t90\tDrama"]

    def principals2(lines):
        return [
            x.replace(b"\tactor\t", b"\tstunts\t") if x.startswith(b"tt0000001\t1\t") else x
            for x in lines
        ]

    _edited(
        tmp_path / "day1",
        tmp_path / "day2",
        {
            "title.basics.tsv.gz": basics2,
            "title.ratings.tsv.gz": lambda x: [y for y in x if not y.startswith(b"tt0099990\t")],
            "title.principals.tsv.gz": lambda x: principals2(
                [y for y in x if not y.startswith(b"tt0000001\t99\t")]
            ),
            "name.basics.tsv.gz": names2,
        },
    )
    imported(db_url, tmp_path / "day1")
    report = imported(db_url, tmp_path / "day2")
    assert (report.mode, report.scope) == ("refresh", "changed lines")
    imported(other_db_url, tmp_path / "day2")
    refreshed, rebuilt = snapshot(db_url), snapshot(other_db_url)
    assert [name for name in refreshed if refreshed[name] != rebuilt[name]] == []
    with psycopg.connect(db_url) as conn:
        placeholders = conn.execute(
            """SELECT (SELECT is_placeholder FROM catalog.person WHERE nconst = %s),
                      (SELECT is_placeholder FROM catalog.title WHERE tconst = %s),
                      (SELECT is_placeholder FROM catalog.title WHERE tconst = 'tt0099991'),
                      (SELECT count(*) FROM catalog.title WHERE tconst = 'tt0099990'),
                      (SELECT count(*) FROM catalog.person WHERE nconst = 'nm0099990'),
                      (SELECT array_agg(name ORDER BY name) FROM catalog.genre
                       WHERE name IN ('Noir', 'Western')),
                      (SELECT count(*) FROM catalog.category WHERE name = 'stunts')""",
            (gone_person.decode(), rated.decode()),
        ).fetchone()
    assert placeholders == (True, True, False, 0, 0, ["Western"], 1)
    with psycopg.connect(db_url) as conn:
        professions = dict(
            conn.execute(
                "SELECT nconst, professions FROM analytics.person_search WHERE nconst = ANY (%s)",
                ([new_job.decode(), no_job.decode()],),
            ).fetchall()
        )
    assert professions == {new_job.decode(): "producer, miscellaneous", no_job.decode(): None}


def _fields(folder, name) -> list[list[bytes]]:
    import gzip

    return [x.split(b"\t") for x in gzip.decompress((folder / name).read_bytes()).splitlines()[1:]]


def test_the_people_of_a_title_whose_facts_or_rating_change_equal_a_full_import(
    tmp_path, db_url, other_db_url
):
    """The people's analytics rows hold their titles' type, years, ratings and votes, which a
    refresh moves by difference where it can (database/analytics_upkeep.py): a title whose year
    or type changes; a rating that comes, one that goes (the last rated title of its director),
    one that moves; a credit lost; an actor listed a second time on a title; a credit added on a
    title older than the actor's first — each against a full import."""
    gen, day1, day2 = tmp_path / "gen", tmp_path / "day1", tmp_path / "day2"
    Generator(20_000, seed=5).write(gen)
    rated = {f[0] for f in _fields(gen, "title.ratings.tsv.gz")}
    kinds = {f[0]: f[1] for f in _fields(gen, "title.basics.tsv.gz")}
    credited = {f[0] for f in _fields(gen, "title.principals.tsv.gz")}
    films = sorted(t for t in credited if kinds.get(t, b"tvEpisode") != b"tvEpisode")
    year, kind, unrated, moved, lose, other, *rest = [t for t in films if t in rated]
    comes = next(t for t in films if t not in rated)
    early = next(t for t in rest if kinds[t] == kinds[other])  # rated, unchanged so far
    before, after = [t for t in rest if kinds[t] == kinds[lose] and t != early][:2]
    # people of our own, credited on no other changed title: moved by difference
    loser, twice, star, sole = b"nm0099990", b"nm0099991", b"nm0099992", b"nm0099993"
    once = b"nm0099994"  # credited once: their row goes with the credit
    edge = b"nm0099995"  # loses the credit of their last year
    relisted = b"nm0099996"  # one line lost, another added: still on the title
    left = b"nm0099997"  # loses a credit on the title whose rating moves

    def credit(title, ordering, person, category=b"actor"):
        return b"\t".join([title, ordering, person, category, b"\\N", b"\\N"])

    def edit(column, values):  # values: {title: new value of column}
        def lines(rows):
            out = []
            for row in rows:
                f = row.split(b"\t")
                f[column] = values.get(f[0], f[column])
                out.append(b"\t".join(f))
            return out

        return lines

    people = [
        p + b"\tSomeone\t\\N\t\\N\t\\N\t\\N"
        for p in (loser, twice, star, sole, once, edge, relisted, left)
    ]
    _edited(
        gen,
        day1,
        {
            # the loser's lost credit is neither their first nor their last year
            "title.basics.tsv.gz": edit(
                5, {early: b"1880", before: b"1990", lose: b"2000", after: b"2010"}
            ),
            "title.crew.tsv.gz": edit(1, {unrated: sole}),
            "name.basics.tsv.gz": lambda x: x + people,
            "title.principals.tsv.gz": lambda x: (
                x
                + [credit(t, b"90", loser) for t in (before, lose, after)]
                + [
                    credit(lose, b"94", once),
                    credit(before, b"95", edge),
                    credit(lose, b"95", edge),
                ]
                + [credit(other, b"96", relisted)]
                + [credit(moved, b"97", left), credit(before, b"97", left)]
                + [credit(moved, b"91", twice), credit(other, b"91", twice)]
                + [credit(other, b"92", star)]
            ),
        },
    )
    flip = {b"movie": b"tvMovie"}
    gone = {credit(lose, b"90", loser), credit(lose, b"94", once), credit(lose, b"95", edge)}
    gone |= {credit(other, b"96", relisted), credit(moved, b"97", left)}
    _edited(
        day1,
        day2,
        {
            "title.basics.tsv.gz": lambda x: edit(1, {kind: flip.get(kinds[kind], b"movie")})(
                edit(5, {year: b"1890"})(x)
            ),
            "title.ratings.tsv.gz": lambda x: (
                [
                    moved + b"\t9.9\t123456" if r.startswith(moved + b"\t") else r
                    for r in x
                    if not r.startswith(unrated + b"\t")
                ]
                + [comes + b"\t3.3\t777"]
            ),
            "title.principals.tsv.gz": lambda x: (
                [r for r in x if r not in gone]
                + [credit(moved, b"92", twice, b"actress"), credit(early, b"93", star)]
                + [credit(other, b"98", relisted, b"actress")]
            ),
        },
    )
    imported(db_url, day1)
    report = imported(db_url, day2)
    assert (report.mode, report.scope) == ("refresh", "changed lines")
    imported(other_db_url, day2)
    refreshed, rebuilt = snapshot(db_url), snapshot(other_db_url)
    assert [name for name in refreshed if refreshed[name] != rebuilt[name]] == []
    with psycopg.connect(db_url) as conn:
        first, sole_rows = conn.execute(
            """SELECT (SELECT min(first_year) FROM analytics.person_stats WHERE nconst = %s),
                      (SELECT count(*) FROM analytics.person_stats WHERE nconst = %s)""",
            (star.decode(), sole.decode()),
        ).fetchone()
    assert (first, sole_rows) == (1880, 0)


def test_a_changed_line_repeating_a_key_refreshes_from_every_line(tmp_path, db_url, other_db_url):
    """Which of two lines with one key wins (the last) needs them all: the refresh reads every
    line then, and still equals a full import, the earlier line rejected."""
    Generator(2_000, seed=5).write(tmp_path / "day1")

    def twice(lines):
        first = lines[0].split(b"\t")
        return [b"\t".join([first[0], b"9.9", first[2]]), *lines]

    _edited(tmp_path / "day1", tmp_path / "day2", {"title.ratings.tsv.gz": twice})
    imported(db_url, tmp_path / "day1")
    report = imported(db_url, tmp_path / "day2")
    assert (report.mode, report.scope) == ("refresh", "every line")
    assert report.files["title.ratings.tsv.gz"].rejected == 1
    imported(other_db_url, tmp_path / "day2")
    assert snapshot(db_url) == snapshot(other_db_url)


def test_without_a_true_copy_of_the_last_files_a_refresh_reads_every_line(tmp_path, db_url):
    """The changed lines are found against the kept copy of the last import's files: missing, or
    altered since, the refresh reads every line instead, and says why."""
    from database import kept_files

    Generator(2_000, seed=5).write(tmp_path / "day1")
    next_day(tmp_path / "day1", tmp_path / "day2", rate=0.05, seed=1)
    imported(db_url, tmp_path / "day1")
    with psycopg.connect(db_url) as conn:
        copy = kept_files.folder(conn) / "title.ratings.tsv.gz"
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0xFF
        copy.write_bytes(bytes(data))  # the manifest still names its digest
    said: list[str] = []
    report = run_import(db_url, str(tmp_path / "day2"), ImportOptions(), echo=said.append)
    assert report.scope == "every line"
    assert "refreshing from every line: no copy of the files the catalogue was built from" in said
    with psycopg.connect(db_url) as conn:  # and the copy is the new files' now
        assert kept_files.kept(conn) is not None
        kept_files.forget(conn)
        assert kept_files.kept(conn) is None


def test_a_refresh_keeps_every_analytics_table_and_holds_no_reader(db):
    """Every table of analytics is one a refresh keeps up to date row by row (a new one without
    its upkeep would go stale), and none is a materialized view: a plain REFRESH holds readers
    until the commit (key_figures did: 3.4 s at 20 M rows), a concurrent one recomputes it whole
    (yearly_stats and rating_profile: 26 s at 100 M rows)."""
    relations = db.execute(
        """SELECT relname, relkind FROM pg_class
           WHERE relnamespace = 'analytics'::regnamespace AND relkind IN ('r', 'm')"""
    ).fetchall()
    assert sorted(relations) == sorted((name, "r") for name in KEPT)

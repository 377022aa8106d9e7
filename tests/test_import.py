"""The IMDb import: counts, types, relations, rejects, placeholders, subsets, atomic re-import."""

from __future__ import annotations

import pytest

from database.imdb_import import ImportFailed, ImportOptions, run_import
from tests import imdb_fixture
from tests.imdb_fixture import REJECTED, gz, write_files


def _import(db_url, folder, **options):
    return run_import(db_url, str(folder), ImportOptions(**options), echo=lambda _: None)


@pytest.fixture
def imported(db_url, tmp_path):
    """The fixture files imported once; returns the report."""
    return _import(db_url, write_files(tmp_path / "imdb"))


def one(db, query, *params):
    return db.execute(query, params).fetchone()


def test_every_line_is_accounted_for(imported):
    for name, f in imported.files.items():
        lines = len(imdb_fixture.FILES[name]) - 1
        assert f.present and f.read == lines, name
        assert f.stored + f.rejected + f.filtered == f.read, name
        assert f.rejected == len(REJECTED.get(name, ())), name
        assert f.filtered == 0, name


def test_the_staged_raw_rows_are_gone_after_the_import(db, imported):
    counts = db.execute(
        "SELECT (SELECT count(*) FROM staging.title_basics),"
        " (SELECT count(*) FROM staging.title_principals), (SELECT count(*) FROM catalog.title)"
    ).fetchone()
    assert counts[:2] == (0, 0) and counts[2] > 0


def test_rejected_lines_are_kept_with_file_line_and_reason(db, imported):
    rows = db.execute(
        "SELECT file_name, line_no, reason, raw_line FROM ops.import_reject WHERE run_id = %s"
        " ORDER BY file_name, line_no",
        (imported.run_id,),
    ).fetchall()
    assert {(r[0], r[1]) for r in rows} == {(f, n) for f, ns in REJECTED.items() for n in ns}
    reasons = {(r[0], r[1]): r[2] for r in rows}
    assert reasons[("title.basics.tsv.gz", 7)].startswith("startYear: invalid input syntax")
    assert reasons[("title.basics.tsv.gz", 9)] == "expected 9 tab-separated fields, found 8"
    assert "UTF8" in reasons[("title.basics.tsv.gz", 10)]
    assert (
        reasons[("title.principals.tsv.gz", 7)] == "characters: invalid input syntax for type json"
    )
    assert reasons[("title.principals.tsv.gz", 9)] == "characters: not a JSON array"
    assert reasons[("title.ratings.tsv.gz", 8)] == "averageRating: outside 1-10"
    raw = {(r[0], r[1]): r[3] for r in rows}
    assert "19x9" in raw[("title.basics.tsv.gz", 7)]


def test_titles_are_typed_and_text_is_kept_verbatim(db, imported):
    row = one(
        db,
        """SELECT primary_title, start_year, end_year, runtime_minutes, is_adult,
                            tt.name, is_placeholder
                     FROM catalog.title JOIN catalog.title_type tt USING (title_type_id)
                     WHERE tconst = 'tt0000001'""",
    )
    assert row == ('"Quoted" Film', 1999, None, 136, False, "movie", False)
    assert one(
        db, "SELECT primary_title, runtime_minutes FROM catalog.title WHERE title_id = 2"
    ) == ("Back\\slash Story", None)
    assert (
        one(db, "SELECT primary_title FROM catalog.title WHERE tconst = 'tt0000010'")[0]
        == "Amélie à Montréal"
    )
    assert one(db, "SELECT is_adult FROM catalog.title WHERE tconst = 'tt0000007'")[0] is True
    types = dict(
        db.execute("""SELECT column_name, data_type FROM information_schema.columns
                               WHERE table_schema = 'catalog' AND table_name = 'title'""")
    )
    assert types["start_year"] == "smallint" and types["title_id"] == "integer"


def test_genres_are_a_relation_in_file_order(db, imported):
    genres = db.execute("""SELECT g.name FROM catalog.title_genre tg JOIN catalog.genre g
                           USING (genre_id) WHERE title_id = 1 ORDER BY position""").fetchall()
    assert genres == [("Action",), ("Sci-Fi",)]
    assert one(db, "SELECT count(*) FROM catalog.title_genre WHERE title_id = 5")[0] == 0


def test_principals_crew_and_characters(db, imported):
    chars = one(db, "SELECT characters FROM catalog.principal WHERE title_id = 1 AND ordering = 2")
    assert chars[0] == ['Trinity, "the" one']
    directors = db.execute(
        "SELECT person_id FROM catalog.title_director WHERE title_id = 1 ORDER BY position"
    ).fetchall()
    assert directors == [(1,), (9,)]
    assert one(db, "SELECT count(*) FROM catalog.title_writer WHERE title_id = 1")[0] == 2
    assert one(db, "SELECT count(*) FROM catalog.title_director WHERE title_id = 3")[0] == 0
    rating = one(db, "SELECT average_rating, num_votes FROM catalog.rating WHERE title_id = 1")
    assert (float(rating[0]), rating[1]) == (8.7, 2000000)


def test_dangling_references_become_flagged_placeholders(db, imported):
    # people named in crew/principals but absent from name.basics: kept, unnamed, counted
    for nconst in ("nm0000009", "nm0000008"):
        assert one(
            db, "SELECT primary_name, is_placeholder FROM catalog.person WHERE nconst = %s", nconst
        ) == (None, True)
    assert imported.placeholder_people == 2
    # titles referenced by ratings, episodes and knownFor but absent from title.basics
    placeholders = {
        r[0] for r in db.execute("SELECT tconst FROM catalog.title WHERE is_placeholder")
    }
    assert {"tt0000099", "tt0000012", "tt0000088"} <= placeholders
    assert one(db, "SELECT num_votes FROM catalog.rating WHERE title_id = 99")[0] == 10
    # the rejected basics lines still exist as titles, because other files reference them?
    # tt0000006/8/9 are referenced nowhere else, so they are simply absent
    assert one(db, "SELECT count(*) FROM catalog.title WHERE title_id IN (6, 8, 9)")[0] == 0


def test_episodes_akas_professions_known_for(db, imported):
    assert one(
        db,
        "SELECT series_title_id, season_number, episode_number FROM catalog.episode"
        " WHERE title_id = 4",
    ) == (3, 1, 1)
    aka = one(
        db,
        "SELECT title, region, language, types, is_original_title FROM catalog.aka"
        " WHERE title_id = 1 AND ordering = 1",
    )
    assert aka == ("Le Film « Cité »", "FR", "fr", ["imdbDisplay"], False)
    professions = db.execute("""SELECT f.name FROM catalog.person_profession pp
                                JOIN catalog.profession f USING (profession_id)
                                WHERE person_id = 1 ORDER BY position""").fetchall()
    assert professions == [("director",), ("writer",), ("producer",)]
    assert one(db, "SELECT count(*) FROM catalog.known_for WHERE person_id = 4")[0] == 2


def test_foreign_keys_hold_and_indexes_are_in_place(db, imported):
    fks = db.execute("""SELECT conrelid::regclass::text, conname FROM pg_constraint
                        WHERE contype = 'f' AND connamespace = 'catalog'::regnamespace""")
    fks = fks.fetchall()
    assert len(fks) >= 15
    for table, name in fks:  # added NOT VALID for speed: every one must validate
        db.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
    assert one(db, "SELECT to_regclass('catalog.principal_person_idx') IS NOT NULL")[0]
    assert one(db, "SELECT to_regnamespace('catalog_next') IS NULL")[0]


def test_reimport_is_idempotent_and_unchanged_files_are_skipped(db, db_url, tmp_path, imported):
    def counts():
        return db.execute("""SELECT (SELECT count(*) FROM catalog.title),
                                    (SELECT count(*) FROM catalog.person),
                                    (SELECT count(*) FROM catalog.principal),
                                    (SELECT count(*) FROM catalog.title_genre)""").fetchone()

    before = counts()
    again = _import(db_url, tmp_path / "imdb")
    assert again.status == "unchanged"
    forced = _import(db_url, tmp_path / "imdb", force=True)
    assert forced.status == "succeeded"
    assert counts() == before
    assert {n: (f.stored, f.rejected) for n, f in forced.files.items()} == {
        n: (f.stored, f.rejected) for n, f in imported.files.items()
    }


def test_missing_file_is_allowed_and_reported(db, db_url, tmp_path):
    report = _import(db_url, write_files(tmp_path / "imdb", skip=("title.akas.tsv.gz",)))
    assert report.files["title.akas.tsv.gz"].present is False
    assert "title.akas.tsv.gz" in report.render() and "missing" in report.render()
    assert one(db, "SELECT count(*) FROM catalog.aka")[0] == 0
    assert one(db, "SELECT count(*) FROM catalog.title WHERE NOT is_placeholder")[0] == 8


def test_missing_title_basics_is_an_error(db_url, tmp_path):
    with pytest.raises(ImportFailed, match="title.basics.tsv.gz is missing"):
        _import(db_url, write_files(tmp_path / "imdb", skip=("title.basics.tsv.gz",)))


@pytest.mark.parametrize(
    "broken, message",
    [
        (gz(imdb_fixture.FILES["name.basics.tsv.gz"])[:-40], "truncated or corrupt gzip"),
        (
            gz([b"nconst\tname\tbirthYear"] + imdb_fixture.FILES["name.basics.tsv.gz"][1:]),
            "wrong header",
        ),
        (b"not gzip at all\n", "truncated or corrupt gzip"),
    ],
)
def test_broken_file_is_a_clear_error_and_old_catalogue_stays(
    db, db_url, tmp_path, imported, broken, message
):
    before = one(db, "SELECT count(*) FROM catalog.title")[0]
    folder = write_files(tmp_path / "broken", replace={"name.basics.tsv.gz": broken})
    with pytest.raises(ImportFailed, match=f"name.basics.tsv.gz.*{message}"):
        _import(db_url, folder)
    assert one(db, "SELECT count(*) FROM catalog.title")[0] == before
    assert one(db, "SELECT status FROM ops.import_run ORDER BY run_id DESC LIMIT 1")[0] == "failed"


def test_too_many_rejects_fail_and_keep_the_rejects_for_review(db, db_url, tmp_path, imported):
    with pytest.raises(ImportFailed, match=r"title.basics.tsv.gz: 3 of 11 lines rejected"):
        _import(db_url, tmp_path / "imdb", force=True, max_rejects=2)
    run = one(db, "SELECT run_id, status FROM ops.import_run ORDER BY run_id DESC LIMIT 1")
    assert run[1] == "failed"
    assert one(db, "SELECT count(*) FROM ops.import_reject WHERE run_id = %s", run[0])[0] >= 3
    assert one(db, "SELECT count(*) FROM catalog.title WHERE NOT is_placeholder")[0] == 8


def test_subset_keeps_types_votes_and_referential_integrity(db, db_url, tmp_path):
    report = _import(db_url, write_files(tmp_path / "imdb"), title_types=("movie",), min_votes=100)
    titles = {r[0] for r in db.execute("SELECT tconst FROM catalog.title")}
    assert titles == {"tt0000001", "tt0000010", "tt0000011"}
    people = {r[0] for r in db.execute("SELECT nconst FROM catalog.person")}
    # only people the kept titles reference (nm0000002 writes tt0000001), placeholders included
    assert people == {"nm0000001", "nm0000002", "nm0000003", "nm0000004", "nm0000005", "nm0000009"}
    assert one(db, "SELECT count(*) FROM catalog.episode")[0] == 0
    assert one(db, "SELECT count(*) FROM catalog.known_for WHERE title_id = 88")[0] == 0
    for f in report.files.values():
        assert f.stored + f.rejected + f.filtered == f.read
    assert report.files["title.basics.tsv.gz"].filtered == 5


def test_unknown_title_type_is_refused(db_url, tmp_path):
    with pytest.raises(ImportFailed, match="unknown title type.*moovie"):
        _import(db_url, write_files(tmp_path / "imdb"), title_types=("moovie",))


def test_the_people_search_counts_each_persons_credits_roles_and_audience(db, imported):
    """analytics.person_search, from the fixture's lines: principals (an actress and a director
    counted in their roles, rejected lines not) and the crew's lists, each credit with its
    title's votes; people without a name (placeholders) are left out."""
    rows = db.execute(
        """SELECT nconst, credits, directed, written, acted, produced, votes
           FROM analytics.person_search ORDER BY nconst"""
    ).fetchall()
    assert rows == [
        # directs tt1, tt2, tt11 (crew) and tt1 (principal); writes tt1 and tt11
        ("nm0000001", 6, 4, 2, 0, 0, 3 * 2_000_000 + 50 + 2 * 600_000),
        ("nm0000002", 1, 0, 1, 0, 0, 2_000_000),
        ("nm0000003", 3, 0, 0, 3, 0, 2_000_000 + 50 + 600_000),
        ("nm0000004", 1, 0, 0, 1, 0, 2_000_000),  # her lines 7 and 9 are rejected
        ("nm0000005", 2, 1, 1, 0, 0, 2 * 800_000),
    ]

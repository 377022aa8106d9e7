"""The analytics tables, kept up to date row by row after a refresh of the catalogue.

``analytics.title_facts``, ``title_search``, ``person_stats`` and ``person_search`` are tables
built from the functions of migrations/R__15_analytics_rows.sql. A refresh notes the catalogue
rows it inserted, updated or deleted in ``touched`` (database/catalog_refresh.py: ``noted``); here,
in the same transaction, the rows they move are brought up to date.

Titles: the rows of every title a change reaches (``READS``) are deleted and computed again.

People: a person's row sums over all their credits, and the people a day reaches are the most
credited ones (a new episode credits its series' regulars), so re-computing them reads a large
share of every credit. Only what cannot be added up is re-computed:

* written in place: a named person's new name, and their new professions (person_search: a
  change of name.basics that moves no sum);
* re-computed whole: a person made a placeholder or the reverse, whose credit row was updated,
  whose lost credit held their first or last year, who is credited on a title whose facts went
  or changed type or year (person_stats), or who gets a row they had not (a first credit, a
  first rated title of a type);
* moved by difference, the others, from the temporary table ``credit`` (every credit row of the
  titles a change reaches, and whether this refresh added it):
  - a credit added (a new principal, director or writer row, or for person_stats a title whose
    facts came, such as a placeholder made real): counts + 1, votes and the rating sum + the
    title's, first and last year widened; a credit deleted: the same subtracted (its title's
    values before the refresh);
  - a title whose rating moved, came or went (IMDb's commonest daily change: the votes of every
    popular title): votes, rated titles and rating sum + the difference, on the credits that
    were there before (person_search: the apply's note ``moved_rating``, episodes included;
    person_stats: the old and new facts rows); a person_stats row left without a rated title
    is deleted.

``average_rating`` is ``round(rating_sum / rated_titles, 2)``, the division ``avg()`` makes: the
rows equal a full build's, which the tests check.

The two summaries over title_facts, ``yearly_stats`` and ``rating_profile``, are sums per group
too: the old rows of the titles re-computed are subtracted, their new rows added (refreshed
whole, at 100 M rows, they took 26 s). Then the one row of ``key_figures`` is updated in place.
Readers see the previous rows until the commit, and are never blocked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

# table: (its key, the catalogue tables whose changed rows' ids move its rows), in build order
# (person_stats reads title_facts). Lookup names are not here: an id keeps its name.
READS = {
    "title_facts": ("title_id", ("title", "rating", "title_genre")),
    "title_search": ("title_id", ("title", "rating", "aka")),
    "person_stats": ("person_id", ("person",)),
    "person_search": ("person_id", ("person",)),  # professions: written in place
}
# every table of analytics: the four above, the two summaries and key_figures
KEPT = (*READS, "yearly_stats", "rating_profile", "key_figures")
CREDIT_TABLES = ("principal", "title_director", "title_writer")

# Every credit row of the titles a change reaches (a rating moved, facts re-computed, a credit
# added), and whether this refresh added it: the temporary table ``credit``.
CREDITS = """
CREATE TEMP TABLE credit ON COMMIT DROP AS
WITH added AS (
    SELECT DISTINCT tab, title_id, person_id, coalesce(ordering, -1) AS ordering FROM touched
    WHERE op = 'insert' AND tab IN ('principal', 'title_director', 'title_writer')
), titles AS (
    SELECT title_id FROM moved_rating UNION SELECT title_id FROM facts_before
    UNION SELECT title_id FROM added
)
SELECT x.tab, x.category_id, x.person_id, t.title_id, a.tab IS NOT NULL AS added
FROM titles t
CROSS JOIN LATERAL (
    SELECT 'principal' AS tab, p.category_id, p.person_id, p.ordering
    FROM catalog.principal p WHERE p.title_id = t.title_id
    UNION ALL SELECT 'title_director', NULL::smallint, d.person_id, -1
    FROM catalog.title_director d WHERE d.title_id = t.title_id
    UNION ALL SELECT 'title_writer', NULL::smallint, w.person_id, -1
    FROM catalog.title_writer w WHERE w.title_id = t.title_id) x
LEFT JOIN added a ON (a.tab, a.title_id, a.person_id, a.ordering)
                     = (x.tab, t.title_id, x.person_id, x.ordering)"""

# People whose credit rows were updated (an update notes the old and the new person): re-computed
CREDIT_CHANGED = f"""
SELECT person_id FROM touched
WHERE tab IN {CREDIT_TABLES} AND op = 'update' AND person_id IS NOT NULL"""

# The credit rows this refresh deleted (their category, for their role)
LOST_CREDITS = f"""
CREATE TEMP TABLE lost_credit ON COMMIT DROP AS
SELECT tab, category_id, person_id, title_id FROM touched
WHERE tab IN {CREDIT_TABLES} AND op = 'delete'"""

# a lost credit whose category name is gone with it: its role is unknown, re-computed
LOST_UNNAMED = """
SELECT l.person_id FROM lost_credit l
WHERE l.category_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM catalog.category k WHERE k.category_id = l.category_id)"""

# person_stats' role of a credit row (NULL: a principal that is not an actor)
STATS_ROLE = """CASE {c}.tab WHEN 'title_director' THEN 'director' WHEN 'title_writer' THEN 'writer'
     ELSE CASE WHEN {k}.name IN ('actor', 'actress') THEN 'actor' END END"""
C_ROLE = STATS_ROLE.format(c="c", k="k")
L_ROLE = STATS_ROLE.format(c="l", k="q")

# person_stats' credits: each role once per title of title_facts; a pair of a person and a title
# is added if every row of it is and none of its rows was deleted
STATS_CREDITS = f"""
SELECT x.person_id, x.title_id, x.role,
       bool_and(x.added) AND NOT EXISTS (
           SELECT 1 FROM lost_credit l LEFT JOIN catalog.category q USING (category_id)
           WHERE (l.person_id, l.title_id) = (x.person_id, x.title_id) AND {L_ROLE} = x.role
       ) AS added
FROM (SELECT c.person_id, c.title_id, {C_ROLE} AS role, c.added
      FROM credit c LEFT JOIN catalog.category k USING (category_id)) x
WHERE x.role IS NOT NULL
GROUP BY x.person_id, x.title_id, x.role"""

# ... and gone if one of its rows was deleted and none is left
LOST_PAIRS = f"""
SELECT DISTINCT l.person_id, l.title_id, {L_ROLE} AS role
FROM lost_credit l LEFT JOIN catalog.category q USING (category_id)
WHERE {L_ROLE} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM credit c LEFT JOIN catalog.category k USING (category_id)
                  WHERE (c.person_id, c.title_id) = (l.person_id, l.title_id)
                    AND {C_ROLE} = {L_ROLE})"""

# titles whose facts row went, or changed type or year (facts_before: the old rows; existed:
# whether there was one): their credits' years and types move, which no sum follows
RESTATED = """
SELECT b.title_id FROM facts_before b LEFT JOIN analytics.title_facts f USING (title_id)
WHERE b.existed
  AND (f.title_id IS NULL
       OR (b.title_type, b.start_year) IS DISTINCT FROM (f.title_type, f.start_year))"""

# person_stats, per role, person and type: what the credits added (``whole``: added, or on a
# title whose facts came) add, what the ratings that moved, came or went change, and what the
# credits lost take away (with the year they held: lost_year)
STATS_MOVES = f"""
CREATE TEMP TABLE stats_change ON COMMIT DROP AS
WITH kept AS (
    SELECT s.role, s.person_id, f.title_type, f.start_year, f.average_rating, f.num_votes,
           s.added OR NOT coalesce(b.existed, true) AS whole,
           b.average_rating AS old_rating, b.num_votes AS old_votes
    FROM ({STATS_CREDITS}) s
    JOIN analytics.title_facts f USING (title_id)
    LEFT JOIN facts_before b USING (title_id)
    WHERE s.added OR NOT coalesce(b.existed, true)
          OR (b.existed  -- a title re-computed: its rating moved, came or went
              AND (b.average_rating, b.num_votes)
                  IS DISTINCT FROM (f.average_rating, f.num_votes))
), old_facts AS (  -- of the titles of the lost credits, before this refresh
    SELECT title_id, title_type, start_year, average_rating, num_votes FROM facts_before
    WHERE existed
    UNION ALL
    SELECT f.title_id, f.title_type, f.start_year, f.average_rating, f.num_votes
    FROM analytics.title_facts f
    WHERE f.title_id IN (SELECT title_id FROM lost_credit)
      AND NOT EXISTS (SELECT 1 FROM facts_before b WHERE b.title_id = f.title_id)
)
SELECT role, person_id, title_type,
       count(*) FILTER (WHERE whole) AS titles,
       sum((average_rating IS NOT NULL)::integer
           - CASE WHEN whole THEN 0 ELSE (old_rating IS NOT NULL)::integer END) AS rated_titles,
       sum(coalesce(average_rating, 0)
           - CASE WHEN whole THEN 0 ELSE coalesce(old_rating, 0) END) AS rating_sum,
       sum(coalesce(num_votes, 0)
           - CASE WHEN whole THEN 0 ELSE coalesce(old_votes, 0) END) AS votes,
       min(start_year) FILTER (WHERE whole) AS first_year,
       max(start_year) FILTER (WHERE whole) AS last_year,
       NULL::smallint AS lost_year
FROM kept GROUP BY role, person_id, title_type
UNION ALL
SELECT p.role, p.person_id, o.title_type, -1, -(o.average_rating IS NOT NULL)::integer,
       -coalesce(o.average_rating, 0), -coalesce(o.num_votes, 0), NULL, NULL, o.start_year
FROM ({LOST_PAIRS}) p JOIN old_facts o USING (title_id)"""

# re-computed: a person whose lost credit held the first or last year of their row (no sum
# narrows them), or with rated titles added to a role and type they have no row for (the row
# counts their unrated titles too, which no row kept)
# (each lost credit's row probed by person: as a join the plan read every row of person_stats in
# a merge join, 0.6 s at 20 M rows for 200 rows found)
STATS_UNKEPT = """
SELECT c.person_id
FROM stats_change c
CROSS JOIN LATERAL (
    SELECT s.first_year, s.last_year FROM analytics.person_stats s
    WHERE (s.role, s.person_id, s.title_type) = (c.role, c.person_id, c.title_type) OFFSET 0
) s
WHERE c.lost_year IS NOT NULL AND c.lost_year IN (s.first_year, s.last_year)
UNION
SELECT d.person_id FROM stats_change d
WHERE d.rated_titles > 0 AND NOT EXISTS (
    SELECT 1 FROM analytics.person_stats s
    WHERE (s.role, s.person_id, s.title_type) = (d.role, d.person_id, d.title_type))"""

MOVE_PERSON_STATS = """
UPDATE analytics.person_stats s
SET titles = s.titles + d.titles, rated_titles = s.rated_titles + d.rated_titles,
    rating_sum = s.rating_sum + d.rating_sum, votes = s.votes + d.votes,
    average_rating = round((s.rating_sum + d.rating_sum)
                           / nullif(s.rated_titles + d.rated_titles, 0), 2),
    first_year = least(s.first_year, d.first_year), last_year = greatest(s.last_year, d.last_year)
FROM (SELECT role, person_id, title_type, sum(titles) AS titles,
             sum(rated_titles) AS rated_titles, sum(rating_sum) AS rating_sum,
             sum(votes) AS votes, min(first_year) AS first_year, max(last_year) AS last_year
      FROM stats_change c
      WHERE NOT EXISTS (SELECT 1 FROM recomputed r WHERE r.person_id = c.person_id)
      GROUP BY role, person_id, title_type) d
WHERE s.role = d.role AND s.person_id = d.person_id AND s.title_type = d.title_type"""

# a row whose last rated title lost its rating or credit: gone (the rows are of rated titles)
DROP_UNRATED_STATS = """
DELETE FROM analytics.person_stats s
WHERE s.person_id IN (SELECT person_id FROM stats_change) AND s.rated_titles = 0"""

# a person whose own row changed (a new name, a death year) but who was and is named, which their
# having rows shows (a placeholder has none): their rows take the name, nothing else moves
RENAMED = """
SELECT DISTINCT t.person_id FROM touched t JOIN catalog.person p USING (person_id)
WHERE t.tab = 'person' AND t.op = 'update' AND NOT p.is_placeholder
  AND EXISTS (SELECT 1 FROM analytics.{table} s WHERE s.person_id = t.person_id)"""

RENAME_PERSON_STATS = """
UPDATE analytics.person_stats s SET nconst = p.nconst, primary_name = p.primary_name
FROM catalog.person p
WHERE p.person_id = s.person_id AND s.person_id = ANY (%s)
  AND (s.nconst, s.primary_name) IS DISTINCT FROM (p.nconst, p.primary_name)"""

RENAME_PERSON_SEARCH = """
UPDATE analytics.person_search s
SET nconst = p.nconst, primary_name = p.primary_name,
    search_text = ml.unaccent_lower(p.primary_name),
    name_keys = analytics.name_keys(ml.title_key(p.primary_name))
FROM catalog.person p
WHERE p.person_id = s.person_id AND s.person_id = ANY (%s)
  AND (s.nconst, s.primary_name) IS DISTINCT FROM (p.nconst, p.primary_name)"""

# person_search: the professions of the people whose professions changed, written in place
WRITE_PROFESSIONS = """
UPDATE analytics.person_search s
SET professions = (SELECT string_agg(f.name, ', ' ORDER BY pp.position)
                   FROM catalog.person_profession pp JOIN catalog.profession f USING (profession_id)
                   WHERE pp.person_id = s.person_id)
WHERE s.person_id IN (SELECT person_id FROM touched WHERE tab = 'person_profession')"""

# person_search: every credit row counts, with its role as R__15_analytics_rows.sql names it:
# the credits added (the title's votes now), the credits kept on a title whose rating moved, came
# or went (the difference), the credits lost (the title's votes before)
SEARCH_MOVES = """
CREATE TEMP TABLE search_move ON COMMIT DROP AS
WITH change AS (
    SELECT c.person_id, c.tab, c.category_id, 1 AS credit, coalesce(r.num_votes, 0) AS votes
    FROM credit c LEFT JOIN catalog.rating r USING (title_id) WHERE c.added
    UNION ALL
    SELECT c.person_id, c.tab, c.category_id, 0, m.num_votes
    FROM credit c JOIN moved_rating m USING (title_id) WHERE NOT c.added
    UNION ALL
    SELECT l.person_id, l.tab, l.category_id, -1,
           coalesce(m.num_votes, 0) - coalesce(r.num_votes, 0)
    FROM lost_credit l
    LEFT JOIN catalog.rating r USING (title_id) LEFT JOIN moved_rating m USING (title_id)
)
SELECT x.person_id, sum(x.credit) AS credits,
       coalesce(sum(x.credit) FILTER (WHERE x.tab = 'title_director' OR k.name = 'director'), 0)
           AS directed,
       coalesce(sum(x.credit) FILTER (WHERE x.tab = 'title_writer' OR k.name = 'writer'), 0)
           AS written,
       coalesce(sum(x.credit) FILTER (WHERE k.name IN ('actor', 'actress', 'self')), 0) AS acted,
       coalesce(sum(x.credit) FILTER (WHERE k.name = 'producer'), 0) AS produced,
       sum(x.votes) AS votes
FROM change x LEFT JOIN catalog.category k USING (category_id)
WHERE NOT EXISTS (SELECT 1 FROM recomputed r WHERE r.person_id = x.person_id)
GROUP BY x.person_id"""

MOVE_PERSON_SEARCH = """
UPDATE analytics.person_search s
SET credits = s.credits + d.credits, directed = s.directed + d.directed,
    written = s.written + d.written, acted = s.acted + d.acted,
    produced = s.produced + d.produced, votes = s.votes + d.votes
FROM search_move d
WHERE s.person_id = d.person_id
  AND NOT EXISTS (SELECT 1 FROM recomputed r WHERE r.person_id = d.person_id)"""

# a row left without a credit: gone (the rows are of people credited on a title)
DROP_UNCREDITED_SEARCH = """
DELETE FROM analytics.person_search s
WHERE s.person_id IN (SELECT person_id FROM search_move) AND s.credits = 0"""

# a person with credits added and no row yet (their first credit): re-computed
SEARCH_UNKEPT = """
SELECT d.person_id FROM search_move d
WHERE d.credits > 0
  AND NOT EXISTS (SELECT 1 FROM analytics.person_search s WHERE s.person_id = d.person_id)"""


# The summaries over title_facts: each title counts once per genre and once under '(all)' (as
# the view title_facts_by_genre), per year; the rows of the titles re-computed, old (-1) and new
CHANGED_FACTS = """
WITH change AS (
    SELECT 1 AS sign, f.title_type, f.start_year, f.genres, f.runtime_minutes, f.average_rating,
           f.num_votes
    FROM analytics.title_facts f WHERE f.title_id IN (SELECT title_id FROM facts_before)
    UNION ALL
    SELECT -1, b.title_type, b.start_year, b.genres, b.runtime_minutes, b.average_rating,
           b.num_votes
    FROM facts_before b WHERE b.existed
)
SELECT c.*, g.genre FROM change c CROSS JOIN LATERAL unnest(c.genres || '{(all)}'::text[]) g (genre)
WHERE c.start_year IS NOT NULL"""

MOVE_YEARLY_STATS = f"""
INSERT INTO analytics.yearly_stats AS y
SELECT title_type, start_year, genre, sum(sign), sum(sign * (average_rating IS NOT NULL)::integer),
       sum(sign * average_rating), sum(sign * num_votes)
FROM ({CHANGED_FACTS}) c
GROUP BY title_type, start_year, genre
ON CONFLICT (genre, title_type, start_year) DO UPDATE
SET titles = y.titles + excluded.titles, rated_titles = y.rated_titles + excluded.rated_titles,
    -- NULL without a rated title, as sum() over none
    rating_sum = CASE WHEN y.rated_titles + excluded.rated_titles > 0
                      THEN coalesce(y.rating_sum, 0) + coalesce(excluded.rating_sum, 0) END,
    votes = CASE WHEN y.rated_titles + excluded.rated_titles > 0
                 THEN coalesce(y.votes, 0) + coalesce(excluded.votes, 0) END"""

MOVE_RATING_PROFILE = f"""
INSERT INTO analytics.rating_profile AS r
SELECT b.dimension, c.title_type, c.start_year, c.genre, b.bucket, sum(c.sign),
       sum(c.sign * c.average_rating)
FROM ({CHANGED_FACTS}) c
CROSS JOIN LATERAL analytics.profile_buckets(c.average_rating, c.runtime_minutes,
                                             c.num_votes) b
WHERE c.average_rating IS NOT NULL
GROUP BY b.dimension, c.title_type, c.start_year, c.genre, b.bucket
ON CONFLICT (dimension, genre, title_type, start_year, bucket) DO UPDATE
SET titles = r.titles + excluded.titles, rating_sum = r.rating_sum + excluded.rating_sum"""


def noted_ids(conn: psycopg.Connection, table: str) -> set[int]:
    """The ids of ``table``'s rows that the noted catalogue changes move by themselves."""
    key, tables = READS[table]
    rows = conn.execute(
        f"SELECT DISTINCT {key} FROM touched WHERE tab = ANY (%s) AND {key} IS NOT NULL",
        (list(tables),),
    )
    return {r[0] for r in rows}


def ids(conn: psycopg.Connection, query: str) -> set[int]:
    return {r[0] for r in conn.execute(query)}


def credited_on(conn: psycopg.Connection, titles: str) -> set[int]:
    """The people of ``credit`` on the titles of the query ``titles`` (one column, title_id)."""
    return ids(conn, f"SELECT person_id FROM credit WHERE title_id IN ({titles})")


def _recompute(conn: psycopg.Connection, table: str, keys: set[int]) -> None:
    """Delete and compute again the rows of ``keys``."""
    key, _ = READS[table]
    listed = sorted(keys)
    conn.execute(f"DELETE FROM analytics.{table} WHERE {key} = ANY (%s)", (listed,))
    conn.execute(
        f"INSERT INTO analytics.{table} SELECT * FROM analytics.{table}_rows(%s::integer[])",
        (listed,),
    )


def _recomputed(conn: psycopg.Connection, people: set[int]) -> None:
    """Temporary table ``recomputed``: the people whose rows are computed whole."""
    conn.execute("DROP TABLE IF EXISTS recomputed")
    conn.execute(
        "CREATE TEMP TABLE recomputed ON COMMIT DROP AS SELECT unnest(%s::integer[]) AS person_id",
        (sorted(people),),
    )
    conn.execute("ANALYZE recomputed")


def keep_up_title_facts(conn: psycopg.Connection) -> None:
    """Leaves ``facts_before`` (the old rows of the titles re-computed) and ``credit``."""
    titles = sorted(noted_ids(conn, "title_facts"))
    conn.execute(
        """CREATE TEMP TABLE facts_before ON COMMIT DROP AS
           SELECT t.title_id, f.title_id IS NOT NULL AS existed, f.title_type, f.start_year,
                  f.runtime_minutes, f.average_rating, f.num_votes, f.genres
           FROM unnest(%s::integer[]) t (title_id)
           LEFT JOIN analytics.title_facts f USING (title_id)""",
        (titles,),
    )
    _recompute(conn, "title_facts", set(titles))
    conn.execute(CREDITS)
    conn.execute(LOST_CREDITS)
    conn.execute("ANALYZE credit")
    conn.execute("ANALYZE lost_credit")


def keep_up_title_search(conn: psycopg.Connection) -> None:
    _recompute(conn, "title_search", noted_ids(conn, "title_search"))


@dataclass(frozen=True)
class PeopleUpkeep:
    """How one of the two people tables follows the changes (the SQL above)."""

    table: str
    moves: str  # creates the temporary table of its differences
    unkept: str  # people whose differences cannot be applied: re-computed too
    move: str  # applies the differences
    drop: str  # deletes the rows they leave empty
    rename: str  # writes a new name in place (parameter: the people)


PERSON_STATS = PeopleUpkeep(
    "person_stats",
    STATS_MOVES,
    STATS_UNKEPT,
    MOVE_PERSON_STATS,
    DROP_UNRATED_STATS,
    RENAME_PERSON_STATS,
)
PERSON_SEARCH = PeopleUpkeep(
    "person_search",
    SEARCH_MOVES,
    SEARCH_UNKEPT,
    MOVE_PERSON_SEARCH,
    DROP_UNCREDITED_SEARCH,
    RENAME_PERSON_SEARCH,
)


def _keep_up_people(conn: psycopg.Connection, upkeep: PeopleUpkeep, also: set[int]) -> None:
    """Re-compute whole the people no difference can follow (``also``: the table's own
    reasons), move the others by difference, rename the renamed in place."""
    renamed = ids(conn, RENAMED.format(table=upkeep.table))
    people = (noted_ids(conn, upkeep.table) - renamed) | also
    people |= ids(conn, CREDIT_CHANGED) | ids(conn, LOST_UNNAMED)
    _recomputed(conn, people)
    conn.execute(upkeep.moves)
    people |= ids(conn, upkeep.unkept)
    _recompute(conn, upkeep.table, people)
    _recomputed(conn, people)
    conn.execute(upkeep.move)
    conn.execute(upkeep.drop)
    conn.execute(upkeep.rename, (sorted(renamed - people),))


def keep_up_person_stats(conn: psycopg.Connection) -> None:
    _keep_up_people(conn, PERSON_STATS, credited_on(conn, RESTATED))


def keep_up_person_search(conn: psycopg.Connection) -> None:
    _keep_up_people(conn, PERSON_SEARCH, set())
    conn.execute(WRITE_PROFESSIONS)  # the rows re-computed already have theirs: written again


def keep_up_summaries(conn: psycopg.Connection) -> None:
    """yearly_stats and rating_profile: the re-computed titles' old rows subtracted, their new
    rows added; a group left without a title deleted."""
    conn.execute(MOVE_YEARLY_STATS)
    conn.execute("DELETE FROM analytics.yearly_stats WHERE titles = 0")
    conn.execute(MOVE_RATING_PROFILE)
    conn.execute("DELETE FROM analytics.rating_profile WHERE titles = 0")


STEPS = {  # in order: person_stats reads title_facts, facts_before and credit
    "title_facts": keep_up_title_facts,
    "title_search": keep_up_title_search,
    "person_stats": keep_up_person_stats,
    "person_search": keep_up_person_search,
    "yearly_stats+rating_profile": keep_up_summaries,
}


# A refresh's new rows wait in the GIN indexes' pending lists (fastupdate: cheap to write), and
# every search reads its index's whole pending list until a vacuum or 4 MB of them merge it. Merged
# here, in the refresh's transaction: an import does not leave the searches to read them.
MERGE_PENDING = """
SELECT gin_clean_pending_list(c.oid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
WHERE a.amname = 'gin' AND i.indrelid = ANY (%s::regclass[])"""


# key_figures with the counts of titles and people moved by what the caller counted (the two
# biggest tables, read whole at each refresh: most of its 6.5 s at 200 M rows); the others counted
# again by the function key_figures_row() uses (R__15)
MOVE_KEY_FIGURES = """
UPDATE analytics.key_figures k
SET titles = k.titles + %(titles)s, people = k.people + %(people)s,
    unnamed_people = k.unnamed_people + %(unnamed_people)s,
    (films, rated_titles, average_rating, imported_at) =
        (SELECT * FROM analytics.key_figures_recounted())"""


def keep_up(conn: psycopg.Connection, moved: dict[str, int] | None = None) -> dict[str, float]:
    """Bring the four tables and key_figures up to date with the noted changes, in the caller's
    transaction; returns the seconds per table. ``moved``: by how many the catalogue's titles,
    people and unnamed_people moved, if the caller knows (else counted whole)."""
    took = {}
    for table, step in STEPS.items():
        start = time.perf_counter()
        step(conn)
        took[f"analytics.{table}"] = time.perf_counter() - start
    start = time.perf_counter()
    if moved is not None:
        conn.execute(MOVE_KEY_FIGURES, moved)
    else:
        columns = [
            r[0] for r in conn.execute("SELECT * FROM analytics.key_figures LIMIT 0").description
        ]
        conn.execute(
            f"UPDATE analytics.key_figures SET ({', '.join(columns)}) ="
            " (SELECT * FROM analytics.key_figures_row())"
        )
    took["analytics.key_figures"] = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute(MERGE_PENDING, ([f"analytics.{table}" for table in READS],))
    took["analytics.gin_pending_lists"] = time.perf_counter() - start
    return {name: round(seconds, 3) for name, seconds in took.items()}

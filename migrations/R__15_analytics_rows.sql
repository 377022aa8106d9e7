-- The rows of the four big analytics tables, per key (and the one row of key_figures): what R__20, R__21 and R__22 build the tables
-- from (ids NULL: every row), and what a refresh re-computes for the titles and people that
-- changed (database/analytics_upkeep.py: delete their rows, insert these). The tables are kept
-- up to date row by row: a materialized view could only be recomputed whole (at 20 M rows, 162 of
-- a refresh's 185 s).
--
-- Each function is one SELECT in SQL, STABLE: the planner inlines it, and a constant argument
-- folds its `ids IS NULL OR ... = ANY (ids)` conditions away (NULL: the plans of a whole build,
-- hash joins and aggregates) or into index lookups (an array: only those titles' or people's
-- rows read). The bodies name analytics.title_facts, built by R__20 after this file.
SET LOCAL check_function_bodies = off;

-- person_stats_rows gained a column (rating_sum): a new return type needs the old function gone
DROP FUNCTION IF EXISTS analytics.person_stats_rows(integer[]);

-- One row per named title that is not an episode: the dimensions every chart filters on.
CREATE OR REPLACE FUNCTION analytics.title_facts_rows(ids integer[])
RETURNS TABLE (title_id integer, tconst text, primary_title text, title_type text,
               start_year smallint, runtime_minutes integer, is_adult boolean,
               average_rating numeric, num_votes integer, genres text[])
LANGUAGE sql STABLE AS $$
WITH genres AS (
    SELECT tg.title_id, array_agg(g.name ORDER BY tg.position) AS genres
    FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
    WHERE ids IS NULL OR tg.title_id = ANY (ids)
    GROUP BY tg.title_id
)
SELECT t.title_id, t.tconst, t.primary_title, tt.name, t.start_year, t.runtime_minutes,
       t.is_adult, r.average_rating, r.num_votes, coalesce(g.genres, '{}')
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
LEFT JOIN catalog.rating r USING (title_id)
LEFT JOIN genres g USING (title_id)
WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode' AND (ids IS NULL OR t.title_id = ANY (ids))
$$;

-- Track records of named people by role: films, rated films, mean rating, total votes; per
-- type, for the people with at least one rated title of that type. rating_sum (the sum of the
-- ratings, exact) lets a refresh move the average and the votes by difference when only ratings
-- change (database/analytics_upkeep.py); average_rating = round(rating_sum / rated_titles, 2),
-- the same numeric division as avg().
CREATE OR REPLACE FUNCTION analytics.person_stats_rows(ids integer[])
RETURNS TABLE (role text, person_id integer, nconst text, primary_name text, title_type text,
               titles bigint, rated_titles bigint, average_rating numeric, rating_sum numeric,
               votes bigint, first_year smallint, last_year smallint)
LANGUAGE sql STABLE AS $$
WITH credits AS (  -- an actor may be listed twice for one title: counted once
    SELECT d.person_id, d.title_id, 'director' AS role FROM catalog.title_director d
    WHERE ids IS NULL OR d.person_id = ANY (ids)
    UNION ALL
    SELECT w.person_id, w.title_id, 'writer' FROM catalog.title_writer w
    WHERE ids IS NULL OR w.person_id = ANY (ids)
    UNION ALL
    SELECT DISTINCT p.person_id, p.title_id, 'actor'
    FROM catalog.principal p JOIN catalog.category c USING (category_id)
    WHERE c.name IN ('actor', 'actress') AND (ids IS NULL OR p.person_id = ANY (ids))
      AND EXISTS (SELECT 1 FROM analytics.title_facts f WHERE f.title_id = p.title_id)
), per_type AS (  -- aggregate before looking names up: 10x fewer rows to join
    SELECT c.role, c.person_id, f.title_type, count(*) AS titles,
           count(f.average_rating) AS rated_titles,
           round(avg(f.average_rating), 2) AS average_rating,
           sum(f.average_rating) AS rating_sum, sum(f.num_votes) AS votes,
           min(f.start_year) AS first_year, max(f.start_year) AS last_year
    FROM credits c JOIN analytics.title_facts f USING (title_id)
    GROUP BY c.role, c.person_id, f.title_type
    HAVING count(f.average_rating) > 0  -- the tables ask for rated films: at full size this
                                        -- drops most rows (credits on unrated titles only)
)
SELECT s.role, p.person_id, p.nconst, p.primary_name, s.title_type, s.titles, s.rated_titles,
       s.average_rating, s.rating_sum, s.votes, s.first_year, s.last_year
FROM per_type s JOIN catalog.person p USING (person_id)
-- the ids again: with only the join, a refresh's plan read and hashed every person (1.0 of the
-- 2.4 s of re-computing 9.4 k people at 20 M rows, growing with the catalogue)
WHERE NOT p.is_placeholder AND (ids IS NULL OR p.person_id = ANY (ids))
$$;

-- Search support: one row per searchable title with its normalised names (primary, original and
-- alternative titles, trigram-indexed) and their exact-match keys.
CREATE OR REPLACE FUNCTION analytics.title_search_rows(ids integer[])
RETURNS TABLE (title_id integer, tconst text, primary_title text, original_title text,
               title_type text, start_year smallint, num_votes integer, average_rating numeric,
               search_text text, title_keys text[])
LANGUAGE sql STABLE AS $$
SELECT t.title_id, t.tconst, t.primary_title, t.original_title, tt.name, t.start_year,
       coalesce(r.num_votes, 0), r.average_rating,
       ml.unaccent_lower(concat_ws(' | ', t.primary_title,
           nullif(t.original_title, t.primary_title), a.akas)),
       array_remove(ARRAY[ml.title_key(t.primary_title), ml.title_key(t.original_title)]
                    || coalesce(a.keys, '{}'), NULL)
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
LEFT JOIN catalog.rating r USING (title_id)
-- each distinct aka once (a title's akas repeat a text across regions): its key is the costly part
LEFT JOIN LATERAL (
    SELECT string_agg(d.title, ' | ' ORDER BY d.title) AS akas,
           array_agg(DISTINCT ml.title_key(d.title)) AS keys
    FROM (SELECT DISTINCT x.title FROM catalog.aka x
          WHERE x.title_id = t.title_id AND x.title <> t.primary_title) d) a ON true
WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode' AND (ids IS NULL OR t.title_id = ANY (ids))
$$;

-- A person's exact-match keys in person_search, from their name's key (ml.title_key): the whole
-- name's and its last word's (a surname typed alone); for the build and for a refresh that
-- renames someone in place. One expression: the planner inlines it.
CREATE OR REPLACE FUNCTION analytics.name_keys(name_key text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
SELECT ARRAY[name_key, regexp_replace(name_key, '^.* ', '')]
$$;

-- The people search index: named people credited on at least one title (principal or crew), with
-- their credits per role and the votes of the titles they are credited on (their audience), for
-- ranking. People of name.basics with no credit in the catalogue are left out: at full size they
-- are most of the 15 M, and a picker has nothing to say about them.
CREATE OR REPLACE FUNCTION analytics.person_search_rows(ids integer[])
RETURNS TABLE (person_id integer, nconst text, primary_name text, search_text text,
               name_keys text[], credits bigint, directed bigint, written bigint, acted bigint,
               produced bigint, votes bigint, professions text)
LANGUAGE sql STABLE AS $$
-- Each source aggregated on its own and joined to the people by their key: as one UNION ALL
-- aggregated, the planner expected 200 groups and looked the 8 M people up one by one (at full
-- size, default types: 111 s -> 78 s for the same rows).
WITH principals AS (
    SELECT p.person_id, count(*) AS credits,
           count(*) FILTER (WHERE c.name = 'director') AS directed,
           count(*) FILTER (WHERE c.name = 'writer') AS written,
           count(*) FILTER (WHERE c.name IN ('actor', 'actress', 'self')) AS acted,
           count(*) FILTER (WHERE c.name = 'producer') AS produced,
           sum(coalesce(r.num_votes, 0)) AS votes
    FROM catalog.principal p JOIN catalog.category c USING (category_id)
    LEFT JOIN catalog.rating r USING (title_id)
    WHERE ids IS NULL OR p.person_id = ANY (ids)
    GROUP BY p.person_id
), directed AS (
    SELECT d.person_id, count(*) AS n, sum(coalesce(r.num_votes, 0)) AS votes
    FROM catalog.title_director d LEFT JOIN catalog.rating r USING (title_id)
    WHERE ids IS NULL OR d.person_id = ANY (ids)
    GROUP BY d.person_id
), written AS (
    SELECT w.person_id, count(*) AS n, sum(coalesce(r.num_votes, 0)) AS votes
    FROM catalog.title_writer w LEFT JOIN catalog.rating r USING (title_id)
    WHERE ids IS NULL OR w.person_id = ANY (ids)
    GROUP BY w.person_id
), professions AS (
    SELECT pp.person_id, string_agg(f.name, ', ' ORDER BY pp.position) AS professions
    FROM catalog.person_profession pp JOIN catalog.profession f USING (profession_id)
    WHERE ids IS NULL OR pp.person_id = ANY (ids)
    GROUP BY pp.person_id
)
SELECT p.person_id, p.nconst, p.primary_name, ml.unaccent_lower(p.primary_name),
       analytics.name_keys(k.name_key),
       coalesce(a.credits, 0) + coalesce(d.n, 0) + coalesce(w.n, 0),
       coalesce(a.directed, 0) + coalesce(d.n, 0), coalesce(a.written, 0) + coalesce(w.n, 0),
       coalesce(a.acted, 0), coalesce(a.produced, 0),
       coalesce(a.votes, 0) + coalesce(d.votes, 0) + coalesce(w.votes, 0), f.professions
FROM catalog.person p
LEFT JOIN principals a USING (person_id)
LEFT JOIN directed d USING (person_id)
LEFT JOIN written w USING (person_id)
CROSS JOIN LATERAL (SELECT ml.title_key(p.primary_name) AS name_key) k  -- computed once
LEFT JOIN professions f USING (person_id)
WHERE NOT p.is_placeholder AND (ids IS NULL OR p.person_id = ANY (ids))
  -- people credited on a kept title: who a picker can mean
  AND (a.person_id IS NOT NULL OR d.person_id IS NOT NULL OR w.person_id IS NOT NULL)
$$;

-- The buckets of a rated title in analytics.rating_profile: 'rating' (steps of 0.5), 'runtime'
-- (10 minutes, 240 = 240 and more), 'votes' (log10 of the votes, steps of 0.25); a dimension the
-- title has no value for gives no row. One definition for R__20's build and for a refresh, which
-- adds and subtracts the buckets of the titles that changed (database/analytics_upkeep.py).
CREATE OR REPLACE FUNCTION analytics.profile_buckets(average_rating numeric,
                                                     runtime_minutes integer, num_votes integer)
RETURNS TABLE (dimension text, bucket numeric)
LANGUAGE sql IMMUTABLE AS $$
SELECT b.dimension, b.bucket
FROM (VALUES
    ('rating', round(average_rating * 2) / 2),
    -- least() ignores NULLs: a missing runtime must stay NULL, not become 240
    ('runtime', CASE WHEN runtime_minutes IS NOT NULL
                     THEN least(runtime_minutes / 10 * 10, 240) END),
    ('votes', CASE WHEN num_votes > 0 THEN round(log(num_votes)::numeric * 4) / 4 END)
) b (dimension, bucket)
WHERE b.bucket IS NOT NULL
$$;

-- The headline numbers over the small tables (films, ratings) and the last import: what a refresh
-- counts again, where it moves the counts of titles and people by what it changed
-- (database/analytics_upkeep.py).
CREATE OR REPLACE FUNCTION analytics.key_figures_recounted()
RETURNS TABLE (films bigint, rated_titles bigint, average_rating numeric, imported_at timestamptz)
LANGUAGE sql STABLE AS $$
SELECT (SELECT count(*) FROM analytics.title_facts WHERE title_type = 'movie'), r.rated, r.average,
       (SELECT max(finished_at) FROM ops.import_run WHERE status = 'succeeded')
FROM (SELECT count(*) AS rated, round(avg(average_rating), 2) AS average FROM catalog.rating) r
$$;

-- The headline numbers (analytics.key_figures: one row).
CREATE OR REPLACE FUNCTION analytics.key_figures_row()
RETURNS TABLE (titles bigint, films bigint, people bigint, unnamed_people bigint,
               rated_titles bigint, average_rating numeric, imported_at timestamptz)
LANGUAGE sql STABLE AS $$
-- each table read once (a refresh counts them again: at 100 M rows, 3.3 s with two reads of
-- person and of rating)
SELECT (SELECT count(*) FROM catalog.title WHERE NOT is_placeholder), f.films,
       p.named, p.unnamed, f.rated_titles, f.average_rating, f.imported_at
FROM (SELECT count(*) FILTER (WHERE NOT is_placeholder) AS named,
             count(*) FILTER (WHERE is_placeholder) AS unnamed FROM catalog.person) p,
     analytics.key_figures_recounted() f
$$;

-- back to checking the bodies of the files after this one
RESET check_function_bodies;

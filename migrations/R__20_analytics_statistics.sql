-- Tables and materialized views for statistics: the Explore page of the app and BI tools read
-- these (and only these). Rebuilt after every import, on the new catalogue before its swap: this file only
-- creates relations in analytics from catalog (database/derived_build.py). See docs/analytics.md.

DROP TABLE IF EXISTS analytics.title_facts CASCADE;
DROP TABLE IF EXISTS analytics.person_stats CASCADE;
DROP TABLE IF EXISTS analytics.key_figures CASCADE;
DROP TABLE IF EXISTS analytics.yearly_stats CASCADE;    -- materialized views before V113
DROP TABLE IF EXISTS analytics.rating_profile CASCADE;

-- One row per named title that is not an episode: the dimensions every chart filters on. A table
-- kept row by row by a refresh (R__15_analytics_rows.sql), as person_stats below.
CREATE TABLE analytics.title_facts AS SELECT * FROM analytics.title_facts_rows(NULL);
CREATE UNIQUE INDEX title_facts_pk ON analytics.title_facts (title_id);
CREATE INDEX title_facts_type_year ON analytics.title_facts (title_type, start_year);
CREATE INDEX title_facts_genres ON analytics.title_facts USING gin (genres);
ANALYZE analytics.title_facts;

-- Track records of named people by role (R__15_analytics_rows.sql).
CREATE TABLE analytics.person_stats AS SELECT * FROM analytics.person_stats_rows(NULL);
CREATE INDEX person_stats_role ON analytics.person_stats (role, title_type, titles DESC);
-- The Explore page's best-rated people of one type: read in rating order, not all aggregated
-- (at full size on the IMDb-shaped generator: 514 ms for both tables before).
CREATE INDEX person_stats_role_rating
    ON analytics.person_stats (role, title_type, average_rating DESC);
-- a refresh replaces the rows of the people whose credits or titles changed
CREATE INDEX person_stats_person ON analytics.person_stats (person_id);
ANALYZE analytics.person_stats;

-- The headline numbers: one row, a table that a refresh updates in place (readers keep reading
-- it meanwhile; a materialized view's plain refresh held them until the commit).
CREATE TABLE analytics.key_figures AS SELECT * FROM analytics.key_figures_row();

-- The facts once per genre of the title, plus once under the pseudo-genre '(all)': the grain of
-- the aggregates below, so that "all genres" and "one genre" are the same cheap lookup.
CREATE VIEW analytics.title_facts_by_genre AS
SELECT title_type, start_year, g AS genre, runtime_minutes, average_rating, num_votes
FROM analytics.title_facts, unnest(genres) g
WHERE start_year IS NOT NULL
UNION ALL
SELECT title_type, start_year, '(all)', runtime_minutes, average_rating, num_votes
FROM analytics.title_facts
WHERE start_year IS NOT NULL;

-- Titles, rated titles, rating sum and votes per type, year and genre ('(all)' = every genre).
-- Averages over any slice: sum(rating_sum) / sum(rated_titles). A table that a refresh moves by
-- the difference of the titles that changed (database/analytics_upkeep.py), as rating_profile.
CREATE TABLE analytics.yearly_stats AS
SELECT title_type, start_year, genre, count(*)::integer AS titles,
       count(average_rating)::integer AS rated_titles, sum(average_rating) AS rating_sum,
       sum(num_votes)::bigint AS votes
FROM analytics.title_facts_by_genre
GROUP BY title_type, start_year, genre;
CREATE UNIQUE INDEX yearly_stats_pk ON analytics.yearly_stats (genre, title_type, start_year);

-- Rated titles per bucket of one dimension, per type, year and genre (the buckets:
-- analytics.profile_buckets, R__15_analytics_rows.sql).
CREATE TABLE analytics.rating_profile AS
SELECT b.dimension, f.title_type, f.start_year, f.genre, b.bucket, count(*)::integer AS titles,
       sum(f.average_rating) AS rating_sum
FROM analytics.title_facts_by_genre f
CROSS JOIN LATERAL analytics.profile_buckets(f.average_rating, f.runtime_minutes,
                                             f.num_votes) b
WHERE f.average_rating IS NOT NULL
GROUP BY b.dimension, f.title_type, f.start_year, f.genre, b.bucket;
-- unique: its grain, the key a refresh's differences are added on
CREATE UNIQUE INDEX rating_profile_lookup
    ON analytics.rating_profile (dimension, genre, title_type, start_year, bucket);

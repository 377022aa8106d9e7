-- Materialized views for statistics: the Explore page of the app and BI tools read these (and
-- only these). Rebuilt after every import. See docs/analytics.md.

DROP MATERIALIZED VIEW IF EXISTS analytics.title_facts CASCADE;
DROP MATERIALIZED VIEW IF EXISTS analytics.person_stats CASCADE;
DROP MATERIALIZED VIEW IF EXISTS analytics.key_figures CASCADE;

-- One row per named title that is not an episode: the dimensions every chart filters on.
CREATE MATERIALIZED VIEW analytics.title_facts AS
SELECT t.title_id, t.tconst, t.primary_title, tt.name AS title_type, t.start_year,
       t.runtime_minutes, t.is_adult, r.average_rating, r.num_votes,
       coalesce((SELECT array_agg(g.name ORDER BY tg.position) FROM catalog.title_genre tg
                 JOIN catalog.genre g USING (genre_id) WHERE tg.title_id = t.title_id), '{}')
           AS genres
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
LEFT JOIN catalog.rating r USING (title_id)
WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode';
CREATE UNIQUE INDEX title_facts_pk ON analytics.title_facts (title_id);
CREATE INDEX title_facts_type_year ON analytics.title_facts (title_type, start_year);
CREATE INDEX title_facts_genres ON analytics.title_facts USING gin (genres);

-- Track records of named people by role: films, rated films, mean rating, total votes.
CREATE MATERIALIZED VIEW analytics.person_stats AS
WITH credits AS (
    SELECT person_id, title_id, 'director' AS role FROM catalog.title_director
    UNION SELECT person_id, title_id, 'writer' FROM catalog.title_writer
    UNION SELECT p.person_id, p.title_id, 'actor' FROM catalog.principal p
          JOIN catalog.category c USING (category_id) WHERE c.name IN ('actor', 'actress')
)
SELECT c.role, p.person_id, p.nconst, p.primary_name, f.title_type,
       count(*) AS titles, count(f.average_rating) AS rated_titles,
       round(avg(f.average_rating), 2) AS average_rating, sum(f.num_votes) AS votes,
       min(f.start_year) AS first_year, max(f.start_year) AS last_year
FROM credits c
JOIN catalog.person p USING (person_id)
JOIN analytics.title_facts f USING (title_id)
WHERE NOT p.is_placeholder
GROUP BY c.role, p.person_id, p.nconst, p.primary_name, f.title_type;
CREATE INDEX person_stats_role ON analytics.person_stats (role, title_type, titles DESC);

-- The headline numbers.
CREATE MATERIALIZED VIEW analytics.key_figures AS
SELECT (SELECT count(*) FROM catalog.title WHERE NOT is_placeholder) AS titles,
       (SELECT count(*) FROM analytics.title_facts WHERE title_type = 'movie') AS films,
       (SELECT count(*) FROM catalog.person WHERE NOT is_placeholder) AS people,
       (SELECT count(*) FROM catalog.person WHERE is_placeholder) AS unnamed_people,
       (SELECT count(*) FROM catalog.rating) AS rated_titles,
       (SELECT round(avg(average_rating), 2) FROM catalog.rating) AS average_rating,
       (SELECT max(finished_at) FROM ops.import_run WHERE status = 'succeeded') AS imported_at;

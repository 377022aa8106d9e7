-- Features of the popularity (rating) model, in SQL. See docs/popularity.md.
--
-- Rows: rated, named, non-episode titles with >= 20 votes. 10 % of them, chosen by a hash of the
-- tconst, are held out: never trained on, never part of anyone's track record.
-- Track record of a person in a role (director, writer, lead actor = billed 1-4, producer): the
-- number and sum of ratings of their training films. A film's feature uses its people's *other*
-- films only (leave-one-out: its own rating is subtracted), shrunk towards the mean rating mu with
-- k = 3 pseudo-films: effect = (sum_other + k mu) / (n_other + k) - mu, mu being the mean rating of
-- the training films (without the film itself). numVotes is never a feature.

DROP MATERIALIZED VIEW IF EXISTS ml.popularity_features CASCADE;
DROP VIEW IF EXISTS ml.popularity_person_stats CASCADE;
DROP VIEW IF EXISTS ml.popularity_credit CASCADE;
DROP VIEW IF EXISTS ml.popularity_title CASCADE;

CREATE VIEW ml.popularity_title AS
SELECT t.title_id, t.tconst, tt.name AS title_type, t.start_year, t.runtime_minutes, t.is_adult,
       r.average_rating::float8 AS rating, r.num_votes,
       abs(hashtext(t.tconst)) % 10 = 0 AS is_holdout
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
JOIN catalog.rating r USING (title_id)
WHERE NOT t.is_placeholder AND tt.name NOT IN ('tvEpisode', 'videoGame') AND r.num_votes >= 20;

-- Who worked on what, by role (lead actors: the first four billed actors/actresses).
CREATE VIEW ml.popularity_credit AS
SELECT title_id, person_id, 'director'::text AS role FROM catalog.title_director
UNION
SELECT title_id, person_id, 'writer' FROM catalog.title_writer
UNION
SELECT p.title_id, p.person_id, CASE WHEN c.name = 'producer' THEN 'producer' ELSE 'actor' END
FROM catalog.principal p JOIN catalog.category c USING (category_id)
WHERE (c.name IN ('actor', 'actress') AND p.ordering <= 4) OR c.name = 'producer';

CREATE VIEW ml.popularity_person_stats AS
SELECT c.role, c.person_id, count(*)::integer AS n, sum(t.rating) AS total
FROM ml.popularity_credit c JOIN ml.popularity_title t USING (title_id)
WHERE NOT t.is_holdout
GROUP BY c.role, c.person_id;

CREATE MATERIALIZED VIEW ml.popularity_features AS
WITH total AS (
    SELECT sum(rating) AS s, count(*) AS n FROM ml.popularity_title WHERE NOT is_holdout
), film_mu AS (  -- the mean rating without the film itself (leave-one-out here too)
    SELECT t.title_id,
           CASE WHEN t.is_holdout THEN total.s / total.n
                ELSE (total.s - t.rating) / nullif(total.n - 1, 0) END AS mu
    FROM ml.popularity_title t CROSS JOIN total
), effect AS (
    SELECT c.title_id, c.role,
           coalesce(s.n, 0) - CASE WHEN t.is_holdout OR s.n IS NULL THEN 0 ELSE 1 END AS n_other,
           coalesce(s.total, 0) - CASE WHEN t.is_holdout OR s.n IS NULL THEN 0 ELSE t.rating END
               AS total_other
    FROM ml.popularity_credit c
    JOIN ml.popularity_title t USING (title_id)
    LEFT JOIN ml.popularity_person_stats s USING (role, person_id)
), title_genres AS (
    SELECT tg.title_id, array_agg(g.name ORDER BY g.name) AS genres
    FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
    GROUP BY tg.title_id
), per_role AS (
    SELECT e.title_id, e.role,
           avg((e.total_other + 3 * mu.mu) / (e.n_other + 3) - mu.mu) AS effect,
           max((e.total_other + 3 * mu.mu) / (e.n_other + 3) - mu.mu) AS best,
           ln(1 + avg(e.n_other)) AS films
    FROM effect e JOIN film_mu mu USING (title_id)
    GROUP BY e.title_id, e.role
)
SELECT t.title_id, t.tconst, t.is_holdout, t.rating, t.num_votes, t.title_type, t.start_year,
       t.runtime_minutes, t.is_adult,
       coalesce(tg.genres, '{}') AS genres,
       coalesce(d.effect, 0) AS director_effect, coalesce(d.best, 0) AS director_best,
       coalesce(d.films, 0) AS director_films,
       coalesce(w.effect, 0) AS writer_effect, coalesce(w.best, 0) AS writer_best,
       coalesce(w.films, 0) AS writer_films,
       coalesce(a.effect, 0) AS actor_effect, coalesce(a.best, 0) AS actor_best,
       coalesce(a.films, 0) AS actor_films,
       coalesce(p.effect, 0) AS producer_effect, coalesce(p.best, 0) AS producer_best,
       coalesce(p.films, 0) AS producer_films,
       fm.mu
FROM ml.popularity_title t
JOIN film_mu fm USING (title_id)
LEFT JOIN title_genres tg ON tg.title_id = t.title_id
LEFT JOIN per_role d ON d.title_id = t.title_id AND d.role = 'director'
LEFT JOIN per_role w ON w.title_id = t.title_id AND w.role = 'writer'
LEFT JOIN per_role a ON a.title_id = t.title_id AND a.role = 'actor'
LEFT JOIN per_role p ON p.title_id = t.title_id AND p.role = 'producer';
CREATE UNIQUE INDEX popularity_features_pk ON ml.popularity_features (title_id);

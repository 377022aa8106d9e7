-- Features of the popularity models (expected rating, expected audience), in SQL.
-- See docs/popularity.md.
--
-- Rows: rated, named, non-episode titles with >= 20 votes. 10 % of them, chosen by a hash of the
-- tconst, are held out: never trained on, never part of anyone's track record. The training rows
-- are split into 10 folds by another hash.
-- Track record of a person in a role (director, writer, lead actor = billed 1-4, producer): the
-- number of their training films, the sum of their ratings and of their log10 votes. A training
-- film's features use only the films of the *other* folds (out-of-fold: neither its own rating nor
-- its fold-mates'), so trees cannot learn a leave-one-out artefact; a held-out film (and a planned
-- film at scoring time) uses the full records. Shrunk towards the mean with k pseudo-films:
-- effect = (sum_other + k mu) / (n_other + k) - mu, k = 3; the same with log10 votes (audience).
-- numVotes is a target (audience) and a weight, never a feature of its own film.
-- The materialized view is created empty: only the training reads it, and it refreshes it first,
-- so an import does not pay for it (at full size it is minutes of group-bys over the credits).

DROP MATERIALIZED VIEW IF EXISTS ml.popularity_features CASCADE;
DROP VIEW IF EXISTS ml.popularity_person_stats CASCADE;
DROP VIEW IF EXISTS ml.popularity_credit CASCADE;
DROP VIEW IF EXISTS ml.popularity_title CASCADE;

CREATE VIEW ml.popularity_title AS
SELECT t.title_id, t.tconst, tt.name AS title_type, t.start_year, t.runtime_minutes, t.is_adult,
       r.average_rating::float8 AS rating, r.num_votes, log(r.num_votes::float8) AS log_votes,
       abs(hashtext(t.tconst)) % 10 = 0 AS is_holdout,
       abs(hashtext(t.tconst || '/fold')) % 10 AS fold,
       coalesce((SELECT string_agg(g.name, ',' ORDER BY g.name)
                 FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
                 WHERE tg.title_id = t.title_id), '') AS genre_key
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

-- Full track records (training films only): what scoring uses (copied to ml.person_effect).
-- films_by_type: how many of them of each title type (api.track_records' type filter).
CREATE VIEW ml.popularity_person_stats AS
SELECT role, person_id, sum(n)::integer AS n, sum(total) AS total,
       sum(total_votes) AS total_votes, jsonb_object_agg(title_type, n) AS films_by_type
FROM (SELECT c.role, c.person_id, t.title_type, count(*)::integer AS n, sum(t.rating) AS total,
             sum(t.log_votes) AS total_votes
      FROM ml.popularity_credit c JOIN ml.popularity_title t USING (title_id)
      WHERE NOT t.is_holdout
      GROUP BY c.role, c.person_id, t.title_type) typed
GROUP BY role, person_id;

CREATE MATERIALIZED VIEW ml.popularity_features AS
WITH films AS MATERIALIZED (
    SELECT * FROM ml.popularity_title
), fold_total AS (  -- per fold; fold -1 = every training film (what held-out films see)
    SELECT fold, sum(rating) AS s, sum(log_votes) AS v, count(*) AS n
    FROM films WHERE NOT is_holdout GROUP BY fold
), film_mu AS (  -- the means a film is measured against, without its own fold
    SELECT f.title_id,
           (all_.s - coalesce(ft.s, 0)) / (all_.n - coalesce(ft.n, 0)) AS mu,
           (all_.v - coalesce(ft.v, 0)) / (all_.n - coalesce(ft.n, 0)) AS mu_votes
    FROM films f
    CROSS JOIN (SELECT sum(s) AS s, sum(v) AS v, sum(n) AS n FROM fold_total) all_
    LEFT JOIN fold_total ft ON ft.fold = f.fold AND NOT f.is_holdout
), credit AS MATERIALIZED (
    SELECT c.title_id, c.role, c.person_id, f.fold, f.is_holdout
    FROM ml.popularity_credit c JOIN films f USING (title_id)
), person_fold AS MATERIALIZED (
    SELECT c.role, c.person_id, c.fold, count(*) AS n, sum(f.rating) AS total,
           sum(f.log_votes) AS total_votes
    FROM credit c JOIN films f USING (title_id)
    WHERE NOT c.is_holdout
    GROUP BY c.role, c.person_id, c.fold
), person_all AS (
    SELECT role, person_id, sum(n) AS n, sum(total) AS total, sum(total_votes) AS total_votes
    FROM person_fold GROUP BY role, person_id
), effect AS (
    SELECT c.title_id, c.role,
           coalesce(a.n, 0) - coalesce(pf.n, 0) AS n_other,
           coalesce(a.total, 0) - coalesce(pf.total, 0) AS total_other,
           coalesce(a.total_votes, 0) - coalesce(pf.total_votes, 0) AS votes_other
    FROM credit c
    LEFT JOIN person_all a USING (role, person_id)
    LEFT JOIN person_fold pf ON pf.role = c.role AND pf.person_id = c.person_id
                            AND pf.fold = c.fold AND NOT c.is_holdout
), per_role AS (
    SELECT e.title_id, e.role,
           avg((e.total_other + 3 * mu.mu) / (e.n_other + 3) - mu.mu) AS effect,
           max((e.total_other + 3 * mu.mu) / (e.n_other + 3) - mu.mu) AS best,
           ln(1 + avg(e.n_other)) AS films,
           avg((e.votes_other + 3 * mu.mu_votes) / (e.n_other + 3) - mu.mu_votes) AS audience
    FROM effect e JOIN film_mu mu USING (title_id)
    GROUP BY e.title_id, e.role
)
SELECT t.title_id, t.tconst, t.is_holdout, t.fold, t.rating, t.num_votes, t.log_votes,
       t.title_type, t.start_year, t.runtime_minutes, t.is_adult,
       CASE WHEN t.genre_key = '' THEN '{}'::text[] ELSE string_to_array(t.genre_key, ',') END
           AS genres,
       coalesce(d.effect, 0) AS director_effect, coalesce(d.best, 0) AS director_best,
       coalesce(d.films, 0) AS director_films, coalesce(d.audience, 0) AS director_audience,
       coalesce(w.effect, 0) AS writer_effect, coalesce(w.best, 0) AS writer_best,
       coalesce(w.films, 0) AS writer_films, coalesce(w.audience, 0) AS writer_audience,
       coalesce(a.effect, 0) AS actor_effect, coalesce(a.best, 0) AS actor_best,
       coalesce(a.films, 0) AS actor_films, coalesce(a.audience, 0) AS actor_audience,
       coalesce(p.effect, 0) AS producer_effect, coalesce(p.best, 0) AS producer_best,
       coalesce(p.films, 0) AS producer_films, coalesce(p.audience, 0) AS producer_audience,
       fm.mu, fm.mu_votes
FROM films t
JOIN film_mu fm USING (title_id)
LEFT JOIN per_role d ON d.title_id = t.title_id AND d.role = 'director'
LEFT JOIN per_role w ON w.title_id = t.title_id AND w.role = 'writer'
LEFT JOIN per_role a ON a.title_id = t.title_id AND a.role = 'actor'
LEFT JOIN per_role p ON p.title_id = t.title_id AND p.role = 'producer'
WITH NO DATA;  -- filled by `netfloox train popularity` (ml.popularity.load_features), not the import
CREATE UNIQUE INDEX popularity_features_pk ON ml.popularity_features (title_id);

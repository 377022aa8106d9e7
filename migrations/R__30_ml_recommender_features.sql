-- What the recommender embeds: the titles it may recommend, and their content tokens.

DROP VIEW IF EXISTS ml.title_token;
DROP VIEW IF EXISTS ml.recommendable_title;

-- Titles worth recommending: named, not an episode or a game, rated by at least 10 voters.
CREATE VIEW ml.recommendable_title AS
SELECT t.title_id, t.tconst, tt.name AS title_type, t.start_year, t.runtime_minutes,
       r.average_rating, r.num_votes, e.series_title_id,
       coalesce((SELECT array_agg(g.name ORDER BY tg.position)
                 FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
                 WHERE tg.title_id = t.title_id), '{}') AS genres
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
JOIN catalog.rating r USING (title_id)
LEFT JOIN catalog.episode e USING (title_id)
WHERE NOT t.is_placeholder AND tt.name NOT IN ('tvEpisode', 'videoGame') AND r.num_votes >= 10;

-- Content tokens with weights: genres, directors, writers, billed cast (weight falling with the
-- billing order), producers, composers, and the regions/languages of the alternative titles.
-- Unnamed (placeholder) people count: the same id on two films is the same person.
CREATE VIEW ml.title_token AS
SELECT tg.title_id, 'genre:' || g.name AS token, 1.0::float8 AS weight
FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
UNION ALL
SELECT title_id, 'director:' || person_id, 2.0 FROM catalog.title_director
UNION ALL
SELECT title_id, 'writer:' || person_id, 1.2 FROM catalog.title_writer
UNION ALL
SELECT p.title_id,
       CASE c.name WHEN 'producer' THEN 'producer:' WHEN 'composer' THEN 'composer:'
                   ELSE 'cast:' END || p.person_id,
       CASE WHEN c.name IN ('actor', 'actress', 'self') THEN 1.5 / sqrt(p.ordering) ELSE 0.8 END
FROM catalog.principal p JOIN catalog.category c USING (category_id)
WHERE c.name IN ('actor', 'actress', 'self', 'producer', 'composer')
UNION ALL
SELECT DISTINCT title_id, 'region:' || region, 0.3 FROM catalog.aka WHERE region IS NOT NULL
UNION ALL
SELECT DISTINCT title_id, 'language:' || language, 0.5 FROM catalog.aka WHERE language IS NOT NULL;

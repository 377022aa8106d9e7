-- How many of a track record's films are of each title type, stored with the record (it was
-- counted from the catalogue for each listed person at each call): api.track_records with a type
-- ("actors, movies only") now reads the strongest records in index order and filters on this
-- column. At full size on the IMDb-shaped generator the call took 240-620 ms, mostly in that
-- count. Filled here for the records already stored, from the same films the records sum
-- (ml.popularity_title: rated >= 20 votes, not held out; ml.popularity_credit's roles).
ALTER TABLE ml.person_effect ADD COLUMN films_by_type jsonb;

WITH credit AS (
    SELECT title_id, person_id, 'director'::text AS role FROM catalog.title_director
    UNION
    SELECT title_id, person_id, 'writer' FROM catalog.title_writer
    UNION
    SELECT p.title_id, p.person_id,
           CASE WHEN c.name = 'producer' THEN 'producer' ELSE 'actor' END
    FROM catalog.principal p JOIN catalog.category c USING (category_id)
    WHERE (c.name IN ('actor', 'actress') AND p.ordering <= 4) OR c.name = 'producer'
), typed AS (
    SELECT c.role, c.person_id, tt.name AS title_type, count(*)::integer AS n
    FROM credit c
    JOIN catalog.title t USING (title_id)
    JOIN catalog.title_type tt USING (title_type_id)
    JOIN catalog.rating r USING (title_id)
    WHERE NOT t.is_placeholder AND tt.name NOT IN ('tvEpisode', 'videoGame')
      AND r.num_votes >= 20 AND abs(hashtext(t.tconst)) % 10 <> 0
    GROUP BY 1, 2, 3
), by_person AS (
    SELECT role, person_id, jsonb_object_agg(title_type, n) AS films_by_type
    FROM typed GROUP BY 1, 2
)
UPDATE ml.person_effect e SET films_by_type = b.films_by_type
FROM by_person b WHERE b.role = e.role AND b.person_id = e.person_id;

UPDATE ml.person_effect SET films_by_type = '{}' WHERE films_by_type IS NULL;
ALTER TABLE ml.person_effect ALTER COLUMN films_by_type SET NOT NULL;

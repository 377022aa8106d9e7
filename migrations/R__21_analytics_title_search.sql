-- The title search view (search_titles, the app's title pickers and cards), in a file of its own:
-- a file that only creates relations in analytics from catalog, which the import builds on the new
-- catalogue before the swap (database/imdb_import.py, PREBUILT).

-- Search support: one row per searchable title with its normalised names (primary, original and
-- alternative titles, trigram-indexed) and their exact-match keys.
DROP MATERIALIZED VIEW IF EXISTS analytics.title_search CASCADE;
CREATE MATERIALIZED VIEW analytics.title_search AS
SELECT t.title_id, t.tconst, t.primary_title, t.original_title, tt.name AS title_type,
       t.start_year, coalesce(r.num_votes, 0) AS num_votes, r.average_rating,
       ml.unaccent_lower(concat_ws(' | ', t.primary_title,
           nullif(t.original_title, t.primary_title), a.akas)) AS search_text,
       array_remove(ARRAY[ml.title_key(t.primary_title), ml.title_key(t.original_title)]
                    || coalesce(a.keys, '{}'), NULL) AS title_keys
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
LEFT JOIN catalog.rating r USING (title_id)
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT x.title, ' | ') AS akas,
           array_agg(DISTINCT ml.title_key(x.title)) AS keys
    FROM catalog.aka x WHERE x.title_id = t.title_id AND x.title <> t.primary_title) a ON true
WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode';
CREATE UNIQUE INDEX title_search_pk ON analytics.title_search (title_id);
-- the app's pickers and cards look titles up by tconst (without it: a scan of the whole view,
-- 636 ms at full size)
CREATE UNIQUE INDEX title_search_tconst ON analytics.title_search (tconst);
CREATE INDEX title_search_trgm ON analytics.title_search USING gin (search_text gin_trgm_ops);
-- The titles most searches are after: a short query ("the m") matches a third of the catalogue,
-- and checking every match costs more than ranking them; the popular ones are checked first.
CREATE INDEX title_search_popular_trgm ON analytics.title_search
    USING gin (search_text gin_trgm_ops) WHERE num_votes >= 1000;
CREATE INDEX title_search_keys ON analytics.title_search USING gin (title_keys);

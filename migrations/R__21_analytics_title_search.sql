-- The title search table (search_titles, the app's title pickers and cards), in a file of its own:
-- a file that only creates relations in analytics from catalog, which the import builds on the new
-- catalogue before the swap (database/imdb_import.py, PREBUILT).

-- Search support: one row per searchable title with its normalised names and their exact-match
-- keys (R__15_analytics_rows.sql), kept row by row by a refresh.
DROP TABLE IF EXISTS analytics.title_search CASCADE;
CREATE TABLE analytics.title_search AS SELECT * FROM analytics.title_search_rows(NULL);
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
ANALYZE analytics.title_search;

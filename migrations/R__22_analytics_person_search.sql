-- The people search table (search_people, the Predict page's pickers), in a file of its own: a
-- file that only creates relations in analytics from catalog, which the import builds on the new
-- catalogue before the swap (database/imdb_import.py, PREBUILT).

-- The people search index: named people credited on at least one title, with their credits per
-- role and audience (R__15_analytics_rows.sql), kept row by row by a refresh.
DROP TABLE IF EXISTS analytics.person_search CASCADE;
-- fillfactor 95: room in each page for a refresh's updates of credits and votes (no indexed
-- column) to be HOT, without a new entry in each index (the trigram GIN's are the costly ones): at
-- 20 M rows 255 of 23,821 updates were HOT at fillfactor 100, and that UPDATE took 1.7 s
CREATE TABLE analytics.person_search WITH (fillfactor = 95) AS
SELECT * FROM analytics.person_search_rows(NULL);
-- a refresh replaces the rows of the people whose credits or titles changed
CREATE UNIQUE INDEX person_search_pk ON analytics.person_search (person_id);
CREATE INDEX person_search_trgm ON analytics.person_search USING gin (search_text gin_trgm_ops);
-- the Predict page's pickers show the people already chosen, by nconst
CREATE UNIQUE INDEX person_search_nconst ON analytics.person_search (nconst);
ANALYZE analytics.person_search;

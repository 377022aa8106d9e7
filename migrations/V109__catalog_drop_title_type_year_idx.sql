-- catalog.title (title_type_id, start_year) served nothing: the statistics by type and year read
-- analytics.title_facts (its own index, R__20), and recommend()'s filters read the columns of
-- ml.title_embedding. At full size (IMDb-shaped, 200 M rows) it held 81 MB and was never scanned
-- by the whole serving benchmark (`netfloox bench full`: recommend, every app callback). The
-- import clones catalog's indexes, so the next catalogue is built without it too.
DROP INDEX IF EXISTS catalog.title_type_year_idx;

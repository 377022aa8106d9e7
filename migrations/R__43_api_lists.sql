-- Small public lists and lookups for forms (the app's role reads only api and analytics).

CREATE OR REPLACE VIEW api.genres AS
SELECT name FROM catalog.genre ORDER BY name;
COMMENT ON VIEW api.genres IS
    'The catalogue''s genres, for forms.';

CREATE OR REPLACE VIEW api.title_types AS
SELECT name FROM catalog.title_type ORDER BY name;
COMMENT ON VIEW api.title_types IS
    'The catalogue''s title types, for forms.';

-- status(): what the service holds right now, for a health check and a DBA's first look: the
-- catalogue's size (counted at import: analytics.key_figures), the active models and the last
-- successful imports. Reads a few rows only.
DROP FUNCTION IF EXISTS api.status();
CREATE FUNCTION api.status()
RETURNS TABLE (titles bigint, people bigint, recommender_version integer,
               rating_model_version integer, audience_model_version integer,
               catalogue_imported_at timestamptz, rating_log boolean,
               rating_log_imported_at timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT (SELECT max(f.titles) FROM analytics.key_figures f),
           (SELECT max(f.people) FROM analytics.key_figures f),
           (SELECT max(version) FROM ml.embedding_model WHERE active),
           (SELECT max(version) FROM ml.model WHERE active AND target = 'rating'),
           (SELECT max(version) FROM ml.model WHERE active AND target = 'audience'),
           (SELECT max(finished_at) FROM ops.import_run WHERE status = 'succeeded'),
           EXISTS (SELECT FROM clientlog.rating),
           (SELECT max(finished_at) FROM ops.rating_import_run WHERE status = 'succeeded')
$$;
COMMENT ON FUNCTION api.status IS
    'What the service holds now, in a few reads: the catalogue''s size (counted at import), '
    'the active model versions, the last successful imports, whether a rating log is loaded. '
    'The JSON API''s health check.';

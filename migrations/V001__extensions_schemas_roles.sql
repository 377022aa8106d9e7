-- Extensions, the layered schemas, and the application role.
--
--   staging   raw COPY targets, text columns, unlogged (scratch of the importer)
--   catalog   typed, normalised IMDb catalogue (the Merise MPD)
--   analytics materialized views for statistics and BI tools
--   ml        embeddings, features, model registry and coefficients
--   api       the public functions and views (on the default search_path)
--   ops       bookkeeping: migrations, import runs, rejected lines

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS catalog;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS ml;
CREATE SCHEMA IF NOT EXISTS api;
CREATE SCHEMA IF NOT EXISTS ops;

COMMENT ON SCHEMA staging IS 'Raw COPY targets of the IMDb files (text, unlogged, scratch).';
COMMENT ON SCHEMA catalog IS 'Typed, normalised IMDb catalogue; replaced atomically by each import.';
COMMENT ON SCHEMA analytics IS 'Materialized views for statistics, the app and BI tools.';
COMMENT ON SCHEMA ml IS 'Embeddings, features, model registry and coefficients.';
COMMENT ON SCHEMA api IS 'Public functions and views: recommend, search_titles, predict_rating...';
COMMENT ON SCHEMA ops IS 'Bookkeeping: migrations, import runs and rejected lines.';

-- The web app's role: reads api and analytics, executes api functions, nothing else.
-- Roles are cluster-wide, so create it only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'netfloox_app') THEN
        CREATE ROLE netfloox_app LOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA staging, catalog, ml, ops FROM PUBLIC;
GRANT USAGE ON SCHEMA api, analytics TO netfloox_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT EXECUTE ON FUNCTIONS TO netfloox_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO netfloox_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO netfloox_app;

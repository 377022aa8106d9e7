-- Extensions, the layered schemas and the two reading roles.
--
--   staging   raw COPY targets of the IMDb files (scratch of the importer)      V101
--   catalog   typed, normalised IMDb catalogue (the Merise MPD)                 V102
--   analytics materialized views for statistics and BI tools                    R__1x
--   ml        embeddings, features, model registry                              V104, R__2x-3x
--   api       the public functions and views (on the default search_path)      R__4x
--   ops       bookkeeping: migrations, import runs, rejected lines              V103
--   clientlog the service's client rating log (survives catalogue imports)      V105
--
-- V100-V105 are the squashed history of V001-V023 (docs/architecture.md): a fresh install runs
-- them; a database that ran V001-V023 is recorded as having them (database/migrate.py, baseline),
-- and tests/test_migrations.py checks that both paths end in identical schemas.

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS catalog;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS ml;
CREATE SCHEMA IF NOT EXISTS api;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS clientlog;

COMMENT ON SCHEMA staging IS 'Raw COPY targets of the IMDb files (text, unlogged, scratch).';
COMMENT ON SCHEMA catalog IS 'Typed, normalised IMDb catalogue; replaced atomically by each import.';
COMMENT ON SCHEMA analytics IS 'Materialized views for statistics, the app and BI tools.';
COMMENT ON SCHEMA ml IS 'Embeddings, features, model registry and coefficients.';
COMMENT ON SCHEMA api IS 'Public functions and views: recommend, search_titles, predict_rating...';
COMMENT ON SCHEMA ops IS 'Bookkeeping: migrations, import runs and rejected lines.';
COMMENT ON SCHEMA clientlog IS 'The service''s client rating log; replaced atomically by each log import.';

-- The reading roles (cluster-wide: created once, configured by each database's migration).
--   netfloox_app  the web app: api functions and views, analytics views
--   netfloox_bi   BI tools: the same read surface, nothing else (docs/analytics.md)
-- Neither may read staging, catalog, ml, ops or clientlog (no USAGE on those schemas). Each has a
-- statement timeout and a connection limit; both apply to a login as the role (a BI tool, or the
-- app with NETFLOOX_APP_DATABASE_URL). The app's default connection switches to netfloox_app with
-- `-c role=...` and sets the same timeout itself (app/web/db.py).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'netfloox_app') THEN
        CREATE ROLE netfloox_app LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'netfloox_bi') THEN
        CREATE ROLE netfloox_bi LOGIN;
    END IF;
END
$$;

ALTER ROLE netfloox_app CONNECTION LIMIT 32;
ALTER ROLE netfloox_app SET statement_timeout = '10s';
ALTER ROLE netfloox_bi CONNECTION LIMIT 16;
ALTER ROLE netfloox_bi SET statement_timeout = '60s';

REVOKE ALL ON SCHEMA staging, catalog, ml, ops, clientlog FROM PUBLIC;
REVOKE ALL ON SCHEMA staging, catalog, ml, ops, clientlog FROM netfloox_app, netfloox_bi;
GRANT USAGE ON SCHEMA api, analytics TO netfloox_app, netfloox_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT EXECUTE ON FUNCTIONS TO netfloox_app, netfloox_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO netfloox_app, netfloox_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO netfloox_app, netfloox_bi;

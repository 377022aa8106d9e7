-- Least privilege and limits for the two reading roles.
--
--   netfloox_app  the web app: api functions and views, analytics views (V001)
--   netfloox_bi   BI tools: the same read surface, nothing else (docs/analytics.md)
--
-- Neither may read catalog, staging, ml, clientlog or ops (no USAGE on those schemas). Each has a
-- statement timeout and a connection limit; both apply to a login as the role (a BI tool, or the
-- app with NETFLOOX_APP_DATABASE_URL). The app's default connection switches to netfloox_app with
-- `-c role=...` and sets the same timeout itself (app/web/db.py). Roles are cluster-wide: created
-- once, re-configured by each database's migration.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'netfloox_bi') THEN
        CREATE ROLE netfloox_bi LOGIN;
    END IF;
END
$$;

ALTER ROLE netfloox_app CONNECTION LIMIT 32;
ALTER ROLE netfloox_app SET statement_timeout = '10s';
ALTER ROLE netfloox_bi CONNECTION LIMIT 16;
ALTER ROLE netfloox_bi SET statement_timeout = '60s';

REVOKE ALL ON SCHEMA staging, catalog, ml, ops, clientlog FROM netfloox_app, netfloox_bi;
GRANT USAGE ON SCHEMA api, analytics TO netfloox_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA api, analytics TO netfloox_bi;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO netfloox_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT EXECUTE ON FUNCTIONS TO netfloox_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO netfloox_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO netfloox_bi;

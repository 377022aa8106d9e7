-- analytics.yearly_stats and rating_profile become tables that a refresh moves by difference
-- (R__20_analytics_statistics.sql creates them; database/analytics_upkeep.py keeps them): the
-- materialized views they were go first, as R__20 now drops tables.
DROP MATERIALIZED VIEW IF EXISTS analytics.yearly_stats CASCADE;
DROP MATERIALIZED VIEW IF EXISTS analytics.rating_profile CASCADE;

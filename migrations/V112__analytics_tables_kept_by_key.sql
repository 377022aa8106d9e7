-- analytics.title_facts, person_stats, title_search and person_search become tables that a refresh
-- keeps up to date row by row, and key_figures a one-row table it updates in place (R__15_analytics_rows.sql, database/analytics_upkeep.py): a
-- materialized view can only be recomputed whole, 162 of a refresh's 185 s at 20 M rows. The
-- materialized views go here, once; the repeatable files create the tables (database/migrate.py
-- re-applies them all, since this file drops their objects).
DROP MATERIALIZED VIEW IF EXISTS analytics.title_facts, analytics.person_stats,
    analytics.title_search, analytics.person_search, analytics.key_figures CASCADE;

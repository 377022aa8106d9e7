-- The ids that the loaded files reference but title.basics / name.basics lack: the build notes
-- them while it loads the tables that reference them, and creates one placeholder each at the end
-- (database/catalog_build.py). Session-private temporary tables until now; the build now loads
-- independent tables on two connections at once, which both note into these. Scratch like the
-- rest of staging: emptied at the start of each build and after it.
CREATE UNLOGGED TABLE staging.missing_title (id integer NOT NULL);
CREATE UNLOGGED TABLE staging.missing_person (id integer NOT NULL);

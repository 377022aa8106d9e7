-- Line numbers of staged rows: COPY fills line_no from a per-table sequence that the importer resets
-- to the first line number of each block it sends (so rejected lines can be named exactly).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['title_basics', 'title_akas', 'title_crew', 'title_episode',
                             'title_principals', 'title_ratings', 'name_basics']
    LOOP
        EXECUTE format('CREATE UNLOGGED SEQUENCE staging.%I', t || '_line_seq');
        EXECUTE format('ALTER TABLE staging.%I ALTER COLUMN line_no SET DEFAULT nextval(%L)',
                       t, 'staging.' || t || '_line_seq');
    END LOOP;
END
$$;

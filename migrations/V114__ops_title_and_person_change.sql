-- The titles each incremental import changed (a row of theirs inserted, updated or deleted in any
-- catalogue table), written in the transaction that applies the changes
-- (database/catalog_refresh.py: record_changes). `netfloox train --refresh` re-embeds only these
-- titles (ml/embedding_refresh.py); a rebuild records none, and the refresh after one re-embeds
-- every title. The rows every active model has seen are deleted (ml/changes.py).
-- facts: a row of the title itself or of its rating was written (what a person's track record
-- reads of a title's: its type, rating and votes).
CREATE TABLE ops.title_change (
    run_id   bigint  NOT NULL REFERENCES ops.import_run ON DELETE CASCADE,
    title_id integer NOT NULL,
    facts    boolean NOT NULL,
    PRIMARY KEY (run_id, title_id)
);

-- The people whose credits (principals, directors, writers) the same imports wrote: with the
-- people credited on the titles whose facts changed, those whose track records a refresh
-- recomputes (ml/popularity.py: refresh_track_records).
CREATE TABLE ops.person_change (
    run_id    bigint  NOT NULL REFERENCES ops.import_run ON DELETE CASCADE,
    person_id integer NOT NULL,
    PRIMARY KEY (run_id, person_id)
);

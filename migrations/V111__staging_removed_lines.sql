-- The keys of the lines that an incremental import found gone from the new files (the lines of the
-- previous files that the new ones lack: database/file_diff.py): each file's owner id (tconst or
-- nconst as an integer) and, for akas and principals, the line's ordering. The incremental apply
-- (database/catalog_delta.py) deletes the rows of those keys that no new line brings back. Scratch
-- like the rest of staging: emptied after each import.
CREATE UNLOGGED TABLE staging.removed_line (
    file_name text    NOT NULL,
    owner     integer NOT NULL,
    ordering  integer
);

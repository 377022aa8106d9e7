-- The streaming service's own client rating log (MovieLens format stands in for it here).
--
-- A schema of its own: the IMDb import replaces `catalog` wholesale, the log must survive it, and it
-- is keyed by IMDb title_id without a foreign key (a log may rate films the catalogue lacks: they
-- are counted at import and ignored by training). `netfloox import ratings` fills the *_next
-- tables and swaps them in one transaction.

CREATE SCHEMA IF NOT EXISTS clientlog;
REVOKE ALL ON SCHEMA clientlog FROM PUBLIC;
COMMENT ON SCHEMA clientlog IS 'The service''s client rating log; replaced atomically by each log import.';

CREATE TABLE clientlog.rating (
    client_id integer  NOT NULL,
    title_id  integer  NOT NULL,  -- IMDb tt number
    rating    real     NOT NULL CHECK (rating >= 0 AND rating <= 10),
    rated_at  timestamptz,
    PRIMARY KEY (client_id, title_id)
);
CREATE INDEX rating_title ON clientlog.rating (title_id);

-- One row per log import, with its report; rejected lines keep file, line and reason.
CREATE TABLE ops.rating_import_run (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    source      text NOT NULL,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    report      jsonb,
    error       text
);

CREATE TABLE ops.rating_import_reject (
    run_id    bigint NOT NULL REFERENCES ops.rating_import_run ON DELETE CASCADE,
    file_name text   NOT NULL,
    line_no   bigint NOT NULL,
    reason    text   NOT NULL,
    raw_line  text,
    PRIMARY KEY (run_id, file_name, line_no)
);

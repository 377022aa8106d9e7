-- Bookkeeping (ops.schema_migration is created by the migration runner itself).

-- IMDb imports: one row per run with its report, and every rejected line with its reason.

CREATE TABLE ops.import_run (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    source      text NOT NULL,
    options     jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    report      jsonb,
    error       text
);

CREATE TABLE ops.import_reject (
    run_id    bigint NOT NULL REFERENCES ops.import_run ON DELETE CASCADE,
    file_name text   NOT NULL,
    line_no   bigint NOT NULL,
    reason    text   NOT NULL,
    raw_line  text,
    PRIMARY KEY (run_id, file_name, line_no)
);

-- What the live catalogue was built from (one row per file of the last successful import).
CREATE TABLE ops.catalog_source (
    file_name   text PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES ops.import_run,
    size_bytes  bigint,
    sha256      text,
    imported_at timestamptz NOT NULL DEFAULT now()
);

-- Client rating log imports (`netfloox import ratings`), the same way.
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

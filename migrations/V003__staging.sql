-- Raw COPY targets, one per IMDb file: every column as text, exactly as in the file, plus the line
-- number in the file (for error reports). Unlogged: scratch space, rebuilt by every import.

CREATE UNLOGGED TABLE staging.title_basics (
    line_no bigint NOT NULL,
    tconst text, title_type text, primary_title text, original_title text, is_adult text,
    start_year text, end_year text, runtime_minutes text, genres text
);
CREATE UNLOGGED TABLE staging.title_akas (
    line_no bigint NOT NULL,
    title_id text, ordering text, title text, region text, language text, types text,
    attributes text, is_original_title text
);
CREATE UNLOGGED TABLE staging.title_crew (
    line_no bigint NOT NULL,
    tconst text, directors text, writers text
);
CREATE UNLOGGED TABLE staging.title_episode (
    line_no bigint NOT NULL,
    tconst text, parent_tconst text, season_number text, episode_number text
);
CREATE UNLOGGED TABLE staging.title_principals (
    line_no bigint NOT NULL,
    tconst text, ordering text, nconst text, category text, job text, characters text
);
CREATE UNLOGGED TABLE staging.title_ratings (
    line_no bigint NOT NULL,
    tconst text, average_rating text, num_votes text
);
CREATE UNLOGGED TABLE staging.name_basics (
    line_no bigint NOT NULL,
    nconst text, primary_name text, birth_year text, death_year text, primary_profession text,
    known_for_titles text
);

-- The typed IMDb catalogue (Merise MPD). See docs/data-model.md.
--
-- Surrogate keys are the numeric part of IMDb ids (tt0133093 -> 133093, nm0000206 -> 206): 4-byte,
-- stable across re-imports (so ml tables keyed by them stay valid), and reversible; the text ids are
-- kept too, unique, because the public API speaks tconst/nconst.
--
-- The importer builds a copy of these tables in schema catalog_next (structure cloned from here,
-- indexes and constraints added after the bulk load) and swaps it in atomically.

CREATE TABLE catalog.title_type (
    title_type_id smallint PRIMARY KEY,
    name          text NOT NULL UNIQUE
);

CREATE TABLE catalog.genre (
    genre_id smallint PRIMARY KEY,
    name     text NOT NULL UNIQUE
);

CREATE TABLE catalog.profession (
    profession_id smallint PRIMARY KEY,
    name          text NOT NULL UNIQUE
);

-- Category of a principal's participation (actor, actress, director, producer, composer, self, ...).
CREATE TABLE catalog.category (
    category_id smallint PRIMARY KEY,
    name        text NOT NULL UNIQUE
);

CREATE TABLE catalog.title (
    title_id        integer PRIMARY KEY,
    tconst          text NOT NULL UNIQUE
                    CONSTRAINT title_tconst_check CHECK (staging.is_imdb_id(tconst, 'tt')),
    title_type_id   smallint REFERENCES catalog.title_type,   -- NULL only for placeholders
    primary_title   text,
    original_title  text,
    is_adult        boolean NOT NULL DEFAULT false,
    start_year      smallint,
    end_year        smallint,
    runtime_minutes integer CHECK (runtime_minutes >= 0),
    is_placeholder  boolean NOT NULL DEFAULT false,           -- referenced but absent from title.basics
    CHECK (is_placeholder OR title_type_id IS NOT NULL)
);
CREATE INDEX title_type_year_idx ON catalog.title (title_type_id, start_year);
COMMENT ON COLUMN catalog.title.is_placeholder IS
    'true: the id is referenced by another file (ratings, crew, principals, episodes, akas, knownFor) but absent from title.basics';

CREATE TABLE catalog.title_genre (
    title_id integer  NOT NULL REFERENCES catalog.title,
    genre_id smallint NOT NULL REFERENCES catalog.genre,
    position smallint NOT NULL,                                -- order in the genres list (1..3)
    PRIMARY KEY (title_id, genre_id)
);
CREATE INDEX title_genre_genre_idx ON catalog.title_genre (genre_id);

CREATE TABLE catalog.person (
    person_id      integer PRIMARY KEY,
    nconst         text NOT NULL UNIQUE
                   CONSTRAINT person_nconst_check CHECK (staging.is_imdb_id(nconst, 'nm')),
    primary_name   text,                                       -- NULL only for placeholders
    birth_year     smallint,
    death_year     smallint,
    is_placeholder boolean NOT NULL DEFAULT false,             -- referenced but absent from name.basics
    CHECK (is_placeholder OR primary_name IS NOT NULL)
);
COMMENT ON COLUMN catalog.person.is_placeholder IS
    'true: unnamed person, referenced by title.crew or title.principals but absent from name.basics';

CREATE TABLE catalog.person_profession (
    person_id     integer  NOT NULL REFERENCES catalog.person,
    profession_id smallint NOT NULL REFERENCES catalog.profession,
    position      smallint NOT NULL,
    PRIMARY KEY (person_id, profession_id)
);

CREATE TABLE catalog.known_for (
    person_id integer  NOT NULL REFERENCES catalog.person,
    title_id  integer  NOT NULL REFERENCES catalog.title,
    position  smallint NOT NULL,
    PRIMARY KEY (person_id, title_id)
);
CREATE INDEX known_for_title_idx ON catalog.known_for (title_id);

-- title.crew: directors and writers, as two associations.
CREATE TABLE catalog.title_director (
    title_id  integer  NOT NULL REFERENCES catalog.title,
    person_id integer  NOT NULL REFERENCES catalog.person,
    position  smallint NOT NULL,
    PRIMARY KEY (title_id, person_id)
);
CREATE INDEX title_director_person_idx ON catalog.title_director (person_id);

CREATE TABLE catalog.title_writer (
    title_id  integer  NOT NULL REFERENCES catalog.title,
    person_id integer  NOT NULL REFERENCES catalog.person,
    position  smallint NOT NULL,
    PRIMARY KEY (title_id, person_id)
);
CREATE INDEX title_writer_person_idx ON catalog.title_writer (person_id);

-- title.principals: who appears or works on a title, in billing order.
CREATE TABLE catalog.principal (
    title_id    integer  NOT NULL REFERENCES catalog.title,
    ordering    smallint NOT NULL,
    person_id   integer  NOT NULL REFERENCES catalog.person,
    category_id smallint NOT NULL REFERENCES catalog.category,
    job         text,
    characters  jsonb CHECK (jsonb_typeof(characters) = 'array'),
    PRIMARY KEY (title_id, ordering)
);
CREATE INDEX principal_person_idx ON catalog.principal (person_id);

CREATE TABLE catalog.rating (
    title_id       integer PRIMARY KEY REFERENCES catalog.title,
    average_rating numeric(3, 1) NOT NULL CHECK (average_rating BETWEEN 1 AND 10),
    num_votes      integer NOT NULL CHECK (num_votes >= 0)
);
CREATE INDEX rating_votes_idx ON catalog.rating (num_votes DESC);

CREATE TABLE catalog.episode (
    title_id        integer PRIMARY KEY REFERENCES catalog.title,  -- the episode
    series_title_id integer NOT NULL REFERENCES catalog.title,     -- its parent series
    season_number   integer,
    episode_number  integer
);
CREATE INDEX episode_series_idx ON catalog.episode (series_title_id);

-- title.akas: alternative titles by region and language.
CREATE TABLE catalog.aka (
    title_id          integer  NOT NULL REFERENCES catalog.title,
    ordering          integer  NOT NULL,
    title             text     NOT NULL,
    region            text,                                    -- ISO 3166-ish region code
    language          text,                                    -- ISO 639-ish language code
    types             text[],
    attributes        text[],
    is_original_title boolean,
    PRIMARY KEY (title_id, ordering)
);

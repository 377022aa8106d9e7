-- Film embeddings for the recommender (ml layer). Keyed by title_id (stable across imports), no
-- foreign key to catalog (the catalogue is replaced by each import).

-- unaccent() is STABLE (its dictionary could change); indexes need an IMMUTABLE wrapper.
CREATE FUNCTION ml.unaccent_lower(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$;

-- One row per training of the recommender; the active one is what recommend() serves.
CREATE TABLE ml.embedding_model (
    version    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trained_at timestamptz NOT NULL DEFAULT now(),
    method     text NOT NULL,
    dim        integer NOT NULL,
    n_titles   integer NOT NULL,
    params     jsonb NOT NULL DEFAULT '{}',
    metrics    jsonb NOT NULL DEFAULT '{}',
    active     boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX embedding_model_one_active ON ml.embedding_model (active) WHERE active;

-- The vectors of the active model, with the columns recommend() filters on, so that pgvector's
-- iterative index scan filters inside the HNSW walk. A retrain fills a copy of this table
-- (ml.title_embedding_next, same structure) and swaps the two in one short transaction.
CREATE TABLE ml.title_embedding (
    title_id        integer PRIMARY KEY,
    version         integer NOT NULL,
    title_type      text NOT NULL,
    start_year      smallint,
    num_votes       integer NOT NULL DEFAULT 0,
    genres          text[] NOT NULL DEFAULT '{}',
    series_title_id integer,          -- for episodes; recommend() never proposes the seed's series
    prior           real NOT NULL,    -- quality/popularity prior added to the cosine similarity
    embedding       vector(64) NOT NULL
);
CREATE INDEX title_embedding_hnsw ON ml.title_embedding
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX title_embedding_votes ON ml.title_embedding (num_votes DESC);

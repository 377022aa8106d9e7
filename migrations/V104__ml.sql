-- The ml layer's tables: the recommender's embeddings and the popularity models' registry.
-- Keyed by IMDb ids (title_id, person_id), stable across imports: no foreign key to catalog (the
-- catalogue is replaced by each import). Functions over them live in the R__2x/R__3x files.

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

-- The vectors of the active model, one row per recommendable title, with the columns recommend()
-- filters on. Identical vectors share a point: each distinct vector has a representative title
-- (title_id = point_id) carrying the exact list of its nearest points, computed at training
-- (ml/neighbours.py). The vector has two blocks (docs/recommender.md): 64 content dimensions and
-- 64 collaborative ones learnt from the client rating log (zeros for titles without a history).
-- A retrain fills a copy (ml.title_embedding_next, indexes cloned) and swaps the two.
-- title_embedding_type_votes: the exact scan with a type and a vote floor (the Recommend page)
-- reads only the titles of that type above the floor (at full size 250-520 ms -> 125-180 ms).
CREATE TABLE ml.title_embedding (
    title_id        integer PRIMARY KEY,
    version         integer NOT NULL,
    title_type      text NOT NULL,
    start_year      smallint,
    num_votes       integer NOT NULL DEFAULT 0,
    genres          text[] NOT NULL DEFAULT '{}',
    series_title_id integer,          -- for episodes; recommend() never proposes the seed's series
    prior           real NOT NULL,    -- quality/popularity prior added to the cosine similarity
    point_id        integer NOT NULL, -- the smallest title_id with exactly this vector
    collaborative   real NOT NULL DEFAULT 0, -- weight of the collaborative block (0: content only)
    neighbours      integer[],        -- on representatives: nearest point_ids, itself first
    embedding       vector(128) NOT NULL
);
CREATE INDEX title_embedding_point ON ml.title_embedding (point_id);
CREATE INDEX title_embedding_votes ON ml.title_embedding (num_votes DESC);
CREATE INDEX title_embedding_type_votes ON ml.title_embedding (title_type, num_votes DESC);

-- Popularity models: two targets (rating, audience = log10 votes), one active model per target;
-- every training adds a version, the previous ones stay for rollback (ml.activate_model). Linear
-- models (ridge) and gradient-boosted trees share the registry. See docs/popularity.md.
CREATE TABLE ml.model (
    version    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target     text NOT NULL DEFAULT 'rating',
    trained_at timestamptz NOT NULL DEFAULT now(),
    params     jsonb NOT NULL DEFAULT '{}',    -- smoothing, thresholds, intercept, mean rating
    metrics    jsonb NOT NULL DEFAULT '{}',    -- held-out R2/RMSE/MAE, residual quantiles
    active     boolean NOT NULL DEFAULT false,
    kind       text NOT NULL DEFAULT 'ridge' CONSTRAINT model_kind_check
                   CHECK (kind IN ('ridge', 'trees')),
    CONSTRAINT model_target CHECK (target IN ('rating', 'audience'))
);
CREATE UNIQUE INDEX model_one_active ON ml.model (target) WHERE active;

-- Track records: for each role, the number of a person's training films, the sum of their ratings
-- and of their log10 votes. person_effect_role_n: api.track_records reads only the people with
-- N >= n of a role (at full size 515 ms -> 3 ms).
CREATE TABLE ml.person_effect (
    version     integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('director', 'writer', 'actor', 'producer')),
    person_id   integer NOT NULL,
    n           integer NOT NULL,
    total       double precision NOT NULL,
    total_votes double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (version, role, person_id)
);
CREATE INDEX person_effect_role_n ON ml.person_effect (version, role, n);

-- The model's inputs, in the order the trees index them: 'type:movie', 'genre:Drama', 'year',
-- 'runtime', 'director:effect', ... ``mean`` = training mean; ``coef`` = the linear coefficient in
-- raw units (ridge only). The intercept is ml.model.params ->> 'intercept'.
CREATE TABLE ml.model_feature (
    version  integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    position smallint NOT NULL,
    feature  text NOT NULL,
    mean     double precision NOT NULL DEFAULT 0,
    coef     double precision,
    PRIMARY KEY (version, position),
    UNIQUE (version, feature)
);

-- Gradient-boosted trees, one row per node. A split sends x[feature] <= threshold left (a missing
-- value goes left if missing_left); a leaf has feature NULL. ``value``: a leaf's output; for a
-- split node, the training-count-weighted mean of its leaves (what path attributions measure
-- from). Prediction = params.intercept + sum over trees of the leaf reached.
CREATE TABLE ml.model_node (
    version      integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    tree         integer NOT NULL,
    node         integer NOT NULL,
    feature      smallint,
    threshold    double precision,
    missing_left boolean,
    left_child   integer,
    right_child  integer,
    value        double precision NOT NULL,
    PRIMARY KEY (version, tree, node)
);

-- The same nodes packed into arrays, one row per version (derived from ml.model_node by
-- ml.pack_forest): what the scorer walks, in one read, without a lookup per node.
CREATE TABLE ml.model_forest (
    version      integer PRIMARY KEY REFERENCES ml.model ON DELETE CASCADE,
    roots        integer[] NOT NULL,
    feature      integer[] NOT NULL,
    threshold    double precision[] NOT NULL,
    missing_left boolean[] NOT NULL,
    left_child   integer[] NOT NULL,
    right_child  integer[] NOT NULL,
    value        double precision[] NOT NULL
);

-- For explanations "against the average film of its type": the mean contribution of each group of
-- inputs over the training films of each type.
CREATE TABLE ml.model_group_mean (
    version       integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    title_type    text NOT NULL,
    feature_group text NOT NULL,
    contribution  double precision NOT NULL,
    PRIMARY KEY (version, title_type, feature_group)
);

-- "What drives popularity": the model's partial dependence on one input (each genre alone, common
-- genre combinations, runtime, decade): the mean prediction over training movies with that input
-- set, the others as they are.
CREATE TABLE ml.model_effect (
    version integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    kind    text NOT NULL CHECK (kind IN ('genre', 'combination', 'runtime', 'decade')),
    label   text NOT NULL,
    x       integer,
    films   integer,
    value   double precision NOT NULL,
    PRIMARY KEY (version, kind, label)
);

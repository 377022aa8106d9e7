-- Popularity models v2: two targets (rating, audience = log10 votes), one active model per target;
-- linear models (ridge) and gradient-boosted trees share the registry. See docs/popularity.md.

ALTER TABLE ml.model ALTER COLUMN target SET DEFAULT 'rating';
UPDATE ml.model SET target = 'rating' WHERE target = 'average_rating';
ALTER TABLE ml.model ADD COLUMN kind text NOT NULL DEFAULT 'ridge' CHECK (kind IN ('ridge', 'trees')),
    ADD CONSTRAINT model_target CHECK (target IN ('rating', 'audience'));
DROP INDEX ml.model_one_active;
CREATE UNIQUE INDEX model_one_active ON ml.model (target) WHERE active;

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
INSERT INTO ml.model_feature (version, position, feature, mean, coef)
SELECT version, row_number() OVER (PARTITION BY version ORDER BY feature) - 1, feature, mean, coef
FROM ml.model_coef WHERE feature <> 'intercept';
UPDATE ml.model m SET params = m.params || jsonb_build_object('intercept', c.coef)
FROM ml.model_coef c WHERE c.version = m.version AND c.feature = 'intercept';
DROP TABLE ml.model_coef CASCADE;  -- api.model_card: re-created by R__31

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

-- Track records gain the audience side: the sum of log10 votes of the person's training films.
ALTER TABLE ml.person_effect ADD COLUMN total_votes double precision NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION ml.activate_model(v integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    SELECT target INTO t FROM ml.model WHERE version = v;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no model version %', v USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE ml.model SET active = false WHERE active AND target = t AND version <> v;
    UPDATE ml.model SET active = true WHERE version = v;
END
$$;

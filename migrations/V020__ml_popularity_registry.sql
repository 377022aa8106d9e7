-- Popularity (rating) model registry: every training adds a version; one is active at a time; the
-- previous ones stay for rollback (ml.activate_model). Keyed by ids, no foreign key to catalog.

CREATE TABLE ml.model (
    version    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target     text NOT NULL DEFAULT 'average_rating',
    trained_at timestamptz NOT NULL DEFAULT now(),
    params     jsonb NOT NULL DEFAULT '{}',    -- smoothing, thresholds, chosen alpha, mean rating
    metrics    jsonb NOT NULL DEFAULT '{}',    -- held-out R2/RMSE/MAE, residual quantiles
    active     boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX model_one_active ON ml.model (active) WHERE active;

-- Linear coefficients by feature name ('intercept', 'type:movie', 'genre:Drama', 'decade:1990',
-- 'runtime:90-120', 'adult', 'director:effect', 'director:known', ...).
-- ``mean`` is the feature's training mean: explain_rating() reports coef * (value - mean), what a
-- feature adds to or takes from an average film.
CREATE TABLE ml.model_coef (
    version integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    feature text NOT NULL,
    coef    double precision NOT NULL,
    mean    double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (version, feature)
);

-- Track records: for each role, the number and sum of ratings of a person's training films.
CREATE TABLE ml.person_effect (
    version   integer NOT NULL REFERENCES ml.model ON DELETE CASCADE,
    role      text NOT NULL CHECK (role IN ('director', 'writer', 'actor', 'producer')),
    person_id integer NOT NULL,
    n         integer NOT NULL,
    total     double precision NOT NULL,
    PRIMARY KEY (version, role, person_id)
);

-- Switch the active model (a retrain calls it; a rollback too).
CREATE FUNCTION ml.activate_model(v integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ml.model WHERE version = v) THEN
        RAISE EXCEPTION 'no model version %', v USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE ml.model SET active = false WHERE active AND version <> v;
    UPDATE ml.model SET active = true WHERE version = v;
END
$$;

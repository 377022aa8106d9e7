-- The popularity models' scoring (ml): the model's inputs recomputed from a call's arguments and
-- the model version's track records (ml.popularity_inputs), its trees walked (ml.forest_terms) or
-- its coefficients applied (ml.model_terms), explanations by input, and the registry's switch
-- (ml.activate_model). See docs/popularity.md; the public wrappers are in R__42_api_popularity.sql.

DROP FUNCTION IF EXISTS ml.rating_terms(text, integer, integer, text[], text[], text[], text[],
                                        text[]) CASCADE;

-- What the user entered that a feature comes from (as ml.popularity.feature_group in Python).
CREATE OR REPLACE FUNCTION ml.feature_group(feature text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE split_part(feature, ':', 1)
        WHEN 'type' THEN 'title type' WHEN 'genre' THEN 'genres' WHEN 'genre_count' THEN 'genres'
        WHEN 'decade' THEN 'year' WHEN 'year' THEN 'year' WHEN 'runtime' THEN 'runtime'
        WHEN 'director' THEN 'directors' WHEN 'writer' THEN 'writers' WHEN 'actor' THEN 'cast'
        WHEN 'producer' THEN 'producers' ELSE 'other' END
$$;

-- Pack a version's tree nodes (ml.model_node) into ml.model_forest's arrays: 1-based global node
-- numbers, 1-based feature positions (0 = leaf).
CREATE OR REPLACE FUNCTION ml.pack_forest(v integer) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM ml.model_forest WHERE version = v;
    INSERT INTO ml.model_forest
    WITH offsets AS (
        SELECT tree, (sum(count(*)) OVER (ORDER BY tree) - count(*))::integer AS off
        FROM ml.model_node WHERE version = v GROUP BY tree
    )
    SELECT v,
           array_agg(o.off + 1 ORDER BY n.tree, n.node) FILTER (WHERE n.node = 0),
           array_agg(coalesce(n.feature + 1, 0) ORDER BY n.tree, n.node),
           array_agg(coalesce(n.threshold, 0) ORDER BY n.tree, n.node),
           array_agg(coalesce(n.missing_left, false) ORDER BY n.tree, n.node),
           array_agg(coalesce(o.off + 1 + n.left_child, 0) ORDER BY n.tree, n.node),
           array_agg(coalesce(o.off + 1 + n.right_child, 0) ORDER BY n.tree, n.node),
           array_agg(n.value ORDER BY n.tree, n.node)
    FROM ml.model_node n JOIN offsets o USING (tree)
    WHERE n.version = v
$$;

-- The active model of a target, or a clear error.
CREATE OR REPLACE FUNCTION ml.active_model(target text) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v integer;
BEGIN
    SELECT m.version INTO v FROM ml.model m WHERE m.active AND m.target = active_model.target;
    IF v IS NULL THEN
        RAISE EXCEPTION 'no active popularity model (%): run `netfloox train popularity`', target
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN v;
END
$$;

-- The model's inputs for a planned film, by feature position (1-based), after checking the
-- arguments. People unknown to the track records are newcomers (no record: effect 0).
CREATE OR REPLACE FUNCTION ml.popularity_inputs(
    v integer, title_type text, start_year integer, runtime_minutes integer, genres text[],
    directors text[], writers text[], actors text[], producers text[])
RETURNS double precision[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public AS $$
DECLARE
    p jsonb;
    bad text;
    role_ids jsonb;
    role_values jsonb;
    band text;
    dec text;
    vals double precision[];
BEGIN
    SELECT params INTO p FROM ml.model WHERE version = v;
    IF title_type IS NULL OR NOT EXISTS (SELECT 1 FROM ml.model_feature f
            WHERE f.version = v AND f.feature = 'type:' || title_type) THEN
        RAISE EXCEPTION 'title_type: unknown type %', coalesce(title_type, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'known: ' || (
                SELECT string_agg(substr(f.feature, 6), ', ' ORDER BY f.feature)
                FROM ml.model_feature f WHERE f.version = v AND f.feature LIKE 'type:%');
    END IF;
    SELECT string_agg(g, ', ') INTO bad FROM unnest(coalesce(genres, '{}')) g
    WHERE NOT EXISTS (SELECT 1 FROM ml.model_feature f
                      WHERE f.version = v AND f.feature = 'genre:' || g);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'genres: unknown genre(s) %', bad USING ERRCODE = 'invalid_parameter_value',
            HINT = 'known: ' || (SELECT string_agg(substr(f.feature, 7), ', ' ORDER BY f.feature)
                                 FROM ml.model_feature f
                                 WHERE f.version = v AND f.feature LIKE 'genre:%');
    END IF;
    IF runtime_minutes < 0 OR start_year < 1800 OR start_year > 2200 THEN
        RAISE EXCEPTION 'runtime_minutes must be >= 0 and start_year between 1800 and 2200'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    role_ids := jsonb_build_object('director', directors, 'writer', writers, 'actor', actors,
                                   'producer', producers);
    SELECT string_agg(DISTINCT x, ', ') INTO bad
    FROM jsonb_each(role_ids) r, jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(r.value) = 'array' THEN r.value ELSE '[]' END) x
    WHERE x !~ '^nm[0-9]{7,9}$';
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'people: not an IMDb person id: %', bad
            USING ERRCODE = 'invalid_parameter_value', HINT = 'ids look like nm0000229';
    END IF;
    WITH people AS (
        SELECT DISTINCT r.key AS role, substr(x, 3)::integer AS person_id
        FROM jsonb_each(role_ids) r, jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(r.value) = 'array' THEN r.value ELSE '[]' END) x
    ), records AS (  -- one primary-key lookup per person (a join would scan the version)
        SELECT pe.role,
               (SELECT e FROM ml.person_effect e WHERE e.version = v
                  AND e.role = pe.role AND e.person_id = pe.person_id) AS e
        FROM people pe
    ), effects AS (
        SELECT r.role, coalesce((r.e).n, 0) AS n,
               (coalesce((r.e).total, 0) + (p ->> 'smoothing_k')::float8 * (p ->> 'mu')::float8)
                   / (coalesce((r.e).n, 0) + (p ->> 'smoothing_k')::float8)
                   - (p ->> 'mu')::float8 AS effect,
               (coalesce((r.e).total_votes, 0)
                   + (p ->> 'smoothing_k')::float8 * (p ->> 'mu_votes')::float8)
                   / (coalesce((r.e).n, 0) + (p ->> 'smoothing_k')::float8)
                   - (p ->> 'mu_votes')::float8 AS audience
        FROM records r
    )
    SELECT coalesce(jsonb_object_agg(kv.key, kv.value), '{}') INTO role_values
    FROM effects e0, LATERAL (
        SELECT e0.role || ':effect' AS key, avg(effect) AS value FROM effects WHERE role = e0.role
        UNION ALL SELECT e0.role || ':best', max(effect) FROM effects WHERE role = e0.role
        UNION ALL SELECT e0.role || ':films', ln(1 + avg(n)) FROM effects WHERE role = e0.role
        UNION ALL SELECT e0.role || ':audience', avg(audience) FROM effects WHERE role = e0.role
    ) kv;
    band := CASE WHEN runtime_minutes IS NULL THEN 'na'
                 WHEN runtime_minutes < 60 THEN '<60' WHEN runtime_minutes < 90 THEN '60-90'
                 WHEN runtime_minutes < 120 THEN '90-120'
                 WHEN runtime_minutes < 150 THEN '120-150' ELSE '150+' END;
    dec := CASE WHEN start_year IS NULL THEN 'na'
                ELSE (least(greatest(start_year, 1910), 2020) / 10 * 10)::text END;
    IF NOT EXISTS (SELECT 1 FROM ml.model_feature f
                   WHERE f.version = v AND f.feature = 'decade:' || dec) THEN
        dec := 'na';
    END IF;
    SELECT array_agg(CASE
            WHEN f.feature LIKE 'type:%' THEN (substr(f.feature, 6) = title_type)::int
            WHEN f.feature LIKE 'genre:%' THEN (substr(f.feature, 7) = ANY (genres))::int
            WHEN f.feature = 'genre_count' THEN
                (SELECT count(DISTINCT g) FROM unnest(genres) g)
            WHEN f.feature LIKE 'decade:%' THEN (substr(f.feature, 8) = dec)::int
            WHEN f.feature = 'year' THEN coalesce(start_year, (p ->> 'year_mean')::float8)
            WHEN f.feature = 'runtime' THEN
                coalesce(runtime_minutes, (p ->> 'runtime_mean')::float8)
            WHEN f.feature LIKE 'runtime:%' THEN (substr(f.feature, 9) = band)::int
            WHEN f.feature = 'adult' THEN 0
            ELSE coalesce((role_values ->> f.feature)::float8, 0) END::float8
        ORDER BY f.position)
    INTO vals FROM ml.model_feature f WHERE f.version = v;
    RETURN vals;
END
$$;

-- Path attributions (Saabas) of a forest: walk every tree from its root to the leaf the inputs
-- reach; each split's change of value goes to its feature. Returns one contribution per feature
-- position, then the base (intercept + roots' values) last; their sum is the prediction.
CREATE OR REPLACE FUNCTION ml.forest_terms(v integer, x double precision[])
RETURNS double precision[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    roots integer[];
    feat integer[];
    thr double precision[];
    miss boolean[];
    lft integer[];
    rgt integer[];
    val double precision[];
    c double precision[];
    base double precision;
    n integer;
    nxt integer;
    fi integer;
    xv double precision;
BEGIN
    SELECT f.roots, f.feature, f.threshold, f.missing_left, f.left_child, f.right_child, f.value
    INTO roots, feat, thr, miss, lft, rgt, val
    FROM ml.model_forest f WHERE f.version = v;
    SELECT (params ->> 'intercept')::float8 INTO base FROM ml.model WHERE version = v;
    c := array_fill(0::float8, ARRAY[cardinality(x)]);
    FOREACH n IN ARRAY roots LOOP
        base := base + val[n];
        LOOP
            fi := feat[n];
            EXIT WHEN fi = 0;
            xv := x[fi];
            IF xv IS NULL THEN
                nxt := CASE WHEN miss[n] THEN lft[n] ELSE rgt[n] END;
            ELSIF xv <= thr[n] THEN
                nxt := lft[n];
            ELSE
                nxt := rgt[n];
            END IF;
            c[fi] := c[fi] + val[nxt] - val[n];
            n := nxt;
        END LOOP;
    END LOOP;
    RETURN c || base;
END
$$;

-- One row per feature: its value and contribution, plus a 'baseline' row (ridge: the prediction
-- for an average film; trees: intercept + roots' values). The contributions sum to the prediction.
CREATE OR REPLACE FUNCTION ml.model_terms(
    v integer, title_type text, start_year integer, runtime_minutes integer, genres text[],
    directors text[], writers text[], actors text[], producers text[])
RETURNS TABLE (feature text, feature_group text, value double precision,
               contribution double precision)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public AS $$
DECLARE
    x double precision[] := ml.popularity_inputs(v, title_type, start_year, runtime_minutes,
                                                 genres, directors, writers, actors, producers);
    c double precision[];
BEGIN
    IF (SELECT kind FROM ml.model WHERE version = v) = 'trees' THEN
        c := ml.forest_terms(v, x);
        RETURN QUERY
        SELECT 'baseline', 'baseline', NULL::float8, c[cardinality(c)]
        UNION ALL
        SELECT f.feature, ml.feature_group(f.feature), x[f.position + 1], c[f.position + 1]
        FROM ml.model_feature f WHERE f.version = v;
    ELSE
        RETURN QUERY
        SELECT 'baseline', 'baseline', NULL::float8,
               (SELECT (params ->> 'intercept')::float8 FROM ml.model WHERE version = v)
               + sum(f.coef * f.mean)
        FROM ml.model_feature f WHERE f.version = v
        UNION ALL
        SELECT f.feature, ml.feature_group(f.feature), x[f.position + 1],
               f.coef * (x[f.position + 1] - f.mean)
        FROM ml.model_feature f WHERE f.version = v;
    END IF;
END
$$;

-- The prediction of model version v (its target's units) and the 80 % interval of its held-out
-- residuals (10th and 90th percentiles).
CREATE OR REPLACE FUNCTION ml.model_predict(
    v integer, title_type text, start_year integer, runtime_minutes integer, genres text[],
    directors text[], writers text[], actors text[], producers text[])
RETURNS TABLE (prediction double precision, low double precision, high double precision)
LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
    SELECT p.y, p.y + (m.metrics ->> 'residual_q10')::float8,
           p.y + (m.metrics ->> 'residual_q90')::float8
    FROM (SELECT sum(t.contribution) AS y
          FROM ml.model_terms(v, title_type, start_year, runtime_minutes, genres, directors,
                              writers, actors, producers) t) p
    CROSS JOIN ml.model m WHERE m.version = v
$$;

-- What drives the prediction, by what the user entered, measured against the average film of
-- its type: first 'average <type>' (the mean prediction over the training films of that type),
-- then one row per input given (genres, each role, runtime, year, title type), then 'not given'
-- (what the inputs left out, against that average). The rows sum to the prediction.
CREATE OR REPLACE FUNCTION ml.explain(
    target text, title_type text, start_year integer, runtime_minutes integer, genres text[],
    directors text[], writers text[], actors text[], producers text[])
RETURNS TABLE (feature_group text, contribution double precision, detail text)
LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
    WITH v AS (SELECT ml.active_model(target) AS v),
    terms AS (
        SELECT t.feature_group AS g, sum(t.contribution) AS c
        FROM v, ml.model_terms(v.v, title_type, start_year, runtime_minutes, genres, directors,
                               writers, actors, producers) t
        GROUP BY t.feature_group
    ), means AS (
        SELECT gm.feature_group AS g, gm.contribution AS c
        FROM v JOIN ml.model_group_mean gm ON gm.version = v.v AND gm.title_type = explain.title_type
    ), names AS (
        SELECT r.g, string_agg(coalesce(p.primary_name, x), ', ' ORDER BY x) AS who
        FROM (VALUES ('directors', directors), ('writers', writers), ('cast', actors),
                     ('producers', producers)) r(g, ids),
             unnest(r.ids) x
        LEFT JOIN catalog.person p ON x ~ '^nm[0-9]{7,9}$' AND p.person_id = substr(x, 3)::int
        GROUP BY r.g
    ), given AS (
        SELECT g, detail FROM (VALUES
            ('title type', title_type),
            ('genres', nullif(array_to_string(genres, ', '), '')),
            ('year', start_year::text),
            ('runtime', runtime_minutes || ' min')) d(g, detail)
        WHERE detail IS NOT NULL
        UNION ALL SELECT g, who FROM names
    ), relative AS (
        SELECT t.g, t.c - coalesce(m.c, 0) AS c, gv.detail, gv.g IS NOT NULL AS is_given
        FROM terms t LEFT JOIN means m USING (g) LEFT JOIN given gv USING (g)
        WHERE t.g <> 'baseline'
    )
    SELECT * FROM (
        SELECT 'average ' || title_type AS g, (SELECT c FROM terms WHERE g = 'baseline')
                   + coalesce((SELECT sum(c) FROM means), 0) AS c, NULL::text AS detail
        UNION ALL
        SELECT g, c, detail FROM relative WHERE is_given
        UNION ALL
        SELECT 'not given', sum(c), string_agg(g, ', ' ORDER BY g)
        FROM relative WHERE NOT is_given HAVING count(*) > 0
    ) e
    ORDER BY e.g LIKE 'average %' DESC, e.g = 'not given', abs(e.c) DESC
$$;

-- Track records as the active rating model sees them (its training titles): per role and person,
-- the titles they rest on, their mean rating, and the smoothed effects on the rating and on the
-- audience (log10 votes) against the mean film (``smoothing_k`` pseudo-films of the mean pull thin
-- records back). What api.track_records and api.person_track_record list.
DROP VIEW IF EXISTS ml.track_record CASCADE;
CREATE VIEW ml.track_record AS
WITH s AS (
    SELECT m.version, (m.params ->> 'smoothing_k')::float8 AS shrink,
           (m.params ->> 'mu')::float8 AS mu, (m.params ->> 'mu_votes')::float8 AS mu_votes
    FROM ml.model m WHERE m.version = ml.active_model('rating'))
SELECT e.role, e.person_id, e.n, e.total / e.n AS mean_rating,
       e.rating_effect,  -- (total + shrink * mu) / (n + shrink) - mu, stored (V107)
       (e.total_votes + s.shrink * s.mu_votes) / (e.n + s.shrink) - s.mu_votes AS audience_effect,
       e.films_by_type  -- (V108)
FROM s JOIN ml.person_effect e ON e.version = s.version;

-- The registry's retention: each training adds three versions, each with its track records
-- (ml.person_effect: a row per person and role, 3.8 M rows a training at full size). Kept: the
-- active versions and the ``keep`` newest of each target and kind (with keep = 2, the previous
-- training's: the rollback docs/popularity.md describes); the others are deleted with their rows.
-- Returns the versions deleted. `netfloox train` calls it after registering its versions.
CREATE OR REPLACE FUNCTION ml.forget_models(keep integer DEFAULT 2) RETURNS SETOF integer
LANGUAGE sql AS $$
    DELETE FROM ml.model m USING (
        SELECT version, row_number() OVER (PARTITION BY target, kind ORDER BY version DESC) AS age
        FROM ml.model) r
    WHERE r.version = m.version AND NOT m.active AND r.age > greatest(keep, 1)
    RETURNING m.version
$$;

-- Switch the active model of its target (a retrain calls it; a rollback too).
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

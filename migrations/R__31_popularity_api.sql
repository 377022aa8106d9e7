-- The popularity model's public API: predict_rating, explain_rating, model_card.
-- They recompute the features of migrations/R__30 from their arguments and the active model's
-- track records (ml.person_effect), then apply its coefficients (ml.model_coef).

-- One row per model feature: its value for these inputs, coefficient, training mean, and the
-- contribution coef * (value - mean); the 'baseline' row holds intercept + sum(coef * mean),
-- the prediction for an average film. Prediction = sum of contribution.
CREATE OR REPLACE FUNCTION ml.rating_terms(
    title_type text, start_year integer, runtime_minutes integer, genres text[],
    directors text[], writers text[], actors text[], producers text[])
RETURNS TABLE (version integer, feature text, feature_group text, value double precision,
               contribution double precision)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
DECLARE
    m record;
    mu double precision;
    k double precision;
    year_mean double precision;
    bad text;
    role_ids jsonb;
BEGIN
    SELECT * INTO m FROM ml.model WHERE active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no active popularity model: run `netfloox train popularity`'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    mu := (m.params ->> 'mu')::float8;
    k := (m.params ->> 'smoothing_k')::float8;
    year_mean := (m.params ->> 'year_mean')::float8;
    IF title_type IS NULL OR NOT EXISTS (SELECT 1 FROM ml.model_coef c
            WHERE c.version = m.version AND c.feature = 'type:' || title_type) THEN
        RAISE EXCEPTION 'title_type: unknown type %', coalesce(title_type, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'known: ' || (
                SELECT string_agg(substr(c.feature, 6), ', ' ORDER BY c.feature)
                FROM ml.model_coef c WHERE c.version = m.version AND c.feature LIKE 'type:%');
    END IF;
    SELECT string_agg(g, ', ') INTO bad FROM unnest(coalesce(genres, '{}')) g
    WHERE NOT EXISTS (SELECT 1 FROM ml.model_coef c
                      WHERE c.version = m.version AND c.feature = 'genre:' || g);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'genres: unknown genre(s) %', bad USING ERRCODE = 'invalid_parameter_value',
            HINT = 'known: ' || (SELECT string_agg(substr(c.feature, 7), ', ' ORDER BY c.feature)
                                 FROM ml.model_coef c
                                 WHERE c.version = m.version AND c.feature LIKE 'genre:%');
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
    RETURN QUERY
    WITH people AS (
        SELECT r.key AS role, substr(x, 3)::integer AS person_id
        FROM jsonb_each(role_ids) r, jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(r.value) = 'array' THEN r.value ELSE '[]' END) x
    ), records AS (  -- one primary-key lookup per person (a join would scan the version)
        SELECT p.role,
               (SELECT e FROM ml.person_effect e WHERE e.version = m.version
                  AND e.role = p.role AND e.person_id = p.person_id) AS e
        FROM (SELECT DISTINCT * FROM people) p
    ), effects AS (  -- newcomers (no track record) count as n = 0: effect 0
        SELECT r.role,
               (coalesce((r.e).total, 0) + k * mu) / (coalesce((r.e).n, 0) + k) - mu AS effect,
               coalesce((r.e).n, 0) AS n
        FROM records r
    ), role_values AS (
        SELECT role || ':effect' AS feature, avg(effect) AS value FROM effects GROUP BY role
        UNION ALL SELECT role || ':best', max(effect) FROM effects GROUP BY role
        UNION ALL SELECT role || ':films', ln(1 + avg(n)) FROM effects GROUP BY role
    ), band AS (
        SELECT CASE WHEN runtime_minutes IS NULL THEN 'na'
                    WHEN runtime_minutes < 60 THEN '<60' WHEN runtime_minutes < 90 THEN '60-90'
                    WHEN runtime_minutes < 120 THEN '90-120'
                    WHEN runtime_minutes < 150 THEN '120-150' ELSE '150+' END AS b,
               CASE WHEN start_year IS NULL THEN 'na'
                    ELSE (least(greatest(start_year, 1910), 2020) / 10 * 10)::text END AS d
    ), inputs AS (
        SELECT 'type:' || title_type AS feature, 1.0::float8 AS value
        UNION ALL SELECT 'genre:' || g, 1.0 FROM (SELECT DISTINCT unnest(genres)) s(g)
        UNION ALL SELECT CASE WHEN EXISTS (SELECT 1 FROM ml.model_coef c
                                           WHERE c.version = m.version
                                             AND c.feature = 'decade:' || band.d)
                              THEN 'decade:' || band.d ELSE 'decade:na' END, 1.0 FROM band
        UNION ALL SELECT 'year', (coalesce(start_year, year_mean) - 2000) / 10.0
        UNION ALL SELECT 'runtime:' || band.b, 1.0 FROM band
        UNION ALL SELECT 'genre_count', (SELECT count(DISTINCT g) FROM unnest(genres) g)::float8
        UNION ALL SELECT * FROM role_values
    )
    SELECT m.version, 'baseline', 'baseline',
           NULL::float8, sum(c.coef * c.mean) + max(c.coef) FILTER (WHERE c.feature = 'intercept')
    FROM ml.model_coef c WHERE c.version = m.version
    UNION ALL
    SELECT m.version, c.feature,
           CASE WHEN c.feature LIKE 'type:%' THEN 'title type'
                WHEN c.feature LIKE 'genre%' THEN 'genres'
                WHEN c.feature LIKE 'decade:%' OR c.feature = 'year' THEN 'year'
                WHEN c.feature LIKE 'runtime:%' THEN 'runtime'
                WHEN c.feature LIKE 'director:%' THEN 'directors'
                WHEN c.feature LIKE 'writer:%' THEN 'writers'
                WHEN c.feature LIKE 'actor:%' THEN 'actors'
                WHEN c.feature LIKE 'producer:%' THEN 'producers'
                ELSE 'other' END,
           coalesce(i.value, 0), c.coef * (coalesce(i.value, 0) - c.mean)
    FROM ml.model_coef c LEFT JOIN inputs i USING (feature)
    WHERE c.version = m.version AND c.feature <> 'intercept';
END
$$;

-- predict_rating(genres => '{Drama}', runtime_minutes => 120, directors => '{nm0000229}'):
-- the expected IMDb rating, and an 80 % interval from the held-out residuals (10th and 90th
-- percentiles). Unknown people count as newcomers; unknown type or genre is an error.
CREATE OR REPLACE FUNCTION api.predict_rating(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (predicted_rating double precision, low double precision, high double precision,
               model_version integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT p.rating,
           greatest(1, p.rating + (m.metrics ->> 'residual_q10')::float8),
           least(10, p.rating + (m.metrics ->> 'residual_q90')::float8),
           p.version
    FROM (SELECT max(t.version) AS version, sum(t.contribution) AS rating
          FROM ml.rating_terms(title_type, start_year, runtime_minutes, genres, directors,
                               writers, actors, producers) t) p
    JOIN ml.model m ON m.version = p.version
$$;

-- explain_rating(same arguments): what pushes the prediction up or down, one row per group of
-- features ('baseline' = an average film), largest effects first; contributions sum to the
-- prediction.
CREATE OR REPLACE FUNCTION api.explain_rating(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (feature_group text, contribution double precision, detail text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT t.feature_group, sum(t.contribution),
           string_agg(t.feature || CASE WHEN t.value = 0 THEN ' (no)' ELSE '' END || ' '
                      || to_char(t.contribution, 'S0.000'), ', '
                      ORDER BY abs(t.contribution) DESC)
               FILTER (WHERE abs(t.contribution) >= 0.005 AND t.feature <> 'baseline')
    FROM ml.rating_terms(title_type, start_year, runtime_minutes, genres, directors, writers,
                         actors, producers) t
    GROUP BY t.feature_group
    ORDER BY t.feature_group = 'baseline' DESC, abs(sum(t.contribution)) DESC
$$;

-- The active model, for the app's model card.
CREATE OR REPLACE VIEW api.model_card AS
SELECT m.version, m.trained_at, m.params, m.metrics,
       (SELECT jsonb_agg(jsonb_build_object('feature', c.feature, 'coef', round(c.coef::numeric, 3))
                         ORDER BY abs(c.coef) DESC)
        FROM (SELECT * FROM ml.model_coef c2 WHERE c2.version = m.version
              AND c2.feature <> 'intercept' ORDER BY abs(c2.coef) DESC LIMIT 10) c) AS strongest
FROM ml.model m WHERE m.active;

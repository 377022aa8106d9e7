-- The popularity models' public API: predict_rating, predict_audience, explain_rating,
-- explain_audience, what_if, model_card, and the "what drives popularity" lists. Every call goes
-- through the ml scorer (R__33_ml_popularity_scoring.sql). See docs/popularity.md.

DROP FUNCTION IF EXISTS api.predict_rating(text, integer, integer, text[], text[], text[], text[],
                                           text[]) CASCADE;
DROP FUNCTION IF EXISTS api.explain_rating(text, integer, integer, text[], text[], text[], text[],
                                           text[]) CASCADE;
DROP VIEW IF EXISTS api.model_card CASCADE;
DROP FUNCTION IF EXISTS api.popularity_drivers() CASCADE;
DROP FUNCTION IF EXISTS api.track_records(text, integer, integer) CASCADE;

-- predict_rating(genres => '{Drama}', runtime_minutes => 120, directors => '{nm0000229}'):
-- the expected IMDb rating and an 80 % interval. Unknown people count as newcomers; an unknown
-- type or genre is an error.
CREATE OR REPLACE FUNCTION api.predict_rating(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (predicted_rating double precision, low double precision, high double precision,
               model_version integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT p.prediction, greatest(1, p.low), least(10, p.high), v.v
    FROM (SELECT ml.active_model('rating') AS v) v,
         ml.model_predict(v.v, title_type, start_year, runtime_minutes, genres, directors,
                          writers, actors, producers) p
$$;
COMMENT ON FUNCTION api.predict_rating IS
    'The expected IMDb rating of a planned film and its 80 % interval, from the active rating '
    'model: title_type, start_year, runtime_minutes, genres, and people by IMDb id '
    '(directors, writers, actors, producers; an unknown id counts as a newcomer). An unknown '
    'type or genre is an error (invalid_parameter_value). Example: SELECT * FROM '
    'api.predict_rating(genres => ''{Drama}'', runtime_minutes => 120, directors => '
    '''{nm0000229}'').';

-- predict_audience(same arguments): the expected number of IMDb votes (how many people will
-- watch and rate the film), an 80 % interval, the model version.
CREATE OR REPLACE FUNCTION api.predict_audience(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (expected_votes double precision, low double precision, high double precision,
               model_version integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT power(10, p.prediction), power(10, p.low), power(10, p.high), v.v
    FROM (SELECT ml.active_model('audience') AS v) v,
         ml.model_predict(v.v, title_type, start_year, runtime_minutes, genres, directors,
                          writers, actors, producers) p
$$;
COMMENT ON FUNCTION api.predict_audience IS
    'The expected audience of a planned film (its number of IMDb votes) and its 80 % '
    'interval, from the active audience model. Same arguments and errors as predict_rating.';

-- explain_rating(same arguments as predict_rating): rating points by input; rows sum to the
-- predicted rating.
CREATE OR REPLACE FUNCTION api.explain_rating(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (feature_group text, contribution double precision, detail text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT * FROM ml.explain('rating', title_type, start_year, runtime_minutes, genres,
                             directors, writers, actors, producers)
$$;
COMMENT ON FUNCTION api.explain_rating IS
    'What drives predict_rating: one row per group of inputs (the average film of the type '
    'first, then genres, each role, runtime, year, what was not given) with its contribution '
    'in rating points; the rows sum to the prediction. Same arguments as predict_rating.';

-- explain_audience(same arguments): contributions in log10 votes (+0.3 = twice the audience);
-- rows sum to log10(expected_votes).
CREATE OR REPLACE FUNCTION api.explain_audience(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (feature_group text, contribution double precision, detail text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT * FROM ml.explain('audience', title_type, start_year, runtime_minutes, genres,
                             directors, writers, actors, producers)
$$;
COMMENT ON FUNCTION api.explain_audience IS
    'What drives predict_audience: contributions in log10 votes (+0.3 doubles the audience); '
    'the rows sum to log10 of the expected votes. Same arguments as predict_rating.';

-- What-if curves for a planned film: the expected rating and audience when one input changes
-- and the others stay: runtime 60-210 min, year 1970-2030, and each named person swapped for a
-- newcomer (no track record). dimension 'as entered' is the film itself.
CREATE OR REPLACE FUNCTION api.what_if(
    title_type text DEFAULT 'movie', start_year integer DEFAULT NULL,
    runtime_minutes integer DEFAULT NULL, genres text[] DEFAULT '{}',
    directors text[] DEFAULT '{}', writers text[] DEFAULT '{}', actors text[] DEFAULT '{}',
    producers text[] DEFAULT '{}')
RETURNS TABLE (dimension text, setting text, x integer, predicted_rating double precision,
               expected_votes double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH m AS (SELECT ml.active_model('rating') AS r, ml.active_model('audience') AS a),
    variants AS (
        SELECT 'as entered' AS dimension, 'as entered' AS setting, NULL::int AS x,
               start_year AS y, runtime_minutes AS rt,
               directors AS d, writers AS w, actors AS ac, producers AS p
        UNION ALL
        SELECT 'runtime', s || ' min', s, start_year, s, directors, writers, actors, producers
        FROM generate_series(60, 210, 10) s
        UNION ALL
        SELECT 'year', s::text, s, s, runtime_minutes, directors, writers, actors, producers
        FROM generate_series(1970, 2030, 5) s
        UNION ALL
        SELECT 'newcomer instead of', coalesce(pr.primary_name, who.id), NULL,
               start_year, runtime_minutes,
               array_replace(directors, who.id, 'nm0000000'),
               array_replace(writers, who.id, 'nm0000000'),
               array_replace(actors, who.id, 'nm0000000'),
               array_replace(producers, who.id, 'nm0000000')
        FROM (SELECT DISTINCT unnest(directors || writers || actors || producers) AS id) who
        LEFT JOIN catalog.person pr ON who.id ~ '^nm[0-9]{7,9}$'
                                   AND pr.person_id = substr(who.id, 3)::int
    )
    SELECT vr.dimension, vr.setting, vr.x, r.prediction, power(10, a.prediction)
    FROM variants vr CROSS JOIN m,
         LATERAL ml.model_predict(m.r, title_type, vr.y, vr.rt, genres, vr.d, vr.w, vr.ac, vr.p) r,
         LATERAL ml.model_predict(m.a, title_type, vr.y, vr.rt, genres, vr.d, vr.w, vr.ac, vr.p) a
$$;
COMMENT ON FUNCTION api.what_if IS
    'What-if curves for a planned film: the expected rating and votes when one input changes '
    'and the others stay (runtime 60-210 min, year 1970-2030, each named person swapped for a '
    'newcomer); dimension ''as entered'' is the film itself. Same arguments as '
    'predict_rating.';

-- The active models, for the app's model card: metrics, and what weighs most (the mean absolute
-- contribution of each group of inputs over the training films, in the target's units).
CREATE OR REPLACE VIEW api.model_card AS
SELECT m.target, m.kind, m.version, m.trained_at, m.params, m.metrics - 'importance' AS metrics,
       m.metrics -> 'importance' AS strongest
FROM ml.model m WHERE m.active;
COMMENT ON VIEW api.model_card IS
    'The active popularity models: target, kind, version, training date, parameters, held-out '
    'metrics, and the groups of inputs that weigh most.';

-- "What drives popularity", from the active models: their partial dependence (ml.model_effect,
-- computed at training) on each genre alone, the most common genre combinations, the runtime
-- (60-210 min) and the decade: the mean prediction over training movies with that input set and
-- the others as they are; films = training films with that genre or combination.
CREATE OR REPLACE FUNCTION api.popularity_drivers()
RETURNS TABLE (kind text, label text, x integer, films integer, predicted_rating double precision,
               expected_votes double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.kind, r.label, r.x, r.films, r.value, power(10, a.value)
    FROM ml.model_effect r
    JOIN ml.model_effect a ON a.version = ml.active_model('audience')
                          AND a.kind = r.kind AND a.label = r.label
    WHERE r.version = ml.active_model('rating')
    ORDER BY r.kind, r.x, r.films DESC, r.label
$$;
COMMENT ON FUNCTION api.popularity_drivers IS
    'What drives popularity, from the active models: the mean prediction (rating and votes) '
    'over the training movies when one input is set, each genre alone, the commonest genre '
    'combinations, the runtime and the decade; films: the training films behind each.';

-- The strongest track records of a role ('director', 'writer', 'actor', 'producer') in the active
-- rating model: the smoothed effect on the rating (and on the audience, log10 votes) of the
-- person's training titles (films, series, specials: every type but episodes), and how many
-- titles it rests on (at least min_films). Named people only. With title_type, only people with
-- at least min_films of those titles of that type (a production team planning a film asks for
-- film directors, not series directors; counted at training, ml.person_effect.films_by_type);
-- with name, only names containing it (accents and case ignored).
-- Dynamic SQL on purpose: planned with the actual values, the common call (at least 3 titles,
-- k = 15) reads the strongest records in index order and stops at k; a rare floor (at least 40
-- titles) lets the planner choose differently. A generic plan sorted every record of the role.
CREATE OR REPLACE FUNCTION api.track_records(role text, k integer DEFAULT 10,
                                              min_films integer DEFAULT 3,
                                              title_type text DEFAULT NULL, name text DEFAULT NULL)
RETURNS TABLE (nconst text, primary_name text, films integer, mean_rating double precision,
               rating_effect double precision, audience_effect double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v integer := ml.active_model('rating');
    shrink float8;
    mu_votes float8;
BEGIN
    SELECT (m.params ->> 'smoothing_k')::float8, (m.params ->> 'mu_votes')::float8
    INTO shrink, mu_votes FROM ml.model m WHERE m.version = v;
    RETURN QUERY EXECUTE $q$
        SELECT p.nconst, p.primary_name, e.n, e.total / e.n, e.rating_effect,
               (e.total_votes + $7 * $8) / (e.n + $7) - $8
        FROM ml.person_effect e JOIN catalog.person p ON p.person_id = e.person_id
        WHERE e.version = $1 AND e.role = $2 AND e.n >= $3 AND NOT p.is_placeholder
          AND ($4::text IS NULL OR coalesce((e.films_by_type ->> $4)::integer, 0) >= $3)
          AND ($5::text IS NULL OR ml.unaccent_lower(p.primary_name)
                   LIKE '%' || ml.unaccent_lower($5) || '%')
        ORDER BY e.rating_effect DESC, e.person_id
        LIMIT $6 $q$
    USING v, role, min_films, title_type, name, least(greatest(k, 0), 100), shrink, mu_votes;
END
$$;
COMMENT ON FUNCTION api.track_records IS
    'The strongest track records of a role (''director'', ''writer'', ''actor'', '
    '''producer'') in the active rating model: the smoothed effect on the rating and on the '
    'audience, and the titles it rests on (at least min_films). title_type: only people with '
    'that many titles of the type; name: names containing it. k: at most 100. Example: SELECT '
    '* FROM api.track_records(''director'', 10, 5, ''movie'').';

-- What a film's page and a person's page show (the app's /title/<tconst> and /name/<nconst>, and
-- any client of the API): facts, credits, alternative titles, filmographies, track records and the
-- popularity model's estimate of a real film. Unknown ids raise no_data_found with the id.

DROP FUNCTION IF EXISTS api.title_details(text) CASCADE;
DROP FUNCTION IF EXISTS api.title_credits(text) CASCADE;
DROP FUNCTION IF EXISTS api.title_akas(text) CASCADE;
DROP FUNCTION IF EXISTS api.title_estimate(text) CASCADE;
DROP FUNCTION IF EXISTS api.person_details(text) CASCADE;
DROP FUNCTION IF EXISTS api.filmography(text) CASCADE;
DROP FUNCTION IF EXISTS api.person_track_record(text) CASCADE;

-- title_details('tt0133093'): the film's facts (the argument is not named tconst: an output
-- column is).
CREATE OR REPLACE FUNCTION api.title_details(id text)
RETURNS TABLE (tconst text, primary_title text, original_title text, title_type text,
               start_year smallint, end_year smallint, runtime_minutes integer, is_adult boolean,
               genres text[], average_rating numeric, num_votes integer, series_tconst text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    RETURN QUERY
    SELECT t.tconst, t.primary_title, t.original_title, tt.name, t.start_year, t.end_year,
           t.runtime_minutes, t.is_adult,
           coalesce((SELECT array_agg(g.name ORDER BY tg.position)
                     FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
                     WHERE tg.title_id = t.title_id), '{}'),
           r.average_rating, r.num_votes, s.tconst
    FROM catalog.title t
    JOIN catalog.title_type tt USING (title_type_id)
    LEFT JOIN catalog.rating r USING (title_id)
    LEFT JOIN catalog.episode e USING (title_id)
    LEFT JOIN catalog.title s ON s.title_id = e.series_title_id
    WHERE t.tconst = title_details.id AND NOT t.is_placeholder;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown title %', title_details.id USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
COMMENT ON FUNCTION api.title_details IS
    'A title''s facts: titles, type, years, runtime, genres, rating and votes, and its series '
    'for an episode. Error: unknown id (no_data_found). Example: SELECT * FROM '
    'api.title_details(''tt0133093'').';

-- title_credits('tt0133093'): directors, writers, then the billed principals in order; role is
-- 'director', 'writer' or the principal's category (actor, actress, producer, composer, ...).
CREATE OR REPLACE FUNCTION api.title_credits(tconst text)
RETURNS TABLE (role text, nconst text, primary_name text, ordering integer, characters text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH t AS (SELECT title_id FROM catalog.title WHERE tconst = title_credits.tconst),
    credit AS (
        SELECT 'director' AS role, d.person_id, d.position::integer AS ordering, NULL AS characters,
               0 AS rank
        FROM catalog.title_director d JOIN t USING (title_id)
        UNION ALL
        SELECT 'writer', w.person_id, w.position, NULL, 1
        FROM catalog.title_writer w JOIN t USING (title_id)
        UNION ALL
        SELECT c.name, p.person_id, p.ordering, (
                   SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(p.characters) x), 2
        FROM catalog.principal p JOIN t USING (title_id)
        JOIN catalog.category c USING (category_id)
        WHERE c.name NOT IN ('director', 'writer')
    )
    SELECT x.role, p.nconst, p.primary_name, x.ordering, x.characters
    FROM credit x JOIN catalog.person p USING (person_id)
    WHERE NOT p.is_placeholder
    ORDER BY x.rank, x.ordering
$$;
COMMENT ON FUNCTION api.title_credits IS
    'A title''s credits: directors, writers, then the billed principals in order; role is '
    '''director'', ''writer'' or the principal''s category (actor, actress, producer, '
    'composer...), with the characters played.';

-- title_akas('tt0211915'): the film's alternative titles (none when akas were not imported).
CREATE OR REPLACE FUNCTION api.title_akas(tconst text)
RETURNS TABLE (title text, region text, language text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT DISTINCT ON (a.title, a.region) a.title, a.region, a.language
    FROM catalog.title t JOIN catalog.aka a USING (title_id)
    WHERE t.tconst = title_akas.tconst AND a.title <> t.primary_title
    ORDER BY a.title, a.region
    LIMIT 50
$$;
COMMENT ON FUNCTION api.title_akas IS
    'A title''s alternative titles with their region and language (50 at most; none when the '
    'akas were not imported).';

-- title_estimate('tt0133093'): what the popularity models expect of this real film from its
-- characteristics (type, year, runtime, genres, directors, writers, lead actors, producers), and
-- whether it was among their training films. A training film's own rating is part of its
-- people's track records, so its estimate flatters the model; a held-out film's (1 in 10) does
-- not. NULL estimates when no model is trained or the film's type is unknown to it.
CREATE OR REPLACE FUNCTION api.title_estimate(tconst text)
RETURNS TABLE (predicted_rating double precision, expected_votes double precision,
               training text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    t record;
    role_ids jsonb;
BEGIN
    SELECT x.title_id, x.tconst, tt.name AS title_type, x.start_year, x.runtime_minutes,
           r.num_votes,
           coalesce((SELECT array_agg(g.name) FROM catalog.title_genre tg
                     JOIN catalog.genre g USING (genre_id) WHERE tg.title_id = x.title_id),
                    '{}') AS genres
    INTO t
    FROM catalog.title x JOIN catalog.title_type tt USING (title_type_id)
    LEFT JOIN catalog.rating r USING (title_id)
    WHERE x.tconst = title_estimate.tconst AND NOT x.is_placeholder;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown title %', title_estimate.tconst USING ERRCODE = 'no_data_found';
    END IF;
    SELECT jsonb_object_agg(c.role, c.ids) INTO role_ids
    FROM (SELECT c.role, array_agg(p.nconst) AS ids
          FROM ml.popularity_credit c JOIN catalog.person p USING (person_id)
          WHERE c.title_id = t.title_id GROUP BY c.role) c;
    role_ids := coalesce(role_ids, '{}');
    training := CASE
        WHEN t.num_votes IS NULL OR t.num_votes < 20 OR t.title_type IN ('tvEpisode', 'videoGame')
            THEN 'not a training film (fewer than 20 votes, or not a type the model learns)'
        WHEN abs(hashtext(t.tconst)) % 10 = 0
            THEN 'held out from training: an honest estimate'
        ELSE 'a training film: its own rating is in its people''s track records' END;
    BEGIN
        SELECT p.predicted_rating INTO predicted_rating FROM api.predict_rating(
            t.title_type, t.start_year, t.runtime_minutes, t.genres,
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'director')),
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'writer')),
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'actor')),
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'producer'))) p;
        SELECT a.expected_votes INTO expected_votes FROM api.predict_audience(
            t.title_type, t.start_year, t.runtime_minutes, t.genres,
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'director')),
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'writer')),
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'actor')),
            ARRAY(SELECT jsonb_array_elements_text(role_ids -> 'producer'))) a;
    EXCEPTION WHEN invalid_parameter_value OR no_data_found OR undefined_function
                   OR null_value_not_allowed THEN
        predicted_rating := NULL;
        expected_votes := NULL;
    END;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION api.title_estimate IS
    'What the popularity models expect of a real title from its characteristics, and whether '
    'it was among their training films (a training film''s estimate flatters the model). NULL '
    'estimates without a model or for a type it does not learn. Error: unknown id '
    '(no_data_found).';

-- person_details('nm0000206'): a person's facts.
CREATE OR REPLACE FUNCTION api.person_details(id text)
RETURNS TABLE (nconst text, primary_name text, birth_year smallint, death_year smallint,
               professions text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    RETURN QUERY
    SELECT p.nconst, p.primary_name, p.birth_year, p.death_year,
           (SELECT string_agg(f.name, ', ' ORDER BY pp.position)
            FROM catalog.person_profession pp JOIN catalog.profession f USING (profession_id)
            WHERE pp.person_id = p.person_id)
    FROM catalog.person p
    WHERE p.nconst = person_details.id AND NOT p.is_placeholder;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown person %', person_details.id USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
COMMENT ON FUNCTION api.person_details IS
    'A person''s facts: name, birth and death years, professions. Error: unknown id '
    '(no_data_found). Example: SELECT * FROM api.person_details(''nm0000206'').';

-- filmography('nm0000206'): every title the person is credited on (episodes excepted), by role
-- (director, writer, then the principal categories), most recent first.
CREATE OR REPLACE FUNCTION api.filmography(nconst text)
RETURNS TABLE (role text, tconst text, primary_title text, title_type text, start_year smallint,
               average_rating numeric, num_votes integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH p AS (SELECT person_id FROM catalog.person WHERE nconst = filmography.nconst),
    credit AS (
        SELECT DISTINCT x.role, x.title_id FROM (
            SELECT 'director' AS role, d.title_id FROM catalog.title_director d JOIN p USING (person_id)
            UNION ALL
            SELECT 'writer', w.title_id FROM catalog.title_writer w JOIN p USING (person_id)
            UNION ALL
            SELECT CASE c.name WHEN 'actress' THEN 'actor' ELSE c.name END, pr.title_id
            FROM catalog.principal pr JOIN p USING (person_id)
            JOIN catalog.category c USING (category_id)
            WHERE c.name NOT IN ('director', 'writer')) x
    )
    SELECT x.role, t.tconst, t.primary_title, tt.name, t.start_year, r.average_rating,
           r.num_votes
    FROM credit x JOIN catalog.title t USING (title_id)
    JOIN catalog.title_type tt USING (title_type_id)
    LEFT JOIN catalog.rating r USING (title_id)
    WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode'
    ORDER BY CASE x.role WHEN 'director' THEN 0 WHEN 'writer' THEN 1 WHEN 'actor' THEN 2
                         ELSE 3 END, x.role, t.start_year DESC NULLS LAST, r.num_votes DESC NULLS LAST
$$;
COMMENT ON FUNCTION api.filmography IS
    'Every title a person is credited on (episodes excepted) by role (director, writer, then '
    'the principal categories), most recent first, with rating and votes.';

-- person_track_record('nm0000206'): the person's track record per role as the active rating
-- model sees it (ml.track_record, as api.track_records lists them).
CREATE OR REPLACE FUNCTION api.person_track_record(nconst text)
RETURNS TABLE (role text, films integer, mean_rating double precision,
               rating_effect double precision, audience_effect double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.role, r.n, r.mean_rating, r.rating_effect, r.audience_effect
    FROM ml.track_record r
    WHERE r.person_id = (  -- one id, so that the (version, role, person_id) key is searched,
                           -- not the whole version (a join was planned as a hash of it)
        SELECT p.person_id FROM catalog.person p WHERE p.nconst = person_track_record.nconst)
    ORDER BY r.n DESC
$$;
COMMENT ON FUNCTION api.person_track_record IS
    'A person''s track record per role as the active rating model sees it: titles it rests '
    'on, mean rating, effect on the rating and on the audience.';

-- also_liked('tt0133093', 5): "clients who liked it also liked", straight from the service's
-- client rating log: the films most often liked (rated 4 or more of 5) by the clients who liked
-- this one, with how many of them did. Empty without a log. Reads at most 5,000 of the film's
-- likers (the most recent), so that a blockbuster of a large log stays a short query.
DROP FUNCTION IF EXISTS api.also_liked(text, integer) CASCADE;
CREATE OR REPLACE FUNCTION api.also_liked(tconst text, k integer DEFAULT 5)
RETURNS TABLE (also_tconst text, primary_title text, start_year smallint, clients integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH film AS (SELECT title_id FROM catalog.title WHERE tconst = also_liked.tconst),
    likers AS (
        SELECT r.client_id FROM clientlog.rating r JOIN film USING (title_id)
        WHERE r.rating >= 4 ORDER BY r.rated_at DESC NULLS LAST LIMIT 5000),
    counts AS (
        SELECT r.title_id, count(*)::integer AS n
        FROM clientlog.rating r JOIN likers USING (client_id)
        WHERE r.rating >= 4 AND r.title_id <> (SELECT title_id FROM film)
        GROUP BY r.title_id)
    SELECT t.tconst, t.primary_title, t.start_year, c.n
    FROM counts c JOIN catalog.title t USING (title_id)
    LEFT JOIN catalog.rating x USING (title_id)
    WHERE NOT t.is_placeholder
    ORDER BY c.n DESC, x.num_votes DESC NULLS LAST, t.tconst
    LIMIT least(greatest(also_liked.k, 0), 50)
$$;
COMMENT ON FUNCTION api.also_liked IS
    'Clients who liked this film (4 or more of 5 in the rating log) also liked: the films '
    'most of them liked, with how many did (k at most 50). Empty without a log.';

-- best_known('nm0000229', 3): the person's best-known titles among those that carry a stored
-- neighbour list (every point up to about 775 k points, ml/neighbours.py; beyond, a seed without one
-- would send a recommendation to the exact scan, about 300 ms at full size), most-voted first: their
-- known-for titles (name.basics' knownForTitles, four at most, read by key) or, when none of those
-- has a list, their most-voted credited titles. The known-for titles first because reading every
-- credit costs: 20,672 principal rows for the most prolific director of 20 M IMDb-shaped rows
-- (146 ms of the person page, measured on 2026-12-02).
DROP FUNCTION IF EXISTS api.best_known(text, integer) CASCADE;
CREATE OR REPLACE FUNCTION api.best_known(nconst text, k integer DEFAULT 3)
RETURNS TABLE (tconst text, primary_title text, num_votes integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    pid integer;
BEGIN
    SELECT p.person_id INTO pid FROM catalog.person p WHERE p.nconst = best_known.nconst;
    RETURN QUERY
    SELECT t.tconst, t.primary_title, e.num_votes
    FROM catalog.known_for f
    JOIN ml.title_embedding e ON e.title_id = f.title_id
    JOIN ml.title_embedding pt ON pt.title_id = e.point_id AND pt.neighbours IS NOT NULL
    JOIN catalog.title t ON t.title_id = e.title_id
    WHERE f.person_id = pid
    ORDER BY e.num_votes DESC, t.tconst LIMIT k;
    IF FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT t.tconst, t.primary_title, e.num_votes
    FROM ml.title_embedding e
    JOIN ml.title_embedding pt ON pt.title_id = e.point_id AND pt.neighbours IS NOT NULL
    JOIN catalog.title t ON t.title_id = e.title_id
    WHERE e.title_id IN (SELECT d.title_id FROM catalog.title_director d WHERE d.person_id = pid
                         UNION SELECT w.title_id FROM catalog.title_writer w
                               WHERE w.person_id = pid
                         UNION SELECT c.title_id FROM catalog.principal c
                               WHERE c.person_id = pid)
    ORDER BY e.num_votes DESC, t.tconst LIMIT k;
END
$$;
COMMENT ON FUNCTION api.best_known IS
    'A person''s best-known titles among those the recommender holds: their known-for titles, '
    'else their most-voted credits (k, default 3).';

-- films_like_work('nm0000229', 5): films like a person's work: recommend_for on their best-known
-- titles (best_known, three at most). Empty when none of their titles has a list.
DROP FUNCTION IF EXISTS api.films_like_work(text, integer) CASCADE;
CREATE OR REPLACE FUNCTION api.films_like_work(nconst text, k integer DEFAULT 5)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    seeds text[];
BEGIN
    SELECT array_agg(b.tconst ORDER BY b.num_votes DESC, b.tconst) INTO seeds
    FROM api.best_known(films_like_work.nconst, 3) b;
    IF seeds IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM api.recommend_for(seeds, k);
END
$$;
COMMENT ON FUNCTION api.films_like_work IS
    'Films like a person''s work: recommend_for on their best-known titles. Empty when none '
    'of their titles is in the recommender.';

-- local_titles('{tt0068646}', 'FR'): each film's title in a region (IMDb's akas: Le Parrain),
-- for pages shown in that region's language; films without one are left out (show the primary
-- title). The title IMDb displays there first, then one in the region's own language.
CREATE OR REPLACE FUNCTION api.local_titles(tconsts text[], region text DEFAULT 'FR')
RETURNS TABLE (tconst text, title text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT DISTINCT ON (t.tconst) t.tconst, a.title
    FROM catalog.title t JOIN catalog.aka a USING (title_id)
    WHERE t.tconst = ANY (local_titles.tconsts) AND a.region = local_titles.region
      AND NOT coalesce(a.types && '{working,festival,alternative}', false)
    ORDER BY t.tconst, coalesce(a.types @> '{imdbDisplay}', false) DESC,
             a.language = lower(local_titles.region) DESC NULLS LAST, a.ordering
$$;
COMMENT ON FUNCTION api.local_titles IS
    'Each film''s title in a region (IMDb''s akas: ''FR'' gives Le Parrain for tt0068646), '
    'the one IMDb displays there first; films without one are left out. For pages shown in '
    'that region''s language. Example: SELECT * FROM api.local_titles(''{tt0068646}'', '
    '''FR'').';

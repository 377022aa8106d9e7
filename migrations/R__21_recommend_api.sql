-- The recommender's public API: search_titles, recommend, recommend_for.
-- Ranking (docs/recommender.md): score = cosine(seed, candidate) + candidate prior, among the
-- nearest neighbours found by the HNSW index (pgvector iterative scan, so filters still return k).

-- Search support: one row per searchable title with its normalised names (primary, original and
-- alternative titles), trigram-indexed.
DROP MATERIALIZED VIEW IF EXISTS analytics.title_search CASCADE;
CREATE MATERIALIZED VIEW analytics.title_search AS
SELECT t.title_id, t.tconst, t.primary_title, t.original_title, tt.name AS title_type,
       t.start_year, coalesce(r.num_votes, 0) AS num_votes, r.average_rating,
       ml.unaccent_lower(concat_ws(' | ', t.primary_title,
           nullif(t.original_title, t.primary_title),
           (SELECT string_agg(DISTINCT a.title, ' | ') FROM catalog.aka a
            WHERE a.title_id = t.title_id AND a.title <> t.primary_title))) AS search_text
FROM catalog.title t
JOIN catalog.title_type tt USING (title_type_id)
LEFT JOIN catalog.rating r USING (title_id)
WHERE NOT t.is_placeholder AND tt.name <> 'tvEpisode';
CREATE UNIQUE INDEX title_search_pk ON analytics.title_search (title_id);
CREATE INDEX title_search_trgm ON analytics.title_search USING gin (search_text gin_trgm_ops);

-- The checked, normalised text of a search (NULL: too short to search), shared by
-- search_titles and search_people: k between 1 and 100, accents and case ignored.
CREATE OR REPLACE FUNCTION ml.search_query(caller text, query text, k integer)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public AS $$
DECLARE
    q text := ml.unaccent_lower(btrim(query));
BEGIN
    IF k IS NULL OR k < 1 OR k > 100 THEN
        RAISE EXCEPTION '%: k must be between 1 and 100, got %', caller, k
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN CASE WHEN length(q) >= 2 THEN q END;
END
$$;

-- search_titles('matrx'): titles as a person types them: accents and case ignored, typos
-- tolerated (trigram word similarity), primary, original and alternative titles; best match
-- first, the most voted first among equal matches. An empty query returns nothing.
CREATE OR REPLACE FUNCTION api.search_titles(query text, k integer DEFAULT 10)
RETURNS TABLE (tconst text, primary_title text, original_title text, title_type text,
               start_year integer, average_rating numeric, num_votes integer, similarity real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    q text := ml.search_query('search_titles', query, k);
BEGIN
    IF q IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('pg_trgm.word_similarity_threshold', '0.5', true);
    RETURN QUERY
    SELECT s.tconst, s.primary_title, s.original_title, s.title_type, s.start_year::integer,
           s.average_rating, s.num_votes, word_similarity(q, s.search_text) AS sim
    FROM analytics.title_search s
    WHERE q <% s.search_text OR s.search_text LIKE q || '%'
    ORDER BY (s.search_text LIKE q || '%') DESC,
             round(word_similarity(q, s.search_text)::numeric, 1) DESC,
             s.num_votes DESC, s.title_id
    LIMIT k;
END
$$;

-- One recommended film (a type, so that recommend(tconst ...) may name its argument like its
-- output column).
DROP TYPE IF EXISTS api.recommendation CASCADE;
CREATE TYPE api.recommendation AS (
    tconst text, primary_title text, start_year integer, genres text[],
    average_rating numeric, num_votes integer, score double precision, reason text
);

-- Why a candidate resembles the seed(s): shared named directors, writers, cast, then genres.
CREATE OR REPLACE FUNCTION ml.recommend_reason(seed_ids integer[], candidate integer)
RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
    SELECT coalesce(nullif(concat_ws('; ',
        (SELECT 'same director: ' || string_agg(DISTINCT p.primary_name, ', ')
         FROM catalog.title_director a JOIN catalog.title_director b USING (person_id)
         JOIN catalog.person p USING (person_id)
         WHERE a.title_id = ANY (seed_ids) AND b.title_id = candidate AND NOT p.is_placeholder),
        (SELECT 'same writer: ' || string_agg(DISTINCT p.primary_name, ', ')
         FROM catalog.title_writer a JOIN catalog.title_writer b USING (person_id)
         JOIN catalog.person p USING (person_id)
         WHERE a.title_id = ANY (seed_ids) AND b.title_id = candidate AND NOT p.is_placeholder),
        (SELECT 'also with: ' || string_agg(DISTINCT p.primary_name, ', ')
         FROM catalog.principal a JOIN catalog.principal b USING (person_id)
         JOIN catalog.person p USING (person_id)
         WHERE a.title_id = ANY (seed_ids) AND b.title_id = candidate AND NOT p.is_placeholder
           AND a.category_id = b.category_id AND a.ordering <= 5 AND b.ordering <= 5),
        (SELECT 'genres: ' || string_agg(g.name, ', ' ORDER BY g.name)
         FROM catalog.title_genre b JOIN catalog.genre g USING (genre_id)
         WHERE b.title_id = candidate AND EXISTS (
             SELECT 1 FROM catalog.title_genre a
             WHERE a.title_id = ANY (seed_ids) AND a.genre_id = b.genre_id))
    ), ''), 'similar profile (era, audience, popularity)')
$$;

-- The shared engine of recommend() and recommend_for(): nearest neighbours of a query vector.
CREATE OR REPLACE FUNCTION ml.recommend_from_vector(
    query vector, exclude integer[], k integer, title_types text[], year_from integer,
    year_to integer, genre text, min_votes integer)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public AS $$
DECLARE
    exclude_series integer[];
BEGIN
    IF k IS NULL OR k < 1 OR k > 100 THEN
        RAISE EXCEPTION 'recommend: k must be between 1 and 100, got %', k
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF genre IS NOT NULL AND NOT EXISTS (SELECT 1 FROM catalog.genre g WHERE g.name = genre) THEN
        RAISE EXCEPTION 'recommend: unknown genre %', genre USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- never the seeds' own series or episodes of it
    SELECT array_agg(DISTINCT x) INTO exclude_series FROM (
        SELECT e.series_title_id FROM catalog.episode e WHERE e.title_id = ANY (exclude)
        UNION SELECT unnest(exclude)) s(x);
    PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true);
    PERFORM set_config('hnsw.ef_search', '200', true);
    RETURN QUERY
    WITH nearest AS (
        SELECT e.title_id, 1 - (e.embedding <=> query) AS cosine, e.prior
        FROM ml.title_embedding e
        WHERE e.title_id <> ALL (exclude)
          AND (e.series_title_id IS NULL OR e.series_title_id <> ALL (exclude_series))
          AND (title_types IS NULL OR e.title_type = ANY (title_types))
          AND (year_from IS NULL OR e.start_year >= year_from)
          AND (year_to IS NULL OR e.start_year <= year_to)
          AND (genre IS NULL OR genre = ANY (e.genres))
          AND (min_votes IS NULL OR e.num_votes >= min_votes)
        ORDER BY e.embedding <=> query
        LIMIT greatest(10 * k, 50)
    ), ranked AS (
        SELECT n.title_id, n.cosine + n.prior AS score FROM nearest n
        ORDER BY score DESC, n.title_id LIMIT k
    )
    SELECT t.tconst, t.primary_title, t.start_year::integer,
           coalesce((SELECT array_agg(g.name ORDER BY tg.position)
                     FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
                     WHERE tg.title_id = t.title_id), '{}'),
           r.average_rating, r.num_votes, rk.score::double precision,
           ml.recommend_reason(exclude, t.title_id)
    FROM ranked rk
    JOIN catalog.title t ON t.title_id = rk.title_id
    LEFT JOIN catalog.rating r ON r.title_id = rk.title_id
    ORDER BY rk.score DESC, rk.title_id;
END
$$;

-- recommend('tt0133093', 5): k films for a client who liked this one.
-- Errors: unknown tconst (no_data_found), k outside 1..100, unknown genre.
-- A known title without a vector (an episode, a title with < 10 votes) returns no row.
CREATE OR REPLACE FUNCTION api.recommend(
    tconst text, k integer DEFAULT 5, title_types text[] DEFAULT NULL,
    year_from integer DEFAULT NULL, year_to integer DEFAULT NULL, genre text DEFAULT NULL,
    min_votes integer DEFAULT NULL)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    seed integer;
    seed_vector vector;
BEGIN
    SELECT t.title_id INTO seed FROM catalog.title t WHERE t.tconst = recommend.tconst;
    IF seed IS NULL THEN
        RAISE EXCEPTION 'recommend: unknown title %', recommend.tconst
            USING ERRCODE = 'no_data_found', HINT = 'search it with search_titles(''name'')';
    END IF;
    SELECT e.embedding INTO seed_vector FROM ml.title_embedding e WHERE e.title_id = seed;
    IF seed_vector IS NULL THEN
        RAISE NOTICE 'recommend: % has no embedding (episode, or fewer than 10 votes)',
            recommend.tconst;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM ml.recommend_from_vector(
        seed_vector, ARRAY[seed], k, title_types, year_from, year_to, genre, min_votes);
END
$$;

-- recommend_for('{tt0133093,tt0111161}', 5): for a client who liked several films — the mean of
-- their vectors. Unknown ids are an error; known ids without a vector are ignored.
CREATE OR REPLACE FUNCTION api.recommend_for(
    tconsts text[], k integer DEFAULT 5, title_types text[] DEFAULT NULL,
    year_from integer DEFAULT NULL, year_to integer DEFAULT NULL, genre text DEFAULT NULL,
    min_votes integer DEFAULT NULL)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    seeds integer[];
    unknown text[];
    centre vector;
BEGIN
    SELECT array_agg(t.title_id) INTO seeds FROM catalog.title t WHERE t.tconst = ANY (tconsts);
    SELECT array_agg(x) INTO unknown FROM unnest(tconsts) x
    WHERE NOT EXISTS (SELECT 1 FROM catalog.title t WHERE t.tconst = x);
    IF unknown IS NOT NULL OR seeds IS NULL THEN
        RAISE EXCEPTION 'recommend_for: unknown title(s) %', coalesce(unknown, tconsts)
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT avg(e.embedding) INTO centre FROM ml.title_embedding e WHERE e.title_id = ANY (seeds);
    IF centre IS NULL THEN
        RAISE NOTICE 'recommend_for: none of these titles has an embedding';
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM ml.recommend_from_vector(
        centre, seeds, k, title_types, year_from, year_to, genre, min_votes);
END
$$;

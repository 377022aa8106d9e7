-- The recommender's public API: search_titles, recommend, recommend_for, recommend_for_client.
--
-- Functions that read tables are VOLATILE on purpose: a STABLE function runs its queries on its
-- caller's snapshot, taken before a lock wait. A call that waited for a re-import's swap then read
-- the new catalogue with the old snapshot: no rows ("unknown title" for The Godfather, measured by
-- make bench-load). A VOLATILE function takes a fresh snapshot per query, after its locks.
-- Ranking (docs/recommender.md): score = cosine(seed, candidate) + candidate prior, among the
-- nearest points of the stored exact neighbour lists (ml.recommend_from_vector).

-- The key a title is matched exactly on: unaccented, lower case, punctuation folded to spaces,
-- without a leading article ("The Godfather" and "godfather" share the key "godfather").
CREATE OR REPLACE FUNCTION ml.title_key(title text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT regexp_replace(
        btrim(regexp_replace(ml.unaccent_lower(title), '[^[:alnum:]]+', ' ', 'g')),
        '^(the|a|an|le|la|les|l|el|los|las|il|lo|gli|der|die|das|den|de|het|o|os|as) ', '')
$$;

-- How well a search matches a name, with the name's audience: the shared ranking of
-- search_titles and search_people. Match quality (trigram word similarity, 0..1), plus 0.2 for an
-- exact match (the typed key is one of the keys), plus 0.1 per factor of ten of votes — so
-- among equally good matches the famous one comes first, and a typo of a famous title still beats
-- an exact obscure one only when the typo is small.
CREATE OR REPLACE FUNCTION ml.search_score(query text, search_text text, typed_key text,
                                           keys text[], votes bigint)
RETURNS real LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (word_similarity(query, search_text)
            + CASE WHEN typed_key = ANY (keys) THEN 0.2 ELSE 0 END
            + 0.1 * log(1 + greatest(votes, 0)))::real
$$;

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
-- tolerated (trigram word similarity), primary, original and alternative titles; ranked by match
-- quality and popularity together (ml.search_score): `godfather` gives The Godfather (1972) before
-- Godfather of Harlem. Titles with 1,000 votes or more and exact title matches are ranked first;
-- the rest of the catalogue fills the list when they are fewer than k. An empty query returns
-- nothing.
CREATE OR REPLACE FUNCTION api.search_titles(query text, k integer DEFAULT 10)
RETURNS TABLE (tconst text, primary_title text, original_title text, title_type text,
               start_year integer, average_rating numeric, num_votes integer, similarity real)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    q text := ml.search_query('search_titles', query, k);
    typed_key text := ml.title_key(query);
    found integer;
BEGIN
    IF q IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('pg_trgm.word_similarity_threshold', '0.5', true);
    RETURN QUERY
    SELECT s.tconst, s.primary_title, s.original_title, s.title_type, s.start_year::integer,
           s.average_rating, s.num_votes, word_similarity(q, s.search_text) AS sim
    FROM analytics.title_search s
    WHERE (s.num_votes >= 1000 AND q <% s.search_text) OR s.title_keys @> ARRAY[typed_key]
    ORDER BY ml.search_score(q, s.search_text, typed_key, s.title_keys, s.num_votes) DESC,
             s.num_votes DESC, s.title_id
    LIMIT k;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < k THEN
        RETURN QUERY
        SELECT s.tconst, s.primary_title, s.original_title, s.title_type, s.start_year::integer,
               s.average_rating, s.num_votes, word_similarity(q, s.search_text) AS sim
        FROM analytics.title_search s
        WHERE s.num_votes < 1000 AND q <% s.search_text
          AND NOT s.title_keys @> ARRAY[typed_key]
        ORDER BY ml.search_score(q, s.search_text, typed_key, s.title_keys, s.num_votes) DESC,
                 s.num_votes DESC, s.title_id
        LIMIT k - found;
    END IF;
END
$$;

-- One recommended film (a type, so that recommend(tconst ...) may name its argument like its
-- output column).
DROP TYPE IF EXISTS api.recommendation CASCADE;
CREATE TYPE api.recommendation AS (
    tconst text, primary_title text, start_year integer, genres text[],
    average_rating numeric, num_votes integer, score double precision, reason text
);

-- Why a candidate resembles the seed(s): the clients' co-likes when they weigh most, then shared
-- named directors, writers, cast, then genres.
DROP FUNCTION IF EXISTS ml.recommend_reason(integer[], integer);
CREATE OR REPLACE FUNCTION ml.recommend_reason(seed_ids integer[], candidate integer,
                                               co_liked boolean DEFAULT false)
RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog, public AS $$
    SELECT coalesce(nullif(concat_ws('; ',
        CASE WHEN co_liked THEN 'clients who liked it also liked this' END,
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

-- The filters of recommend(), on the columns of one ml.title_embedding row (inlined by the
-- planner; columns rather than the row type, which each retrain drops with its table).
CREATE OR REPLACE FUNCTION ml.passes_filters(
    title_id integer, series_title_id integer, title_type text, start_year smallint,
    genres text[], num_votes integer, exclude integer[], exclude_series integer[],
    title_types text[], year_from integer, year_to integer, genre text, min_votes integer)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT title_id <> ALL (exclude)
       AND (series_title_id IS NULL OR series_title_id <> ALL (exclude_series))
       AND (title_types IS NULL OR title_type = ANY (title_types))
       AND (year_from IS NULL OR start_year >= year_from)
       AND (year_to IS NULL OR start_year <= year_to)
       AND (genre IS NULL OR genre = ANY (genres))
       AND (min_votes IS NULL OR num_votes >= min_votes)
$$;

-- The shared engine of every recommend*(): the nearest films to a query vector, ranked.
--
-- Ranking: take the n_points nearest distinct vectors (points) that have at least one title passing
-- the filters, by cosine distance to the query (ties by point_id); expand each to all its titles
-- that pass; rank those by cosine + prior (ties by title_id); keep k.
-- Where the points come from: `candidates`, the exact nearest-point lists stored at training
-- (the seed's own list, or the union of several seeds' lists), when enough of them pass the
-- filters; otherwise an exact scan of every point. For one seed both give the same answer by
-- construction (its list holds its nearest points in order); `SET netfloox.exact_scan = on` forces
-- the scan, which the tests and `make bench-recommend` compare against.
DROP FUNCTION IF EXISTS ml.recommend_from_vector(vector, integer[], integer, text[], integer,
                                                  integer, text, integer);
DROP FUNCTION IF EXISTS ml.recommend_from_vector(vector, integer[], integer, text[], integer,
                                                  integer, text, integer, integer[]);
CREATE OR REPLACE FUNCTION ml.recommend_from_vector(
    query vector, candidates integer[], exclude integer[], k integer, title_types text[],
    year_from integer, year_to integer, genre text, min_votes integer,
    reason_seeds integer[] DEFAULT NULL)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
DECLARE
    exclude_series integer[];
    n_points integer := greatest(10 * k, 50);
    points integer[];
    content_dims constant integer := 64;
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
    IF candidates IS NOT NULL AND current_setting('netfloox.exact_scan', true) IS DISTINCT FROM 'on'
    THEN
        SELECT array_agg(c.point_id ORDER BY c.distance, c.point_id) INTO points FROM (
            SELECT p.point_id, p.embedding <=> query AS distance
            FROM ml.title_embedding p
            WHERE p.title_id = ANY (candidates) AND p.title_id = p.point_id
              AND EXISTS (
                  SELECT 1 FROM ml.title_embedding e
                  WHERE e.point_id = p.point_id
                    AND ml.passes_filters(e.title_id, e.series_title_id, e.title_type,
                                          e.start_year, e.genres, e.num_votes, exclude,
                                          exclude_series, title_types, year_from, year_to, genre,
                                          min_votes))
            ORDER BY distance, p.point_id LIMIT n_points) c;
    END IF;
    IF coalesce(cardinality(points), 0) < n_points THEN  -- not enough candidates: exact scan
        -- every title that passes holds its point's vector: one pass over them, grouped by point.
        -- EXECUTE plans with the actual values: a vote floor (the Recommend page asks >= 1000)
        -- then reads only the titles above it through title_embedding_votes, and with a type
        -- too only those of that type (title_embedding_type_votes), not the whole table.
        EXECUTE $scan$
            SELECT array_agg(c.point_id ORDER BY c.distance, c.point_id) FROM (
                SELECT e.point_id, min(e.embedding <=> $1) AS distance
                FROM ml.title_embedding e
                WHERE e.num_votes >= $2
                  AND ml.passes_filters(e.title_id, e.series_title_id, e.title_type, e.start_year,
                                        e.genres, e.num_votes, $4, $5, $6, $7, $8, $9, $10)
                GROUP BY e.point_id
                ORDER BY distance, e.point_id LIMIT $3) c $scan$
        INTO points
        USING query, coalesce(min_votes, 0), n_points, exclude, exclude_series, title_types,
              year_from, year_to, genre, min_votes;
    END IF;
    RETURN QUERY
    WITH ranked AS (
        SELECT e.title_id, 1 - (e.embedding <=> query) + e.prior AS score,
               -- the collaborative block's part of the cosine, against the content block's
               e.collaborative > 0 AND (
                   subvector(e.embedding, content_dims + 1, content_dims)
                   <#> subvector(query, content_dims + 1, content_dims))
                 < (subvector(e.embedding, 1, content_dims)
                   <#> subvector(query, 1, content_dims)) AS co_liked
        FROM ml.title_embedding e
        WHERE e.point_id = ANY (points)
          AND ml.passes_filters(e.title_id, e.series_title_id, e.title_type, e.start_year,
                                e.genres, e.num_votes, exclude, exclude_series, title_types,
                                year_from, year_to, genre, min_votes)
        ORDER BY score DESC, e.title_id LIMIT k
    )
    SELECT t.tconst, t.primary_title, t.start_year::integer,
           coalesce((SELECT array_agg(g.name ORDER BY tg.position)
                     FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
                     WHERE tg.title_id = t.title_id), '{}'),
           r.average_rating, r.num_votes, rk.score::double precision,
           ml.recommend_reason(coalesce(reason_seeds, exclude), t.title_id, rk.co_liked)
    FROM ranked rk
    JOIN catalog.title t ON t.title_id = rk.title_id
    LEFT JOIN catalog.rating r ON r.title_id = rk.title_id
    ORDER BY rk.score DESC, rk.title_id;
END
$$;

-- The candidate points of a query from several films: the union of their nearest-point lists;
-- NULL (an exact scan) when one of them has no list: at full size only the most-voted points
-- carry one (ml/neighbours.py), and the union without that film's neighbourhood would miss it.
CREATE OR REPLACE FUNCTION ml.neighbour_points(title_ids integer[]) RETURNS integer[]
LANGUAGE sql VOLATILE SET search_path = pg_catalog, public AS $$
    WITH lists AS (
        SELECT p.neighbours
        FROM ml.title_embedding e
        JOIN ml.title_embedding p ON p.title_id = e.point_id
        WHERE e.title_id = ANY (title_ids))
    SELECT CASE WHEN bool_and(neighbours IS NOT NULL) THEN
               (SELECT array_agg(DISTINCT n) FROM lists, unnest(lists.neighbours) n) END
    FROM lists
$$;

-- recommend('tt0133093', 5): k films for a client who liked this one.
-- Errors: unknown tconst (no_data_found), k outside 1..100, unknown genre.
-- A known title without a vector (an episode, a title with < 10 votes) returns no row.
CREATE OR REPLACE FUNCTION api.recommend(
    tconst text, k integer DEFAULT 5, title_types text[] DEFAULT NULL,
    year_from integer DEFAULT NULL, year_to integer DEFAULT NULL, genre text DEFAULT NULL,
    min_votes integer DEFAULT NULL)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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
        seed_vector, ml.neighbour_points(ARRAY[seed]), ARRAY[seed], k, title_types, year_from,
        year_to, genre, min_votes);
END
$$;

-- recommend_for('{tt0133093,tt0111161}', 5): for a client who liked several films — the mean of
-- their vectors. Unknown ids are an error; known ids without a vector are ignored.
CREATE OR REPLACE FUNCTION api.recommend_for(
    tconsts text[], k integer DEFAULT 5, title_types text[] DEFAULT NULL,
    year_from integer DEFAULT NULL, year_to integer DEFAULT NULL, genre text DEFAULT NULL,
    min_votes integer DEFAULT NULL)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
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
        centre, ml.neighbour_points(seeds), seeds, k, title_types, year_from, year_to, genre,
        min_votes);
END
$$;


-- recommend_for_client(42, 5): for a client of the service's rating log, films they have not
-- rated, near the mean vector of the films they rated at or above their own average.
-- Errors: unknown client (no_data_found), k outside 1..100.
CREATE OR REPLACE FUNCTION api.recommend_for_client(client_id integer, k integer DEFAULT 5)
RETURNS SETOF api.recommendation
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    rated integer[];
    liked integer[];
    centre vector;
BEGIN
    SELECT array_agg(r.title_id),
           array_agg(r.title_id) FILTER (WHERE r.rating >= (
               SELECT avg(x.rating) FROM clientlog.rating x
               WHERE x.client_id = recommend_for_client.client_id))
      INTO rated, liked
    FROM clientlog.rating r WHERE r.client_id = recommend_for_client.client_id;
    IF rated IS NULL THEN
        RAISE EXCEPTION 'recommend_for_client: unknown client %', recommend_for_client.client_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'clients are those of the rating log (netfloox import ratings)';
    END IF;
    SELECT avg(e.embedding) INTO centre FROM ml.title_embedding e WHERE e.title_id = ANY (liked);
    IF centre IS NULL THEN
        RAISE NOTICE 'recommend_for_client: none of the films client % liked has an embedding',
            recommend_for_client.client_id;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM ml.recommend_from_vector(
        centre, ml.neighbour_points(liked), rated, k, NULL, NULL, NULL, NULL, NULL, liked);
END
$$;

-- clients(): the clients of the rating log, for pickers (how many films each rated). A function,
-- not a view: each log import swaps clientlog.rating, which a view would pin.
CREATE OR REPLACE FUNCTION api.clients()
RETURNS TABLE (client_id integer, ratings bigint, mean_rating numeric)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.client_id, count(*), round(avg(r.rating)::numeric, 2)
    FROM clientlog.rating r GROUP BY r.client_id ORDER BY r.client_id
$$;

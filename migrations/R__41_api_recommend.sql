-- The recommender's public API: recommend, recommend_for, recommend_for_client, clients (the
-- scoring is ml.recommend_from_vector, R__31; the row type api.recommendation is declared there,
-- since the scorer returns it).
--
-- Functions that read tables are VOLATILE on purpose: a STABLE function runs its queries on its
-- caller's snapshot, taken before a lock wait. A call that waited for a re-import's swap then read
-- the new catalogue with the old snapshot: no rows ("unknown title" for The Godfather, measured by
-- make bench-load). A VOLATILE function takes a fresh snapshot per query, after its locks.

-- The row type is declared in R__31 (its scorer returns it); documented here, with the API.
COMMENT ON TYPE api.recommendation IS
    'One recommended film: tconst, primary_title, start_year, genres, average_rating, '
    'num_votes, score (higher is closer), reason (why it resembles the liked films).';

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
COMMENT ON FUNCTION api.recommend IS
    'k films (default 5, 1..100) for a client who liked the film tconst, with a score and the '
    'reason (shared people, genres, clients'' likes). Filters: title_types, year_from, '
    'year_to, genre, min_votes. Errors: unknown tconst (no_data_found), k out of range or '
    'unknown genre (invalid_parameter_value). A known title without a vector (an episode, '
    'fewer than 10 votes) returns no row. Example: SELECT * FROM api.recommend(''tt0133093'', '
    '5).';

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
COMMENT ON FUNCTION api.recommend_for IS
    'k films for a client who liked several films: near the mean of their vectors, none of '
    'them returned. Same filters and errors as recommend; an unknown id is an error, a known '
    'id without a vector is ignored. Example: SELECT * FROM '
    'api.recommend_for(''{tt0133093,tt0111161}'', 5).';

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
COMMENT ON FUNCTION api.recommend_for_client IS
    'k films a client of the service''s rating log has not rated, near what they rated at or '
    'above their own average. Error: unknown client (no_data_found). Example: SELECT * FROM '
    'api.recommend_for_client(42, 5).';

-- clients(): the clients of the rating log, for pickers (how many films each rated). A function,
-- not a view: each log import swaps clientlog.rating, which a view would pin.
CREATE OR REPLACE FUNCTION api.clients()
RETURNS TABLE (client_id integer, ratings bigint, mean_rating numeric)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.client_id, count(*), round(avg(r.rating)::numeric, 2)
    FROM clientlog.rating r GROUP BY r.client_id ORDER BY r.client_id
$$;
COMMENT ON FUNCTION api.clients IS
    'Every client of the rating log with their number of ratings and mean rating, by id. '
    'Reads the whole log: for a report, not for a picker (api.search_clients).';

-- search_clients('12', 10): clients of the rating log whose id begins with the typed digits, the
-- shortest ids first (12, then 120-129, then 1200-1299...), with how many films each rated. Each
-- range is read in the log's key order and stops at k clients, so a log of 300,000 clients costs
-- what a log of 300 does (api.clients() aggregates the whole log).
CREATE OR REPLACE FUNCTION api.search_clients(query text, k integer DEFAULT 10)
RETURNS TABLE (client_id integer, ratings bigint, mean_rating numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    typed text := btrim(query);
    width bigint := 1;
    found integer := 0;
    n integer;
BEGIN
    IF k IS NULL OR k < 1 OR k > 100 THEN
        RAISE EXCEPTION 'search_clients: k must be between 1 and 100, got %', k
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF typed IS NULL OR typed = '' THEN
        RETURN;
    END IF;
    IF typed !~ '^[0-9]{1,10}$' OR typed::bigint > 2147483647 THEN
        RAISE EXCEPTION 'search_clients: a client id is a whole number, got %', query
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE found < k AND typed::bigint * width <= 2147483647 LOOP
        RETURN QUERY
        SELECT r.client_id, count(*), round(avg(r.rating)::numeric, 2)
        FROM clientlog.rating r
        WHERE r.client_id BETWEEN typed::bigint * width
                              AND least(typed::bigint * width + width - 1, 2147483647)
        GROUP BY r.client_id ORDER BY r.client_id LIMIT k - found;
        GET DIAGNOSTICS n = ROW_COUNT;
        found := found + n;
        EXIT WHEN typed LIKE '0%';  -- no other id begins with 0
        width := width * 10;
    END LOOP;
END
$$;
COMMENT ON FUNCTION api.search_clients IS
    'Clients of the rating log whose id begins with the digits typed, shortest ids first, '
    'with their number of ratings and mean rating; reads a few keys of the log however large. '
    'k: 1..100 (default 10). Text other than digits is an error (invalid_parameter_value). '
    'Example: SELECT * FROM api.search_clients(''12'', 10).';

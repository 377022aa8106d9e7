-- The recommender's scoring (ml): candidates from the stored exact neighbour lists or an exact
-- scan, filters, reasons. Ranking (docs/recommender.md): score = cosine(seed, candidate) +
-- candidate prior, among the nearest points of the stored neighbour lists. The public wrappers
-- are in R__41_api_recommend.sql.
--
-- Functions that read tables are VOLATILE on purpose: a STABLE function runs its queries on its
-- caller's snapshot, taken before a lock wait. A call that waited for a re-import's swap then read
-- the new catalogue with the old snapshot: no rows ("unknown title" for The Godfather, measured by
-- make bench-load). A VOLATILE function takes a fresh snapshot per query, after its locks.

-- One recommended film (a type, so that recommend(tconst ...) may name its argument like its
-- output column).
DROP TYPE IF EXISTS api.recommendation CASCADE;
CREATE TYPE api.recommendation AS (
    tconst text, primary_title text, start_year integer, genres text[],
    average_rating numeric, num_votes integer, score double precision, reason text
);

-- Why a candidate resembles the seed(s) is computed inside ml.recommend_from_vector, once for its
-- k films (the previous per-film function ran four queries for each of them).
DROP FUNCTION IF EXISTS ml.recommend_reason(integer[], integer);
DROP FUNCTION IF EXISTS ml.recommend_reason(integer[], integer, boolean);

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
    reason_ids integer[] := coalesce(reason_seeds, exclude);
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
              -- the point's own title first: its other titles are read only when it fails
              AND (ml.passes_filters(p.title_id, p.series_title_id, p.title_type, p.start_year,
                                     p.genres, p.num_votes, exclude, exclude_series, title_types,
                                     year_from, year_to, genre, min_votes)
                   OR EXISTS (
                  SELECT 1 FROM ml.title_embedding e
                  WHERE e.point_id = p.point_id
                    AND ml.passes_filters(e.title_id, e.series_title_id, e.title_type,
                                          e.start_year, e.genres, e.num_votes, exclude,
                                          exclude_series, title_types, year_from, year_to, genre,
                                          min_votes)))
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
        SELECT e.title_id, e.embedding, e.collaborative,
               1 - (e.embedding <=> query) + e.prior AS score
        FROM ml.title_embedding e
        WHERE e.point_id = ANY (points)
          AND ml.passes_filters(e.title_id, e.series_title_id, e.title_type, e.start_year,
                                e.genres, e.num_votes, exclude, exclude_series, title_types,
                                year_from, year_to, genre, min_votes)
        ORDER BY score DESC, e.title_id LIMIT k
    ),
    -- Why each film resembles the seed(s): the clients' co-likes when they weigh most (the
    -- collaborative block's part of the cosine against the content block's), then the named
    -- directors, writers and top-5 cast (same role) they share, then the genres: the seeds'
    -- and the k films' (a few rows each, read by title) matched between them (MATERIALIZED: not
    -- through the people's index, which lists every credit of a prolific actor).
    seed_crew AS MATERIALIZED (
        SELECT 'director' AS role, a.person_id FROM catalog.title_director a
        WHERE a.title_id = ANY (reason_ids)
        UNION SELECT 'writer', a.person_id FROM catalog.title_writer a
        WHERE a.title_id = ANY (reason_ids)),
    film_crew AS MATERIALIZED (
        SELECT 'director' AS role, rk.title_id, b.person_id FROM ranked rk
        JOIN catalog.title_director b ON b.title_id = rk.title_id
        UNION ALL SELECT 'writer', rk.title_id, b.person_id FROM ranked rk
        JOIN catalog.title_writer b ON b.title_id = rk.title_id),
    seed_cast AS MATERIALIZED (
        SELECT DISTINCT a.person_id, a.category_id FROM catalog.principal a
        WHERE a.title_id = ANY (reason_ids) AND a.ordering <= 5),
    film_cast AS MATERIALIZED (
        SELECT rk.title_id, b.person_id, b.category_id FROM ranked rk
        JOIN catalog.principal b ON b.title_id = rk.title_id AND b.ordering <= 5),
    seed_genre AS MATERIALIZED (
        SELECT DISTINCT a.genre_id FROM catalog.title_genre a
        WHERE a.title_id = ANY (reason_ids)),
    film_genre AS MATERIALIZED (
        SELECT rk.title_id, b.genre_id FROM ranked rk
        JOIN catalog.title_genre b ON b.title_id = rk.title_id),
    shared_crew AS (
        SELECT f.title_id, f.role,
               'same ' || f.role || ': ' || string_agg(DISTINCT p.primary_name, ', ') AS why
        FROM film_crew f JOIN seed_crew s ON s.role = f.role AND s.person_id = f.person_id
        JOIN catalog.person p ON p.person_id = f.person_id AND NOT p.is_placeholder
        GROUP BY f.title_id, f.role),
    shared_cast AS (
        SELECT f.title_id, 'also with: ' || string_agg(DISTINCT p.primary_name, ', ') AS why
        FROM film_cast f
        JOIN seed_cast s ON s.person_id = f.person_id AND s.category_id = f.category_id
        JOIN catalog.person p ON p.person_id = f.person_id AND NOT p.is_placeholder
        GROUP BY f.title_id),
    shared_genre AS (
        SELECT f.title_id, 'genres: ' || string_agg(g.name, ', ' ORDER BY g.name) AS why
        FROM film_genre f JOIN seed_genre s ON s.genre_id = f.genre_id
        JOIN catalog.genre g ON g.genre_id = f.genre_id
        GROUP BY f.title_id)
    SELECT t.tconst, t.primary_title, t.start_year::integer,
           coalesce((SELECT array_agg(g.name ORDER BY tg.position)
                     FROM catalog.title_genre tg JOIN catalog.genre g USING (genre_id)
                     WHERE tg.title_id = t.title_id), '{}'),
           r.average_rating, r.num_votes, rk.score::double precision,
           coalesce(nullif(concat_ws('; ',
               CASE WHEN rk.collaborative > 0
                     AND (subvector(rk.embedding, content_dims + 1, content_dims)
                          <#> subvector(query, content_dims + 1, content_dims))
                       < (subvector(rk.embedding, 1, content_dims)
                          <#> subvector(query, 1, content_dims))
                    THEN 'clients who liked it also liked this' END,
               d.why, w.why, c.why, gr.why), ''), 'similar profile (era, audience, popularity)')
    FROM ranked rk
    JOIN catalog.title t ON t.title_id = rk.title_id
    LEFT JOIN catalog.rating r ON r.title_id = rk.title_id
    LEFT JOIN shared_crew d ON d.title_id = rk.title_id AND d.role = 'director'
    LEFT JOIN shared_crew w ON w.title_id = rk.title_id AND w.role = 'writer'
    LEFT JOIN shared_cast c ON c.title_id = rk.title_id
    LEFT JOIN shared_genre gr ON gr.title_id = rk.title_id
    ORDER BY rk.score DESC, rk.title_id;
END
$$;

-- The candidate points of a query from several films: the union of their nearest-point lists;
-- NULL (an exact scan) when one of them has no list: every point carries one up to LIST_PAIRS
-- (ml/neighbours.py; about 775 k points), beyond it only the most-voted, and the union without
-- that film's neighbourhood would miss it.
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

-- Search as people type (accents, case, typos, no article, surnames): api.search_titles and
-- api.search_people, over analytics.title_search and analytics.person_search, ranked by
-- ml.search_score (R__10_ml_search.sql).

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
COMMENT ON FUNCTION api.search_titles IS
    'Titles as a person types them: accents and case ignored, typos tolerated, primary, '
    'original and alternative titles; best match first, popular titles before obscure ones. '
    'k: how many (default 10). An empty query returns nothing. Example: SELECT * FROM '
    'api.search_titles(''godfathr'', 5).';

-- search_people('nolan', 10): named people as one types (accents, case, typos; full name or
-- surname), ranked by match quality and audience together (ml.search_score): `nolan` gives
-- Christopher Nolan first. With a role ('director', 'writer', 'actor', 'producer'), people
-- credited in that role come first (the pickers of the Predict page).
DROP FUNCTION IF EXISTS api.search_people(text, integer);
CREATE OR REPLACE FUNCTION api.search_people(query text, k integer DEFAULT 10,
                                             role text DEFAULT NULL)
RETURNS TABLE (nconst text, primary_name text, professions text, credits bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    q text := ml.search_query('search_people', query, k);
    typed_key text := ml.title_key(query);
BEGIN
    IF role IS NOT NULL AND role NOT IN ('director', 'writer', 'actor', 'producer') THEN
        RAISE EXCEPTION 'search_people: role must be director, writer, actor or producer, got %',
            role USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF q IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('pg_trgm.word_similarity_threshold', '0.5', true);
    RETURN QUERY
    SELECT s.nconst, s.primary_name, s.professions, s.credits
    FROM analytics.person_search s
    WHERE q <% s.search_text
    ORDER BY CASE role WHEN 'director' THEN s.directed WHEN 'writer' THEN s.written
                       WHEN 'actor' THEN s.acted WHEN 'producer' THEN s.produced
                       ELSE 1 END > 0 DESC,
             ml.search_score(q, s.search_text, typed_key, s.name_keys, s.votes) DESC,
             s.credits DESC, s.nconst
    LIMIT k;
END
$$;
COMMENT ON FUNCTION api.search_people IS
    'People as one types their name or surname (accents, case, typos), best match first, '
    'weighted by audience. role (''director'', ''writer'', ''actor'', ''producer''): people '
    'credited in that role first; another role is an error (invalid_parameter_value). '
    'Example: SELECT * FROM api.search_people(''kubrik'', 5, ''director'').';

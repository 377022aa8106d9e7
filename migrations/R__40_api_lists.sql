-- Small public lists and lookups for forms (the app's role reads only api and analytics).

CREATE OR REPLACE VIEW api.genres AS
SELECT name FROM catalog.genre ORDER BY name;

CREATE OR REPLACE VIEW api.title_types AS
SELECT name FROM catalog.title_type ORDER BY name;

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

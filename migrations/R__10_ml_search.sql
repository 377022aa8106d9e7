-- Search internals (ml): the exact title key and the ranking of matches that api.search_titles and
-- api.search_people share; analytics.title_search indexes ml.title_key (R__21).

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

-- Small public lists and lookups for forms (the app's role reads only api and analytics).

CREATE OR REPLACE VIEW api.genres AS
SELECT name FROM catalog.genre ORDER BY name;

CREATE OR REPLACE VIEW api.title_types AS
SELECT name FROM catalog.title_type ORDER BY name;

-- search_people('spielb', 10): named people as one types (accents, case, typos), the most
-- credited first.
DROP MATERIALIZED VIEW IF EXISTS analytics.person_search CASCADE;
CREATE MATERIALIZED VIEW analytics.person_search AS
SELECT p.person_id, p.nconst, p.primary_name, ml.unaccent_lower(p.primary_name) AS search_text,
       (SELECT count(*) FROM catalog.principal x WHERE x.person_id = p.person_id)
       + (SELECT count(*) FROM catalog.title_director x WHERE x.person_id = p.person_id)
       + (SELECT count(*) FROM catalog.title_writer x WHERE x.person_id = p.person_id) AS credits,
       (SELECT string_agg(f.name, ', ' ORDER BY pp.position) FROM catalog.person_profession pp
        JOIN catalog.profession f USING (profession_id) WHERE pp.person_id = p.person_id)
           AS professions
FROM catalog.person p
WHERE NOT p.is_placeholder;
CREATE INDEX person_search_trgm ON analytics.person_search USING gin (search_text gin_trgm_ops);

CREATE OR REPLACE FUNCTION api.search_people(query text, k integer DEFAULT 10)
RETURNS TABLE (nconst text, primary_name text, professions text, credits bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    q text := ml.search_query('search_people', query, k);
BEGIN
    IF q IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('pg_trgm.word_similarity_threshold', '0.5', true);
    RETURN QUERY
    SELECT s.nconst, s.primary_name, s.professions, s.credits
    FROM analytics.person_search s
    WHERE q <% s.search_text OR s.search_text LIKE q || '%'
    ORDER BY (s.search_text LIKE q || '%') DESC,
             round(word_similarity(q, s.search_text)::numeric, 1) DESC, s.credits DESC, s.nconst
    LIMIT k;
END
$$;

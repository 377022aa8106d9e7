-- Small public lists and lookups for forms (the app's role reads only api and analytics).

CREATE OR REPLACE VIEW api.genres AS
SELECT name FROM catalog.genre ORDER BY name;

CREATE OR REPLACE VIEW api.title_types AS
SELECT name FROM catalog.title_type ORDER BY name;

-- search_people('spielb', 10): named people as one types (accents, case, typos), the most
-- credited first.
DROP MATERIALIZED VIEW IF EXISTS analytics.person_search CASCADE;
CREATE MATERIALIZED VIEW analytics.person_search AS
WITH credits AS (
    SELECT person_id, count(*) AS credits
    FROM (SELECT person_id FROM catalog.principal
          UNION ALL SELECT person_id FROM catalog.title_director
          UNION ALL SELECT person_id FROM catalog.title_writer) c
    GROUP BY person_id
), professions AS (
    SELECT pp.person_id, string_agg(f.name, ', ' ORDER BY pp.position) AS professions
    FROM catalog.person_profession pp JOIN catalog.profession f USING (profession_id)
    GROUP BY pp.person_id
)
SELECT p.person_id, p.nconst, p.primary_name, ml.unaccent_lower(p.primary_name) AS search_text,
       coalesce(c.credits, 0) AS credits, f.professions
FROM catalog.person p
LEFT JOIN credits c USING (person_id)
LEFT JOIN professions f USING (person_id)
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

-- The people search view (search_people, the Predict page's pickers), in a file of its own: a
-- file that only creates relations in analytics from catalog, which the import builds on the new
-- catalogue before the swap (database/imdb_import.py, PREBUILT).

-- The people search index: named people credited on at least one title (principal or crew), with
-- their credits per role and the votes of the titles they are credited on (their audience), for
-- ranking. People of name.basics with no credit in the catalogue are left out: at full size they
-- are most of the 15 M, and a picker has nothing to say about them.
DROP MATERIALIZED VIEW IF EXISTS analytics.person_search CASCADE;
CREATE MATERIALIZED VIEW analytics.person_search AS
WITH credit AS (
    SELECT p.person_id, p.title_id,
           CASE c.name WHEN 'actress' THEN 'actor' WHEN 'self' THEN 'actor' ELSE c.name END AS role
    FROM catalog.principal p JOIN catalog.category c USING (category_id)
    UNION ALL SELECT person_id, title_id, 'director' FROM catalog.title_director
    UNION ALL SELECT person_id, title_id, 'writer' FROM catalog.title_writer
), credits AS (
    SELECT x.person_id, count(*) AS credits,
           count(*) FILTER (WHERE x.role = 'director') AS directed,
           count(*) FILTER (WHERE x.role = 'writer') AS written,
           count(*) FILTER (WHERE x.role = 'actor') AS acted,
           count(*) FILTER (WHERE x.role = 'producer') AS produced,
           sum(coalesce(r.num_votes, 0)) AS votes
    FROM credit x LEFT JOIN catalog.rating r USING (title_id)
    GROUP BY x.person_id
), professions AS (
    SELECT pp.person_id, string_agg(f.name, ', ' ORDER BY pp.position) AS professions
    FROM catalog.person_profession pp JOIN catalog.profession f USING (profession_id)
    GROUP BY pp.person_id
)
SELECT p.person_id, p.nconst, p.primary_name, ml.unaccent_lower(p.primary_name) AS search_text,
       ARRAY[k.name_key, regexp_replace(k.name_key, '^.* ', '')] AS name_keys,
       c.credits, c.directed, c.written, c.acted, c.produced, c.votes, f.professions
FROM catalog.person p
JOIN credits c USING (person_id)  -- people credited on a kept title: who a picker can mean
CROSS JOIN LATERAL (SELECT ml.title_key(p.primary_name) AS name_key) k  -- computed once
LEFT JOIN professions f USING (person_id)
WHERE NOT p.is_placeholder;
CREATE INDEX person_search_trgm ON analytics.person_search USING gin (search_text gin_trgm_ops);
-- the Predict page's pickers show the people already chosen, by nconst
CREATE UNIQUE INDEX person_search_nconst ON analytics.person_search (nconst);

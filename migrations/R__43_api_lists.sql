-- Small public lists and lookups for forms (the app's role reads only api and analytics).

CREATE OR REPLACE VIEW api.genres AS
SELECT name FROM catalog.genre ORDER BY name;

CREATE OR REPLACE VIEW api.title_types AS
SELECT name FROM catalog.title_type ORDER BY name;

-- Helpers of the importer's validation step.

-- true when the text is a JSON array (IMDb's title.principals.characters), false otherwise.
-- PostgreSQL 16+ tests without raising; PostgreSQL 15 falls back to catching the cast error.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 160000 THEN
        EXECUTE $f$
            CREATE FUNCTION staging.is_json_array(value text) RETURNS boolean
            LANGUAGE sql STABLE PARALLEL SAFE AS
            'SELECT CASE WHEN pg_input_is_valid(value, ''jsonb'')
                         THEN jsonb_typeof(value::jsonb) = ''array'' ELSE false END'
        $f$;
    ELSE
        EXECUTE $f$
            CREATE FUNCTION staging.is_json_array(value text) RETURNS boolean
            LANGUAGE plpgsql STABLE PARALLEL SAFE AS
            'BEGIN RETURN jsonb_typeof(value::jsonb) = ''array''; EXCEPTION WHEN others THEN RETURN false; END'
        $f$;
    END IF;
END
$$;

"""docs/api.md, generated from the database: every object of the ``api`` schema with its
signature, what it returns and its ``COMMENT ON`` (migrations/R__4*.sql), then the JSON API's
routes (app/http_api.py) with the SQL functions each calls. ``netfloox reference`` writes it;
tests/test_api_reference.py checks that it is current and that nothing in ``api`` lacks a comment.
"""

from __future__ import annotations

import psycopg

from app.http_api import PREFIX, ROUTES
from harness.presentation.sources import DOCS

OUT = DOCS / "api.md"

OBJECTS = """
SELECT 'function' AS kind, p.proname AS name,
       pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'api'
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END, c.relname, NULL,
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                          ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'api' AND c.relkind IN ('v', 'r', 'm')
UNION ALL
SELECT 'type', t.typname, NULL,
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                          ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0),
       obj_description(t.oid, 'pg_type')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'api' AND t.typtype = 'c'
  AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
ORDER BY 1, 2
"""


def objects(conn: psycopg.Connection) -> list[dict]:
    cur = conn.execute(OBJECTS)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def undocumented(conn: psycopg.Connection) -> list[str]:
    return [f"{o['kind']} api.{o['name']}" for o in objects(conn) if not o["comment"]]


def render(conn: psycopg.Connection) -> str:
    lines = [
        "# The API: SQL and HTTP",
        "",
        "Generated from the database by `netfloox reference` (harness/presentation/"
        "api_reference.py): do not edit by hand. Every object of the `api` schema, as a DBA or a "
        "BI tool calls it (the roles `netfloox_app` and `netfloox_bi` may use only these and "
        "`analytics`), then the JSON API served beside the web app. Errors: `no_data_found` for "
        "an unknown id, `invalid_parameter_value` for a value the function refuses (HTTP 404 and "
        "422).",
        "",
    ]
    headings = {"function": "Functions", "view": "Views", "type": "Types", "table": "Tables"}
    current = None
    for o in objects(conn):
        if o["kind"] != current:
            current = o["kind"]
            lines += [f"## {headings[current]}", ""]
        if o["kind"] == "function":
            lines.append(f"### `api.{o['name']}({o['arguments']})`")
            lines += ["", f"Returns `{o['result']}`.", ""]
        else:
            lines += [f"### `api.{o['name']}`", "", f"Columns: `{o['result']}`.", ""]
        lines += [o["comment"] or "**Not documented.**", ""]
    lines += [
        "## HTTP (JSON)",
        "",
        f"Served by `netfloox serve` under `{PREFIX}` on the web app's port; the OpenAPI "
        f"document is `{PREFIX}/openapi.json`. Malformed input is a 400 naming the parameter, an "
        "unknown id a 404, a value the catalogue does not know a 422, no database or model yet a "
        '503; every error is `{"error": "..."}`.',
        "",
        "| method | path | what | SQL |",
        "| --- | --- | --- | --- |",
    ]
    for route in ROUTES:
        params = ", ".join(f"`{p.name}`" for p in route.params if p.where == "query")
        what = route.summary + (f" Parameters: {params}." if params else "")
        if route.body is not None:
            what += " Body: JSON, " + ", ".join(f"`{k}`" for k in route.body["properties"]) + "."
        lines.append(f"| {route.method} | `{route.openapi_path}` | {what} | {route.sql} |")
    return "\n".join(lines) + "\n"


def write(conn: psycopg.Connection) -> str:
    text = render(conn)
    OUT.write_text(text, encoding="utf-8")
    return str(OUT)

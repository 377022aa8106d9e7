"""docs/data-model.md cannot drift: its MPD diagram lists the real tables and columns."""

from __future__ import annotations

import re

from database.config import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "data-model.md"


def documented_tables() -> dict[str, dict[str, str]]:
    """{table: {column: type}} from the erDiagram block of the MPD."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```mermaid\nerDiagram\n(.*?)```", text, re.S).group(1)
    tables: dict[str, dict[str, str]] = {}
    for name, body in re.findall(r"^\s*(\w+) \{\n(.*?)^\s*\}", block, re.S | re.M):
        columns = {}
        for line in body.strip().splitlines():
            col_type, col_name = line.split()[:2]
            columns[col_name] = col_type
        tables[name] = columns
    return tables


def test_the_mpd_lists_every_catalog_table_and_column_with_its_type(db):
    rows = db.execute("""SELECT table_name, column_name, data_type FROM information_schema.columns
                         WHERE table_schema = 'catalog'""").fetchall()
    actual: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        actual.setdefault(table, {})[column] = data_type
    assert documented_tables() == actual


def test_the_parser_sees_the_diagram():
    tables = documented_tables()
    assert tables["principal"]["characters"] == "jsonb"
    assert len(tables) == 15


ANALYTICS_DOC = PROJECT_ROOT / "docs" / "analytics.md"


def test_every_analytics_view_is_documented_with_its_columns(db):
    """docs/analytics.md has a section per analytics table and view listing its columns."""
    text = ANALYTICS_DOC.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### analytics\.(\w+)\n\n(.*?)(?=^#|\Z)", text, re.S | re.M))
    rows = db.execute("""SELECT c.relname, a.attname FROM pg_class c
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                         JOIN pg_attribute a ON a.attrelid = c.oid
                          AND a.attnum > 0 AND NOT a.attisdropped
                         WHERE n.nspname = 'analytics'
                           AND c.relkind IN ('m', 'v', 'r')""").fetchall()
    actual: dict[str, set[str]] = {}
    for view, column in rows:
        actual.setdefault(view, set()).add(column)
    assert set(sections) == set(actual)
    for view, columns in actual.items():
        documented = set(re.findall(r"`(\w+)`", sections[view].split("```")[0]))
        assert columns <= documented, f"{view}: undocumented columns {columns - documented}"


def test_every_test_named_by_the_user_stories_exists():
    text = (PROJECT_ROOT / "docs" / "user-stories.md").read_text(encoding="utf-8")
    named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", text)
    assert len(named) >= 30
    missing = [
        f"{file}::{test}"
        for file, test in named
        if not re.search(
            rf"^def {test}\(", (PROJECT_ROOT / "tests" / file).read_text(encoding="utf-8"), re.M
        )
    ]
    assert missing == []

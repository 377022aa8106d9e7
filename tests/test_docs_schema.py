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

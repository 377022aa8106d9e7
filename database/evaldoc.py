"""Write evaluation results into docs/evaluation.md, one section per AI service."""

from __future__ import annotations

from database import benchdoc
from database.config import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "evaluation.md"
HEADER = """# Evaluation of the AI services

Offline evaluations, each with its command: re-run it to refresh its section.
"""


def write_section(title: str, command: str, body: str) -> None:
    benchdoc.write_section(title, command, body, doc=DOC, header=HEADER)

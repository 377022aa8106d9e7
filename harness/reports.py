"""Write measured results into docs/: benchmarks (with the machine) and evaluations, one section
per command, replaced when the command runs again."""

from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

from database.config import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "benchmarks.md"
EVALUATION_DOC = PROJECT_ROOT / "docs" / "evaluation.md"
HEADER = """# Benchmarks

Speed targets are measured here, never asserted in tests. Each section says the machine, the
command and the date; re-run the command to refresh it.
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), cpu
        )
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        mem_kb = int(next(ln.split()[1] for ln in meminfo if ln.startswith("MemTotal")))
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        mem = "RAM unknown"
    return f"{cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}"


def write_section(
    title: str, command: str, body: str, doc: Path = DOC, header: str = HEADER
) -> None:
    """Replace (or append) the section ``## title`` of a results document."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else header
    section = (
        f"## {title}\n\nCommand: `{command}` — {date.today().isoformat()}, "
        f"{machine()}.\n\n{body.strip()}\n"
    )
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    doc.write_text(text.rstrip() + "\n", encoding="utf-8")


EVALUATION_HEADER = """# Evaluation of the AI services

Offline evaluations, each with its command: re-run it to refresh its section.
"""


def write_evaluation(title: str, command: str, body: str) -> None:
    """Replace (or append) the section ``## title`` of docs/evaluation.md."""
    write_section(title, command, body, doc=EVALUATION_DOC, header=EVALUATION_HEADER)

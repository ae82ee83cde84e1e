"""Packaging: every third-party module client/peaje imports is declared in pyproject.toml (its
dependencies or an extra) and pinned in requirements.txt or constraints.txt; the one version is
pyproject's, and `peaje --version` / `python -m peaje --version` print it."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "client" / "peaje"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return normalise(re.split(r"[\s<>=!~;\[]", spec.strip(), maxsplit=1)[0])


def imported_modules() -> dict[str, set[str]]:
    """Top-level module -> the package files importing it (absolute imports only)."""
    out: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "v1" in path.relative_to(PACKAGE).parts:
            continue  # protoc's output imports only protobuf and grpc, declared below
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                out.setdefault(name.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return out


def third_party() -> dict[str, set[str]]:
    return {
        m: files
        for m, files in imported_modules().items()
        if m not in sys.stdlib_module_names and m != "peaje"
    }


def declared() -> set[str]:
    project = PYPROJECT["project"]
    specs = [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]
    return {requirement_name(s) for s in specs} - {"peaje"}


def pinned() -> set[str]:
    names = set()
    for file in ("requirements.txt", "constraints.txt"):
        for line in (REPO / file).read_text().splitlines():
            if "==" in line and not line.lstrip().startswith("#"):
                names.add(requirement_name(line))
    return names


def test_the_scan_sees_the_known_imports() -> None:
    modules = third_party()
    assert {"grpc", "locust", "numpy", "fastapi"} <= modules.keys()
    assert not {"json", "peaje", "os"} & modules.keys()


def test_every_third_party_import_is_declared_and_pinned() -> None:
    distributions = importlib.metadata.packages_distributions()
    undeclared, unpinned = [], []
    for module, files in sorted(third_party().items()):
        names = {normalise(d) for d in distributions.get(module, [module])}
        if not names & declared():
            undeclared.append(f"{module} ({', '.join(sorted(names))}) in {sorted(files)[0]}")
        elif not names & declared() & pinned():
            unpinned.append(module)
    assert not undeclared, f"declare in pyproject.toml: {undeclared}"
    assert not unpinned, f"pin in requirements.txt or constraints.txt: {unpinned}"


def test_every_declared_distribution_is_pinned() -> None:
    assert declared() - pinned() == set()


def test_version_is_pyprojects_everywhere() -> None:
    version = PYPROJECT["project"]["version"]
    assert importlib.metadata.version("peaje") == version  # the installed metadata
    for command in (["-m", "peaje", "--version"], ["-m", "peaje.cli", "--version"]):
        out = subprocess.run([sys.executable, *command], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == f"peaje {version}"
    # CMake reads it from pyproject.toml rather than repeating it.
    assert version not in (REPO / "CMakeLists.txt").read_text()

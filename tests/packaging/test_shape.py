"""The package's shape, checked: no function in client/peaje longer than 120 lines, and one
module (peaje.stack) that builds peaje-server's command line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "client" / "peaje"
MAX_LINES = 120
GENERATED = ("v1",)  # protoc's output


def sources() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if not set(p.relative_to(PACKAGE).parts) & set(GENERATED)
    ]


def test_the_package_is_found() -> None:
    assert len(sources()) > 20 and (PACKAGE / "stack.py") in sources()


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_longer_than_120_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    long = [
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_LINES
    ]
    assert not long, f"split these (at most {MAX_LINES} lines each): {long}"


def test_only_peaje_stack_builds_the_server_command_line() -> None:
    """peaje-server's flags are put together in peaje.stack.server_command and nowhere else."""
    builders = [str(p.relative_to(PACKAGE)) for p in sources() if '"--listen"' in p.read_text()]
    assert builders == ["stack.py"], builders


def test_every_module_imports() -> None:
    """A renamed or removed name breaks an import here, not in a rarely-run bench script."""
    names = [
        "peaje." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in sources()
        if p.name not in ("__main__.py", "locustfile.py")  # locustfile patches with gevent
    ]
    names = [n.removesuffix(".__init__") for n in names]
    code = "import importlib, sys\nfor n in sys.argv[1:]: importlib.import_module(n)"
    result = subprocess.run(
        [sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]

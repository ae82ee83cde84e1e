"""Every compiled module of the package ships a .pyi stub that matches it: the same public names,
the same parameter names as the module's own signatures; and py.typed marks the package typed."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "client" / "peaje"
# the compiled modules' stubs: peaje._native ... and peaje.api._front (not peaje.v1's generated)
STUBS = sorted(p for p in PACKAGE.rglob("*.pyi") if not p.with_suffix(".py").exists())


FUNCTIONS = ast.FunctionDef | ast.AsyncFunctionDef


def module_of(stub: Path) -> str:
    return ".".join(("peaje", *stub.relative_to(PACKAGE).with_suffix("").parts))


def public(names) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def stub_tree(stub: Path) -> dict[str, ast.AST]:
    tree = ast.parse(stub.read_text(), str(stub))
    out: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, FUNCTIONS | ast.ClassDef):
            out[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
    return out


def stub_params(node: ast.FunctionDef) -> list[str]:
    args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    return [a.arg for a in args if a.arg != "self"]


def is_property(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list)


def runtime_params(function) -> list[str] | None:
    """Parameter names from a pybind11/nanobind signature line "name(a: T, b: U = 1) -> R", or
    from inspect (Cython's functions carry a signature)."""
    first = (function.__doc__ or "").strip().splitlines()[:1]
    match = re.match(r"\w+\((.*)\)\s*->", first[0]) if first else None
    if not match:
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            return None
        return [p for p in parameters if p != "self"]
    params = [p.split(":")[0].strip() for p in re.split(r",\s*(?![^\[]*\])", match.group(1))]
    return [p for p in params if p and p not in ("self", "/", "*")]


def members(node: ast.ClassDef) -> set[str]:
    names = {m.name for m in node.body if isinstance(m, FUNCTIONS)}
    names |= {m.target.id for m in node.body if isinstance(m, ast.AnnAssign)}
    return names


def test_the_package_is_typed_and_the_native_module_has_a_stub() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert PACKAGE / "_native.pyi" in STUBS


@pytest.mark.parametrize("stub", STUBS, ids=module_of)
def test_stub_names_match_the_module(stub: Path) -> None:
    module = importlib.import_module(module_of(stub))
    assert not hasattr(module, "__file__") or not module.__file__.endswith(".py"), "compiled only"
    declared = stub_tree(stub)
    assert public(declared) == public(dir(module)) - {"annotations"}
    for name, node in declared.items():
        if isinstance(node, ast.ClassDef) and not name.startswith("_"):
            runtime = getattr(module, name)
            assert public(members(node)) == public(dir(runtime)), name


@pytest.mark.parametrize("stub", STUBS, ids=module_of)
def test_stub_parameters_match_the_module(stub: Path) -> None:
    module = importlib.import_module(module_of(stub))
    checked = 0
    for name, node in stub_tree(stub).items():
        if name.startswith("_"):
            continue  # the stub's own helper types
        targets = [(getattr(module, name), node)] if isinstance(node, FUNCTIONS) else []
        if isinstance(node, ast.ClassDef):
            cls = getattr(module, name)
            targets += [
                (getattr(cls, m.name), m)
                for m in node.body
                if isinstance(m, FUNCTIONS) and not m.name.startswith("__")
                and not is_property(m)
            ]  # fmt: skip
        for function, definition in targets:
            expected = runtime_params(function)
            if expected is not None:
                assert stub_params(definition) == expected, (name, definition.name)
                checked += 1
    assert checked, "no signature was compared"

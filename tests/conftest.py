"""Shared pytest set-up: repository paths, and the fixtures that start real processes."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "cmake"

# tests/fixtures is importable as `fixtures` from every test directory.
sys.path.insert(0, str(Path(__file__).resolve().parent))


# peaje's compiled modules: one per binding, and the HTTP front's layer (peaje.api._front)
EXTENSIONS = ("_native", "_nanobind", "_cython", "api._front")


def _load_extension_overrides() -> None:
    """PEAJE_EXTENSION_DIR=dir loads the builds of peaje's compiled modules found there (e.g. the
    ASan/UBSan ones from `make test-sanitize`) in place of the installed ones, before any test
    imports them; PEAJE_NATIVE_SO=path does it for peaje._native alone (the older knob)."""
    import importlib.util
    import os

    paths = {}
    directory = os.environ.get("PEAJE_EXTENSION_DIR")
    if directory:
        for name in EXTENSIONS:
            found = sorted(Path(directory).glob(f"{name.rpartition('.')[2]}.*.so"))
            if not found:
                raise RuntimeError(f"PEAJE_EXTENSION_DIR={directory} has no {name}*.so")
            paths[name] = str(found[0])
    if os.environ.get("PEAJE_NATIVE_SO"):
        paths["_native"] = os.environ["PEAJE_NATIVE_SO"]
    if not paths:
        return
    import peaje

    for name, path in paths.items():
        spec = importlib.util.spec_from_file_location(f"peaje.{name}", path)
        if spec is None or spec.loader is None:
            raise RuntimeError(f"{path} is not a loadable extension")
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"peaje.{name}"] = module
        spec.loader.exec_module(module)
        if "." not in name:  # peaje.api's own import finds peaje.api._front in sys.modules
            setattr(peaje, name, module)


_load_extension_overrides()

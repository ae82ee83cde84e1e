"""Shared pytest set-up: repository paths, and the fixtures that start real processes."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "cmake"

# tests/fixtures is importable as `fixtures` from every test directory.
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _load_native_override() -> None:
    """PEAJE_NATIVE_SO=path loads that build of peaje._native (e.g. the ASan/UBSan one from
    `make test-sanitize`) in place of the installed extension, before any test imports it."""
    import os

    path = os.environ.get("PEAJE_NATIVE_SO")
    if not path:
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("peaje._native", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"PEAJE_NATIVE_SO={path} is not a loadable extension")
    module = importlib.util.module_from_spec(spec)
    sys.modules["peaje._native"] = module
    spec.loader.exec_module(module)
    import peaje

    peaje._native = module


_load_native_override()

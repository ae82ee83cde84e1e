"""Shared pytest set-up: repository paths, and the fixtures that start real processes."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "cmake"

# tests/fixtures is importable as `fixtures` from every test directory.
sys.path.insert(0, str(Path(__file__).resolve().parent))

"""Where load results live, for readers such as the toll report: the newest run or sweep under
results/, parsed.

    results/load-<UTC stamp>/summary.json          schema peaje.load.run/1
    results/load-sweep-<UTC stamp>/sweep.json      schema peaje.load.sweep/1 (+ sweep.png)
"""

from __future__ import annotations

import json
from pathlib import Path

from peaje.processes import results_root

RESULTS = results_root()
# The stamp starts with the year, so "load-2*" never matches a "load-sweep-*" directory.
PATTERNS = {"run": ("load-2*", "summary.json"), "sweep": ("load-sweep-2*", "sweep.json")}


def latest(kind: str, root: Path = RESULTS) -> Path | None:
    """The newest complete result file of ``kind`` ("run" or "sweep"), or None."""
    pattern, name = PATTERNS[kind]
    for directory in sorted(Path(root).glob(pattern), reverse=True):
        if (directory / name).is_file():
            return directory / name
    return None


def load_latest(kind: str, root: Path = RESULTS) -> dict | None:
    """The newest result of ``kind``, parsed, with ``"dir"`` set to its directory."""
    path = latest(kind, root)
    if path is None:
        return None
    return {**json.loads(path.read_text()), "dir": str(path.parent)}

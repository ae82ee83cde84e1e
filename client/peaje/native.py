"""The "native" engine: the C++ core in-process, through pybind11 (peaje._native).

One of the in-process engines (peaje.inprocess has their face and data modes); this module
keeps the names the rest of the package imports.
"""

from __future__ import annotations

from peaje import _native
from peaje.inprocess import InProcessEngine, datasets

SortedArray = _native.SortedArray

# The SortedArray a dataset spec names, built once per process under the byte budget.
resident_dataset = datasets("native")


class NativeEngine(InProcessEngine):
    """Engine "native": the C++ core in this process, through pybind11."""

    def __init__(self, timeout: float | None = None) -> None:
        super().__init__("native", timeout)

"""The "native" engine: the C++ core in-process, through pybind11 (peaje._native).

Data modes, named for what crosses on each call:

- ``copy``: the list becomes a native array on every call, validated while copying.
- ``lazy``: nothing is copied; the core probes O(log n) items of the list. Order is trusted.
- ``buffer``: zero-copy over an int64 buffer (array('q'), numpy int64, memoryview). Order
  is trusted.
- ``resident``: the array lives on the native side (a ``SortedArray``, or a dataset spec
  built once and cached); only the targets cross.
"""

from __future__ import annotations

from typing import Any

from peaje import _native
from peaje.arguments import check_mode, short_repr
from peaje.errors import InvalidArgument
from peaje.resident import Resident

SortedArray = _native.SortedArray


# The SortedArray a dataset spec names, built once per process (bounded cache).
resident_dataset: Resident[SortedArray] = Resident(SortedArray.from_spec)


def default_mode(values: Any) -> str:
    if isinstance(values, (str, SortedArray)):
        return "resident"
    if isinstance(values, (list, tuple)):
        return "copy"
    try:
        memoryview(values).release()
    except TypeError:
        return "copy"
    return "buffer"


class NativeEngine:
    """Engine "native": the C++ core in this process."""

    name = "native"
    modes = ("copy", "lazy", "buffer", "resident")
    validating_modes = ("copy", "resident")

    def search(
        self, values: Any, targets: Any, *, mode: str | None = None, repeat: int = 1
    ) -> list[int]:
        mode = check_mode(mode) or default_mode(values)
        if mode == "resident":
            if isinstance(values, str):
                values = resident_dataset(values)
            elif not isinstance(values, SortedArray):
                values = SortedArray(values)  # validated for this call; keep it to reuse
            return values.search(targets, repeat)
        if isinstance(values, str):
            raise InvalidArgument(
                f"dataset spec {short_repr(values)} is resident data: use mode='resident'"
            )
        if mode == "copy":
            return _native.search_copy(values, targets, repeat)
        if mode == "lazy":
            return _native.search_lazy(values, targets, repeat)
        return _native.search_buffer(values, targets, repeat)

    def resident(self, spec: str) -> SortedArray | None:
        """The dataset `spec` names if it is already built here, else None (never builds)."""
        return resident_dataset.get(spec)

    def to_bytes_dict(self, mapping: Any, errors: str = "strict") -> dict[bytes, bytes]:
        return _native.to_bytes_dict(mapping, errors)

    def noop(self) -> None:
        _native.noop()

    def close(self) -> None:
        pass

    def __enter__(self) -> NativeEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The in-process engines: the C++ core in this process through one binding library each.

``native`` (pybind11, ``peaje._native``), ``nanobind`` (``peaje._nanobind``) and ``cython``
(``peaje._cython``) wrap the same core through the same binding-neutral crossing
(bindings/crossing) and share one face (bindings/face), so they differ only in what the
binding library itself costs. Every one has:

- ``search(values, targets, *, mode=None, repeat=1, timeout=None)``: the binding's own compiled
  method (``Engine.search`` of its module), which resolves the data mode in C++: no Python
  frame between the caller and the crossing it measures.
- ``to_bytes_dict(mapping, errors="strict", timeout=None)``, compiled likewise.
- ``noop``: the binding's own compiled no-op, called as it is.
- ``SortedArray(values)``: the resident array, with ``search(targets, repeat=1)`` and a scalar
  ``find(target) -> int`` (leftmost index or -1).

Data modes, named for what crosses on each call:

- ``copy``: the list becomes a native array on every call, validated while copying.
- ``lazy``: nothing is copied; the core probes O(log n) items of the list. Order is trusted.
- ``buffer``: zero-copy over an int64 buffer (array('q'), numpy int64, memoryview). Order
  is trusted.
- ``resident``: the array lives on the native side (a ``SortedArray``, or a dataset spec
  built once and kept under the process's resident-data budget, peaje.datasets); only the
  targets cross.

``timeout=`` (seconds, per engine or per call) is the deadline: past it the call stops and
raises ``peaje.DeadlineExceeded``.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from peaje.datasets import RESIDENT
from peaje.errors import InvalidArgument
from peaje.limits import MODES


@dataclass(frozen=True)
class Binding:
    library: str  # the binding library, as its project names itself
    module: str  # the compiled module that wraps the core through it


# engine name -> its binding; the one list of in-process engines (peaje.engine.ENGINES has it).
BINDINGS: dict[str, Binding] = {
    "native": Binding("pybind11", "peaje._native"),
    "nanobind": Binding("nanobind", "peaje._nanobind"),
    "cython": Binding("Cython", "peaje._cython"),
}


class SearchMethod(Protocol):
    def __call__(
        self,
        values: Any,
        targets: Any,
        *,
        mode: str | None = None,
        repeat: int = 1,
        timeout: float | None = None,
    ) -> list[int]: ...


class BytesDictMethod(Protocol):
    def __call__(
        self, mapping: Any, errors: str = "strict", timeout: float | None = None
    ) -> dict[bytes, bytes]: ...


class Datasets:
    """The resident datasets of one binding (each holds its own SortedArray type), in the
    process's one byte-bounded cache (peaje.datasets), keyed by the canonical spec: calling it
    with a spec builds or finds the SortedArray; ``get`` never builds."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.from_spec = module_of(name).SortedArray.from_spec

    def __call__(self, spec: str) -> Any:
        canonical = canonical_spec(spec)
        size = int(canonical.split(":")[1])
        return RESIDENT.get(self.name, canonical, size * 8, lambda: self.from_spec(canonical))

    def get(self, spec: str) -> Any | None:
        try:
            return RESIDENT.peek(self.name, canonical_spec(spec))
        except InvalidArgument:
            return None  # a malformed spec: the search itself says why


_datasets: dict[str, Datasets] = {}


def datasets(name: str) -> Datasets:
    """The resident datasets of engine `name` in this process."""
    if name not in _datasets:
        _datasets[name] = Datasets(name)
    return _datasets[name]


@functools.lru_cache(maxsize=1024)
def _canonical(spec: str) -> str:
    from peaje import _native

    return _native.canonical_spec(spec)


def canonical_spec(spec: str) -> str:
    """'range:N:STEP' of a spec, parsed by the core (short specs' answers are remembered)."""
    if len(spec) <= 64:
        return _canonical(spec)
    from peaje import _native

    return _native.canonical_spec(spec)


def module_of(name: str) -> ModuleType:
    return importlib.import_module(BINDINGS[name].module)


class InProcessEngine:
    """Engine `name` ("native", "nanobind" or "cython"): the C++ core in this process."""

    modes = MODES
    validating_modes = ("copy", "resident")
    search: SearchMethod
    to_bytes_dict: BytesDictMethod

    def __init__(self, name: str, timeout: float | None = None) -> None:
        module = module_of(name)
        self.name = name
        self.binding = BINDINGS[name].library
        self.module = module
        self.SortedArray = module.SortedArray
        self.noop = module.noop
        self.datasets = datasets(name)
        # Bound methods of the compiled engine, stored as they are: a call goes straight in.
        compiled = module.Engine(self.datasets, timeout)
        self.search = compiled.search
        self.to_bytes_dict = compiled.to_bytes_dict

    def resident(self, spec: str) -> Any | None:
        """The dataset `spec` names if it is already built here, else None (never builds)."""
        return self.datasets.get(spec)

    def prepare_dataset(self, spec: str) -> None:
        """Builds (or finds cached) the SortedArray a spec names: for callers that must not
        build it on their event loop."""
        self.datasets(spec)

    def close(self) -> None:
        pass

    def __enter__(self) -> InProcessEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

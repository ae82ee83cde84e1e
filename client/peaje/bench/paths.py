"""The paths the report measures, and the cases (path x size x repeat x batch) it times.

A *path* is one way of running the same search from Python: the pure-Python engine, the native
engine in one data mode, or the gRPC engine over one transport with inline or resident data.
``prepare(case, targets)`` builds what a case needs once (the list, the buffer, the resident
array, the channel) and returns a zero-argument call, so a stopwatch only sees the crossing.
"""

from __future__ import annotations

import array
import math
from collections.abc import Callable
from dataclasses import dataclass

import peaje
from peaje.native import SortedArray
from peaje.reference import dataset

# path -> (engine, mode, what crosses on each call)
SEARCH_PATHS: dict[str, tuple[str, str | None, str]] = {
    "python": ("python", None, "nothing: the interpreter runs the search"),
    "native-copy": ("native", "copy", "the whole list, converted to a vector (the talk's path)"),
    "native-lazy": ("native", "lazy", "O(log n) probed list items"),
    "native-buffer": ("native", "buffer", "a pointer into array('q') (zero-copy)"),
    "native-resident": ("native", "resident", "the targets only (SortedArray)"),
    "grpc-inline": ("grpc", "copy", "every value, serialized into the request"),
    "grpc-resident": ("grpc", "resident", "a dataset spec and the targets"),
}
BYTES_DICT_PATHS = ("python", "native", "grpc")
# Paths whose every call converts the whole list: the model's n_copied is their size.
COPYING_PATHS = frozenset({"native-copy", "grpc-inline"})
TRANSPORTS = ("tcp", "unix")
GRPC_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Case:
    """One timed cell. kind: search | batch | noop | bytes-dict; transport for grpc paths."""

    kind: str
    path: str
    size: int = 0
    repeat: int = 1
    targets: int = 1
    transport: str = ""

    @property
    def name(self) -> str:
        parts = [self.kind, self.path]
        if self.transport:
            parts.append(f"via={self.transport}")
        if self.kind in ("search", "batch"):
            parts += [f"n={self.size}", f"repeat={self.repeat}", f"targets={self.targets}"]
        elif self.kind == "bytes-dict":
            parts.append(f"entries={self.size}")
        return "/".join(parts)

    @classmethod
    def parse(cls, name: str) -> Case:
        kind, path, *rest = name.split("/")
        fields = dict(part.split("=", 1) for part in rest)
        return cls(
            kind=kind,
            path=path,
            size=int(fields.get("n", fields.get("entries", 0))),
            repeat=int(fields.get("repeat", 1)),
            targets=int(fields.get("targets", 1)),
            transport=fields.get("via", ""),
        )

    @classmethod
    def of_label(cls, kind: str, label: str, size: int, repeat: int = 1, targets: int = 1) -> Case:
        """The case a path label names ("grpc-inline (tcp)" -> path grpc-inline, via tcp)."""
        path, _, via = label.partition(" (")
        return cls(kind, path, size, repeat, targets, via.rstrip(")"))

    @property
    def is_remote(self) -> bool:
        return self.path.startswith("grpc")

    @property
    def searches(self) -> int:
        return self.repeat * self.targets

    @property
    def n_copied(self) -> int:
        """Elements converted per call: the values for copying paths, plus the targets."""
        return (self.size if self.path in COPYING_PATHS else 0) + self.targets

    @property
    def probes_per_search(self) -> int:
        """Comparisons one binary search makes over `size` values: ceil(log2(n + 1))."""
        return max(1, math.ceil(math.log2(self.size + 1)))

    @property
    def label(self) -> str:
        return f"{self.path} ({self.transport})" if self.transport else self.path


def spec_of(size: int) -> str:
    return f"range:{size}"


def target_values(size: int, count: int) -> list[int]:
    """The talk's target (66666 of 100000) scaled to `size`, then spread over the range."""
    if count == 1:
        return [size * 2 // 3]
    return [(i * 7919) % max(size, 1) for i in range(count)]


def bytes_dict_input(entries: int) -> dict:
    """The talk's mix of str and bytes keys and values, `entries` of them."""
    mapping: dict = {}
    for i in range(entries):
        key = f"key-{i:07d}" if i % 2 else f"key-{i:07d}".encode()
        mapping[key] = f"value-{i}-ñ" if i % 3 else b"value-\x00-" + str(i).encode()
    return mapping


class Engines:
    """Engines shared by the cases of one process; grpc engines per transport target."""

    def __init__(self, grpc_targets: dict[str, str] | None = None) -> None:
        self.grpc_targets = grpc_targets or {}
        self._engines: dict[str, peaje.Engine] = {}

    def get(self, name: str, transport: str = "") -> peaje.Engine:
        key = f"{name}:{transport}"
        if key not in self._engines:
            if name == "grpc":
                if transport not in self.grpc_targets:
                    raise LookupError(f"no gRPC server for transport {transport!r}")
                # A generous deadline: a loaded machine must slow the rows, not fail them.
                self._engines[key] = peaje.engine(
                    "grpc", target=self.grpc_targets[transport], timeout=GRPC_TIMEOUT_S
                )
            else:
                self._engines[key] = peaje.engine(name)
        return self._engines[key]

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()
        self._engines.clear()


def prepare(case: Case, engines: Engines) -> Callable[[], object]:
    """A zero-argument call running `case` once; everything it reuses is built here."""
    if case.kind == "noop":
        if case.path == "native":
            from peaje import _native

            return _native.noop
        return engines.get("grpc", case.transport).noop
    if case.kind == "bytes-dict":
        engine = engines.get(case.path, case.transport)
        mapping = bytes_dict_input(case.size)
        return lambda: engine.to_bytes_dict(mapping)
    engine_name, mode, _ = SEARCH_PATHS[case.path]
    engine = engines.get(engine_name, case.transport)
    targets = target_values(case.size, case.targets)
    spec, repeat = spec_of(case.size), case.repeat
    if case.path == "native-resident":
        values = SortedArray.from_spec(spec)  # built once, as a caller keeping it would
    elif case.path == "grpc-resident":
        values = spec
        engine.search(spec, targets[:1], mode="resident")  # the server builds and caches it
    elif case.path == "native-buffer":
        values = array.array("q", dataset(spec))
    else:
        values = list(dataset(spec))
    return lambda: engine.search(values, targets, mode=mode, repeat=repeat)


def check(case: Case, engines: Engines) -> None:
    """Raise unless the case's path answers as the python engine does (measure right things)."""
    if case.kind not in ("search", "batch"):
        return
    expected = engines.get("python").search(
        list(dataset(spec_of(case.size))), target_values(case.size, case.targets)
    )
    got = prepare(case, engines)()
    if got != expected:
        raise AssertionError(f"{case.name}: answer differs from the python engine")

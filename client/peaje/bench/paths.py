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
from typing import NamedTuple

import peaje
from peaje.engine import ENGINES
from peaje.limits import MODES
from peaje.reference import dataset


class PathSpec(NamedTuple):
    engine: str
    mode: str | None
    crosses: str  # what crosses on each call


# What one call carries across, per data mode of an in-process engine.
MODE_CROSSES = {
    "copy": "the whole list, converted to a vector (the talk's path)",
    "lazy": "O(log n) probed list items",
    "buffer": "a pointer into array('q') (zero-copy)",
    "resident": "the targets only (SortedArray)",
}


def search_paths() -> dict[str, PathSpec]:
    """Every path, derived from the engine registry (peaje.engine.ENGINES): python, each
    in-process engine in each data mode ("native-copy", "nanobind-resident", ...) and grpc with
    inline or resident data. A new engine appears here, and in the report, by itself."""
    paths = {"python": PathSpec("python", None, "nothing: the interpreter runs the search")}
    for name in ENGINES:
        if name not in ("python", "grpc"):
            paths |= {f"{name}-{m}": PathSpec(name, m, MODE_CROSSES[m]) for m in MODES}
    paths["grpc-inline"] = PathSpec("grpc", "copy", "every value, serialized into the request")
    paths["grpc-resident"] = PathSpec("grpc", "resident", "a dataset spec and the targets")
    return paths


SEARCH_PATHS = search_paths()
BYTES_DICT_PATHS = tuple(name for name in ENGINES)
# Paths whose every call converts the whole list: the model's n_copied is their size.
COPYING_PATHS = frozenset(p for p, spec in SEARCH_PATHS.items() if spec.mode == "copy")
TRANSPORTS = ("tcp", "unix")
GRPC_TIMEOUT_S = 60.0


def default_transport(path: str) -> str:
    """The transport a path runs over when none is named: tcp for grpc paths, none in-process."""
    return "tcp" if path.startswith("grpc") else ""


@dataclass(frozen=True, order=True)
class Series:
    """One line of the report: a path, over one transport and with one gRPC client for the
    remote ones. A value from measurement to the JSON boundary; ``label`` is for people."""

    path: str
    transport: str = ""
    client: str = ""  # a peaje.remote.CLIENTS name; "" is the default client

    @property
    def label(self) -> str:
        extra = ", ".join(x for x in (self.transport, self.client) if x)
        return f"{self.path} ({extra})" if extra else self.path

    @property
    def is_remote(self) -> bool:
        return self.path.startswith("grpc")

    def case(self, kind: str = "search", size: int = 0, repeat: int = 1, targets: int = 1) -> Case:
        return Case(kind, self.path, size, repeat, targets, self.transport, self.client)


PYTHON = Series("python")


@dataclass(frozen=True)
class Case:
    """One timed cell. kind: search | batch | noop | bytes-dict; transport (and client) for grpc
    paths."""

    kind: str
    path: str
    size: int = 0
    repeat: int = 1
    targets: int = 1
    transport: str = ""
    client: str = ""

    @property
    def name(self) -> str:
        parts = [self.kind, self.path]
        if self.transport:
            parts.append(f"via={self.transport}")
        if self.client:
            parts.append(f"client={self.client}")
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
            client=fields.get("client", ""),
        )

    @property
    def series(self) -> Series:
        return Series(self.path, self.transport, self.client)

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
        return self.series.label


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

    def get(self, name: str, transport: str = "", client: str = "") -> peaje.Engine:
        key = f"{name}:{transport}:{client}"
        if key not in self._engines:
            if name == "grpc":
                if transport not in self.grpc_targets:
                    raise LookupError(f"no gRPC server for transport {transport!r}")
                # A generous deadline: a loaded machine must slow the rows, not fail them.
                options = {"client": client} if client else {}
                self._engines[key] = peaje.engine(
                    "grpc", target=self.grpc_targets[transport], timeout=GRPC_TIMEOUT_S, **options
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
    if case.kind == "noop":  # an in-process engine's noop is its binding's own compiled no-op
        return engines.get(case.path, case.transport, case.client).noop
    if case.kind == "bytes-dict":
        engine = engines.get(case.path, case.transport, case.client)
        mapping = bytes_dict_input(case.size)
        return lambda: engine.to_bytes_dict(mapping)
    engine_name, mode, _ = SEARCH_PATHS[case.path]
    engine = engines.get(engine_name, case.transport, case.client)
    targets = target_values(case.size, case.targets)
    spec, repeat = spec_of(case.size), case.repeat
    if mode == "resident" and hasattr(engine, "SortedArray"):  # an in-process engine
        values = engine.SortedArray.from_spec(spec)  # built once, as a caller keeping it would
    elif mode == "resident":
        values = spec  # the engine (or the server) builds the dataset once and caches it
        engine.search(spec, targets[:1], mode="resident")
    elif mode == "buffer":
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

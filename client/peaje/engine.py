"""One interface over every engine, and the factory that picks one by name."""

from __future__ import annotations

from typing import Any, Protocol

from peaje.errors import InvalidArgument

# Every engine by name; "native", "nanobind" and "cython" run in this process (peaje.inprocess).
ENGINES = ("python", "native", "nanobind", "cython", "grpc")


class Engine(Protocol):
    name: str
    modes: tuple[str, ...]
    validating_modes: tuple[str, ...]  # modes that check values are sorted int64

    def search(
        self, values: Any, targets: Any, *, mode: str | None = None, repeat: int = 1
    ) -> list[int]: ...

    def to_bytes_dict(self, mapping: Any, errors: str = "strict") -> dict[bytes, bytes]: ...

    def close(self) -> None: ...


def engine(name: str, **options: Any) -> Engine:
    """An engine by name: "python"; "native" (pybind11), "nanobind" or "cython" (``timeout=``);
    "grpc" (``target=``, ``timeout=``)."""
    if name == "python":
        from peaje.reference import PythonEngine

        return PythonEngine(**options)
    if name == "native":
        from peaje.native import NativeEngine

        return NativeEngine(**options)
    if name in ("nanobind", "cython"):
        from peaje.inprocess import InProcessEngine

        return InProcessEngine(name, **options)
    if name == "grpc":
        from peaje.remote import GrpcEngine

        return GrpcEngine(**options)
    raise InvalidArgument(f"engine must be one of {', '.join(ENGINES)}, got {name!r}")

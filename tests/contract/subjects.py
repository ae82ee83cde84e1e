"""The subjects of the contract suite: an engine in one data mode, reached over one face.

A new engine or face joins the suite by adding one SubjectSpec here (and, when it needs a
running process, a fixture that returns its Engine). Every case in this directory then runs
against it unchanged.
"""

from __future__ import annotations

import array
from dataclasses import dataclass
from typing import Any

import pytest

from peaje.inprocess import BINDINGS


@dataclass(frozen=True)
class SubjectSpec:
    id: str
    fixture: str  # name of the fixture that yields the Engine
    mode: str | None  # data mode passed to search()
    validates: bool  # checks that values are sorted int64 (else trusts order, like bisect)
    values_as: str = "list"  # "list" or "buffer" (array('q'))
    carries_surrogates: bool = True  # can lone surrogates reach the encoder?

    def __str__(self) -> str:
        return self.id


IN_PROCESS = tuple(BINDINGS)  # native (pybind11), nanobind, cython

SUBJECTS: list[SubjectSpec] = [
    SubjectSpec("python", "python_engine", None, validates=False),
    # The in-process engines, one per binding library (peaje.inprocess), in each data mode.
    *(
        spec
        for engine in IN_PROCESS
        for spec in (
            SubjectSpec(f"{engine}-copy", f"{engine}_engine", "copy", validates=True),
            SubjectSpec(f"{engine}-lazy", f"{engine}_engine", "lazy", validates=False),
            SubjectSpec(
                f"{engine}-buffer",
                f"{engine}_engine",
                "buffer",
                validates=False,
                values_as="buffer",
            ),
            SubjectSpec(f"{engine}-resident", f"{engine}_engine", "resident", validates=True),
        )
    ),
    SubjectSpec("grpc-tcp", "grpc_tcp_engine", "copy", validates=True, carries_surrogates=False),
    SubjectSpec("grpc-unix", "grpc_unix_engine", "copy", validates=True, carries_surrogates=False),
    # The grpc engine's other clients (peaje.remote.CLIENTS): the same cases over each.
    SubjectSpec(
        "grpc-aio-tcp", "grpc_aio_tcp_engine", "copy", validates=True, carries_surrogates=False
    ),
    SubjectSpec(
        "grpc-aio-unix", "grpc_aio_unix_engine", "copy", validates=True, carries_surrogates=False
    ),
    SubjectSpec(
        "grpc-cpp-tcp", "grpc_cpp_tcp_engine", "copy", validates=True, carries_surrogates=False
    ),
    SubjectSpec(
        "grpc-cpp-unix", "grpc_cpp_unix_engine", "copy", validates=True, carries_surrogates=False
    ),
    # The HTTP front (a real uvicorn process, tests/fixtures/http_engine.py): inline values are
    # validated at that boundary whatever the engine and mode.
    SubjectSpec("http-python", "http_python_engine", None, validates=True),
    SubjectSpec("http-native", "http_native_engine", None, validates=True),
    SubjectSpec("http-native-buffer", "http_native_engine", "buffer", validates=True),
    SubjectSpec("http-nanobind", "http_nanobind_engine", None, validates=True),
    SubjectSpec("http-cython", "http_cython_engine", None, validates=True),
    SubjectSpec("http-grpc", "http_grpc_engine", None, validates=True, carries_surrogates=False),
    # The same four with peaje.v1 protobuf bodies (request and response); protobuf strings are
    # UTF-8, so lone surrogates are refused before sending, as on the grpc engine.
    SubjectSpec(
        "http-python-protobuf",
        "http_python_protobuf_engine",
        None,
        validates=True,
        carries_surrogates=False,
    ),
    SubjectSpec(
        "http-native-protobuf",
        "http_native_protobuf_engine",
        None,
        validates=True,
        carries_surrogates=False,
    ),
    SubjectSpec(
        "http-native-buffer-protobuf",
        "http_native_protobuf_engine",
        "buffer",
        validates=True,
        carries_surrogates=False,
    ),
    SubjectSpec(
        "http-grpc-protobuf",
        "http_grpc_protobuf_engine",
        None,
        validates=True,
        carries_surrogates=False,
    ),
]


class Subject:
    """A live subject: the engine plus the spec that says how to call it."""

    def __init__(self, spec: SubjectSpec, engine: Any) -> None:
        self.spec = spec
        self.engine = engine

    @property
    def validates(self) -> bool:
        return self.spec.validates

    def search(self, values: Any, targets: Any, *, repeat: Any = 1) -> list[int]:
        if self.spec.values_as == "buffer" and isinstance(values, list):
            values = array.array("q", values)
        return self.engine.search(values, targets, mode=self.spec.mode, repeat=repeat)

    def search_spec(self, spec: str, targets: Any, *, repeat: Any = 1) -> list[int]:
        """A dataset spec is resident data on every engine."""
        return self.engine.search(spec, targets, mode="resident", repeat=repeat)

    def to_bytes_dict(self, mapping: Any, errors: Any = "strict") -> dict[bytes, bytes]:
        return self.engine.to_bytes_dict(mapping, errors)


def subject_params(predicate=lambda spec: True) -> list[Any]:
    return [pytest.param(spec, id=spec.id) for spec in SUBJECTS if predicate(spec)]

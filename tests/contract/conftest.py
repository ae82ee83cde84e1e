"""Parametrizes every contract case over every subject (contract/subjects.py)."""

from __future__ import annotations

import pytest

import peaje

from fixtures.grpc_server import (  # noqa: F401
    grpc_aio_tcp_engine,
    grpc_aio_unix_engine,
    grpc_cpp_tcp_engine,
    grpc_cpp_unix_engine,
    grpc_server,
    grpc_tcp_engine,
    grpc_unix_engine,
)
from fixtures.http_engine import (  # noqa: F401
    api_url,
    http_cython_engine,
    http_grpc_engine,
    http_grpc_protobuf_engine,
    http_nanobind_engine,
    http_native_engine,
    http_native_protobuf_engine,
    http_python_engine,
    http_python_protobuf_engine,
)
from subjects import Subject, SubjectSpec, subject_params


@pytest.fixture(scope="session")
def python_engine():
    with peaje.engine("python") as engine:
        yield engine


@pytest.fixture(scope="session")
def native_engine():
    with peaje.engine("native") as engine:
        yield engine


@pytest.fixture(scope="session")
def nanobind_engine():
    with peaje.engine("nanobind") as engine:
        yield engine


@pytest.fixture(scope="session")
def cython_engine():
    with peaje.engine("cython") as engine:
        yield engine


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "subject_spec" not in metafunc.fixturenames:
        return
    predicates = [marker.args[0] for marker in metafunc.definition.iter_markers("subjects")]
    metafunc.parametrize(
        "subject_spec", subject_params(lambda spec: all(p(spec) for p in predicates))
    )


@pytest.fixture
def subject(subject_spec: SubjectSpec, request: pytest.FixtureRequest) -> Subject:
    return Subject(subject_spec, request.getfixturevalue(subject_spec.fixture))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "subjects(predicate): run only on matching subjects")

"""Fixtures of the gRPC tests: the shared session server, servers a test owns, and `client`,
which runs a test once per client of the grpc engine (peaje.remote.CLIENTS)."""

from __future__ import annotations

import pytest

from peaje.remote import CLIENTS

from fixtures.grpc_server import grpc_server, grpc_tcp_engine, grpc_unix_engine  # noqa: F401


@pytest.fixture(params=list(CLIENTS))
def client(request: pytest.FixtureRequest) -> str:
    return request.param

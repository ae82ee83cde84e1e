"""Fixtures of the HTTP front's tests: real peaje-server and uvicorn processes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fixtures.grpc_server import grpc_server  # noqa: F401
from fixtures.http_engine import ApiProcess, api_url, closed_port  # noqa: F401


@pytest.fixture(scope="session")
def api(api_url: str) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=api_url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def api_without_backend() -> Iterator[httpx.Client]:
    """An API whose gRPC server is not there: grpc answers 503, the rest works."""
    env = {"PEAJE_GRPC_TARGET": f"127.0.0.1:{closed_port()}", "PEAJE_GRPC_TIMEOUT": "2"}
    with ApiProcess(env) as process, httpx.Client(base_url=process.url, timeout=30) as client:
        yield client

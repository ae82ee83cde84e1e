"""Fixtures of the security-defaults tests: real peaje-server and uvicorn processes."""

from __future__ import annotations

from fixtures.grpc_server import grpc_server  # noqa: F401
from fixtures.http_engine import api_url  # noqa: F401

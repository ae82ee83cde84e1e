"""Fixtures of the gRPC tests: the shared session server, and servers a test owns."""

from __future__ import annotations

from fixtures.grpc_server import grpc_server, grpc_tcp_engine, grpc_unix_engine  # noqa: F401

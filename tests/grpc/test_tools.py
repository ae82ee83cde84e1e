"""The tools users bring: grpcurl lists and calls the server by reflection, ghz loads it.

Installed at pinned versions into .tools/bin by scripts/install-go-tools.sh (`make build`).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / ".tools" / "bin"


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.is_file():
        pytest.skip(f"{path} missing: run scripts/install-go-tools.sh")
    return str(path)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_grpcurl_lists_services_by_reflection(grpc_server, kind):
    target = grpc_server.tcp_target if kind == "tcp" else grpc_server.unix_target
    result = run(tool("grpcurl"), "-plaintext", target, "list")
    assert result.returncode == 0, result.stderr
    assert {"peaje.v1.Peaje", "grpc.health.v1.Health"} <= set(result.stdout.split())
    methods = run(tool("grpcurl"), "-plaintext", target, "list", "peaje.v1.Peaje")
    assert methods.stdout.split() == [
        "peaje.v1.Peaje.Noop",
        "peaje.v1.Peaje.Search",
        "peaje.v1.Peaje.ToBytesDict",
    ]


def test_grpcurl_calls_search_and_health(grpc_server):
    request = json.dumps({"dataset": "range:100000", "targets": [66666, -5], "repeat": 10})
    result = run(
        tool("grpcurl"), "-plaintext", "-d", request, grpc_server.tcp_target,
        "peaje.v1.Peaje/Search",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["indices"] == ["66666", "-1"]  # int64 is a JSON string in proto3 JSON
    assert int(response["server_ns"]) > 0

    health = run(
        tool("grpcurl"), "-plaintext", grpc_server.tcp_target, "grpc.health.v1.Health/Check"
    )
    assert json.loads(health.stdout) == {"status": "SERVING"}


def test_grpcurl_sees_invalid_argument(grpc_server):
    request = json.dumps({"values": {"values": [3, 1]}, "targets": [1]})
    result = run(
        tool("grpcurl"), "-plaintext", "-d", request, grpc_server.tcp_target,
        "peaje.v1.Peaje/Search",
    )  # fmt: skip
    assert result.returncode != 0
    assert "InvalidArgument" in result.stdout + result.stderr
    assert "values[1]" in result.stdout + result.stderr


def test_ghz_bounded_load_has_no_errors(grpc_server):
    result = run(
        tool("ghz"), "--insecure", "--call", "peaje.v1.Peaje/Search",
        "-d", '{"dataset": "range:100000", "targets": [1, 500, 99999]}',
        "-n", "400", "-c", "4", "--connections", "2", "--format", "json",
        grpc_server.tcp_target,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["count"] == 400
    assert report["statusCodeDistribution"] == {"OK": 400}

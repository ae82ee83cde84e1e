"""Security defaults: every listener on 127.0.0.1 unless configured otherwise, a size cap on every
face, and containers that run non-root with a read-only root filesystem, no capabilities and no
privilege escalation."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
from pathlib import Path

import psutil
import pytest
import yaml

from peaje.api.settings import Settings

from fixtures.grpc_server import ServerProcess, server_command
from fixtures.http_engine import ApiProcess

REPO = Path(__file__).resolve().parents[2]


def listening_addresses(pid: int) -> list[str]:
    process = psutil.Process(pid)
    return [
        c.laddr.ip for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
    ]


def assert_loopback_only(pid: int) -> None:
    addresses = listening_addresses(pid)
    assert addresses, "the process listens on nothing"
    for ip in addresses:
        address = ipaddress.ip_address(ip)
        # gRPC binds 127.0.0.1 on a dual-stack socket: ::ffff:127.0.0.1, loopback all the same.
        address = getattr(address, "ipv4_mapped", None) or address
        assert address.is_loopback, f"listening on {ip}: {addresses}"


def test_server_default_listen_is_loopback():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEAJE_")}
    process = subprocess.Popen(
        server_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        line = process.stderr.readline()  # start, or start_failed when :50051 is taken
        assert '"listen":["127.0.0.1:50051"]' in line, line
        if '"event":"start"' in line:
            assert_loopback_only(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)


def test_server_and_api_processes_listen_on_loopback_only(tmp_path):
    with ServerProcess(tmp_path) as server:
        assert_loopback_only(server.process.pid)
        with ApiProcess({"PEAJE_GRPC_TARGET": server.tcp_target}) as api:
            assert_loopback_only(api.process.pid)


def test_local_stack_and_load_bind_loopback():
    from peaje import stack
    from peaje.load.webui import web_ui_command

    assert stack.HOST == "127.0.0.1"
    command = web_ui_command("http://127.0.0.1:8000", "127.0.0.1:50051", port=8089)
    assert command[command.index("--web-host") + 1] == "127.0.0.1"


def test_every_face_has_a_size_cap(tmp_path):
    from peaje import _native

    assert Settings().max_body_bytes == 16 * 2**20  # HTTP body
    assert _native.limits.MAX_TARGETS > 0 and _native.limits.MAX_DATASET_SIZE > 0  # batch, data
    assert _native.limits.MAX_SEARCHES_PER_CALL > 0
    with ServerProcess(tmp_path) as server:  # gRPC messages, both ways (one flag)
        start = next(e for e in server.events() if e["event"] == "start")
        assert 0 < start["max_message_bytes"] <= 64 * 2**20


# ---- containers ------------------------------------------------------------------------------

COMPOSE = REPO / "compose.yaml"


def compose_services() -> dict:
    if not COMPOSE.is_file():
        pytest.skip("compose.yaml is not in this checkout")
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_every_compose_service_is_hardened():
    for name, service in compose_services().items():
        user = str(service.get("user", ""))
        assert user and user.split(":")[0] not in ("0", "root"), f"{name}: runs as root"
        assert service.get("read_only") is True, f"{name}: root filesystem is writable"
        assert [c.upper() for c in service.get("cap_drop", [])] == ["ALL"], f"{name}: cap_drop"
        assert not service.get("cap_add"), f"{name}: adds capabilities"
        assert not service.get("privileged"), f"{name}: privileged"
        assert any(
            opt.replace("=", ":") in ("no-new-privileges:true", "no-new-privileges")
            for opt in service.get("security_opt", [])
        ), f"{name}: no-new-privileges"


def test_compose_publishes_on_loopback_by_default():
    for name, service in compose_services().items():
        for port in service.get("ports", []):
            spec = port if isinstance(port, str) else str(port.get("host_ip", ""))
            assert spec.startswith("${PEAJE_BIND:-127.0.0.1}:") or spec.startswith("127.0.0.1"), (
                f"{name} publishes {spec} beyond loopback"
            )


@pytest.mark.parametrize("dockerfile", sorted((REPO / "deploy").glob("*.Dockerfile")))
def test_images_run_as_a_non_root_user(dockerfile):
    users = [
        line.split()[1]
        for line in dockerfile.read_text().splitlines()
        if line.strip().upper().startswith("USER ")
    ]
    assert users and users[-1].split(":")[0] not in ("0", "root"), f"{dockerfile.name}: {users}"

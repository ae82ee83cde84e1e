"""`make up` (python -m peaje.stack): every process starts on 127.0.0.1, each engine answers
through the API, and Ctrl-C stops them all."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx

from peaje.engine import ENGINES
from peaje.processes import server_binary

from fixtures.http_engine import closed_port


def test_stack_starts_answers_and_stops_on_ctrl_c(tmp_path):
    ports = {name: closed_port() for name in ("grpc", "api", "locust")}
    log = tmp_path / "stack.log"
    command = [
        sys.executable, "-m", "peaje.stack", "--server-bin", str(server_binary()),
        "--grpc-port", str(ports["grpc"]), "--api-port", str(ports["api"]),
        "--locust-port", str(ports["locust"]),
    ]  # fmt: skip
    with open(log, "w") as out:
        stack = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "stack is up" not in log.read_text() and time.monotonic() < deadline:
            assert stack.poll() is None, log.read_text()
            time.sleep(0.1)
        assert "stack is up" in log.read_text(), log.read_text()
        api = f"http://127.0.0.1:{ports['api']}"
        for engine in ENGINES:
            response = httpx.post(f"{api}/v1/{engine}/search", json={"targets": [66666, -5]})
            assert response.json()["indices"] == [66666, -1], response.text
        assert httpx.get(f"{api}/docs").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{ports['locust']}/").status_code == 200
        stack.send_signal(signal.SIGINT)
        assert stack.wait(30) == 0, log.read_text()
    finally:
        if stack.poll() is None:
            stack.kill()
            stack.wait()
    assert "peaje stack stopped." in log.read_text()
    for port in ports.values():  # every child is gone: its port is free again
        with httpx.Client() as client:
            try:
                client.get(f"http://127.0.0.1:{port}/", timeout=1)
            except httpx.TransportError:
                continue
        raise AssertionError(f"port {port} still answers after Ctrl-C")

"""The processes a benchmark run starts: peaje-server (TCP on 127.0.0.1 and a Unix socket in a
temp dir) and, for the latency rungs, Toxiproxy in front of it. Always stopped on exit.

    with BenchServers(latencies_ms=(1, 2)) as servers:
        servers.targets   # {"tcp": "127.0.0.1:PORT", "unix": "unix:/tmp/.../peaje.sock",
                          #  "toxiproxy+1ms": "127.0.0.1:PORT2", ...}
        servers.notes     # why a rung is missing, when one is
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from peaje.processes import (
    REPO,
    SERVER_BIN,
    api_command,
    free_port,
    stop_process,
    wait_http_ready,
)

TOXIPROXY_BIN = Path(
    os.environ.get("PEAJE_TOXIPROXY_BIN", REPO / ".tools" / "bin" / "toxiproxy-server")
)


def wait_serving(target: str, timeout: float) -> None:
    from peaje.remote import GrpcEngine

    deadline = time.monotonic() + timeout
    with GrpcEngine(target, timeout=1.0) as engine:
        while time.monotonic() < deadline:
            if engine.check_ready():
                return
            time.sleep(0.05)
    raise RuntimeError(f"peaje-server at {target} not SERVING within {timeout}s")


def start_local_stack(
    stack: ExitStack, server_args: Sequence[str] = (), api_env: Mapping[str, str] | None = None
) -> str:
    """peaje-server and the API (one uvicorn worker) on free 127.0.0.1 ports, stopped when
    `stack` closes; returns the API's URL once it is ready."""
    grpc_target = f"127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [str(SERVER_BIN), "--listen", grpc_target, *server_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.callback(stop_process, server)
    wait_serving(grpc_target, 15)
    port = free_port()
    api = subprocess.Popen(
        api_command("127.0.0.1", port, "peaje.api:app", "--log-level", "warning"),
        env={**os.environ, "PEAJE_GRPC_TARGET": grpc_target, **(api_env or {})},
    )  # fmt: skip
    stack.callback(stop_process, api)
    return wait_http_ready(f"http://127.0.0.1:{port}")


class BenchServers:
    """peaje-server plus optional Toxiproxy rungs; missing tools become notes, not failures."""

    def __init__(self, *, latencies_ms: tuple[int, ...] = (), server_args: tuple[str, ...] = ()):
        self.latencies_ms = latencies_ms
        self.server_args = server_args
        self.targets: dict[str, str] = {}
        self.notes: list[str] = []
        self.server: subprocess.Popen | None = None
        self.toxiproxy: subprocess.Popen | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="peaje-bench-"))

    @property
    def server_pid(self) -> int | None:
        return self.server.pid if self.server else None

    def start(self) -> BenchServers:
        if not SERVER_BIN.is_file():
            self.notes.append(f"gRPC rows skipped: {SERVER_BIN} is missing (run `make build`)")
            return self
        port = free_port()
        socket_path = self.workdir / "peaje.sock"
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 (closed with the process)
        self.server = subprocess.Popen(
            [
                str(SERVER_BIN),
                "--listen",
                f"127.0.0.1:{port}",
                "--listen",
                f"unix:{socket_path}",
                *self.server_args,
            ],
            stdout=log,
            stderr=log,
        )
        log.close()
        tcp, unix = f"127.0.0.1:{port}", f"unix:{socket_path}"
        try:
            wait_serving(tcp, 20.0)
        except RuntimeError:
            self.stop()
            raise
        self.targets.update(tcp=tcp, unix=unix)
        if self.latencies_ms:
            self._start_toxiproxy(port)
        return self

    def _start_toxiproxy(self, upstream_port: int) -> None:
        if not TOXIPROXY_BIN.is_file():
            self.notes.append(
                f"latency rungs skipped: {TOXIPROXY_BIN} is missing "
                "(scripts/install-toxiproxy.sh installs it; it needs Go)"
            )
            return
        api_port = free_port()
        log = open(self.workdir / "toxiproxy.log", "ab")  # noqa: SIM115
        self.toxiproxy = subprocess.Popen(
            [str(TOXIPROXY_BIN), "-host", "127.0.0.1", "-port", str(api_port)],
            stdout=log,
            stderr=log,
        )
        log.close()
        api = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"{api}/version", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.toxiproxy.poll() is not None:
                    self.notes.append("latency rungs skipped: toxiproxy-server did not start")
                    stop_process(self.toxiproxy)
                    self.toxiproxy = None
                    return
                time.sleep(0.05)
        for ms in self.latencies_ms:
            name = f"peaje-{ms}ms"
            listen = f"127.0.0.1:{free_port()}"
            _post(
                f"{api}/proxies",
                {
                    "name": name,
                    "listen": listen,
                    "upstream": f"127.0.0.1:{upstream_port}",
                    "enabled": True,
                },
            )
            # Toxiproxy's latency is whole milliseconds per direction: half each way when even.
            for stream, delay in _split_round_trip(ms):
                _post(
                    f"{api}/proxies/{name}/toxics",
                    {
                        "name": f"latency-{stream}",
                        "type": "latency",
                        "stream": stream,
                        "toxicity": 1.0,
                        "attributes": {"latency": delay, "jitter": 0},
                    },
                )
            target = listen
            wait_serving(target, 10.0)
            self.targets[f"toxiproxy+{ms}ms"] = target

    def stop(self) -> None:
        stop_process(self.toxiproxy)
        stop_process(self.server)
        self.toxiproxy = self.server = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> BenchServers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _split_round_trip(ms: int) -> list[tuple[str, int]]:
    if ms % 2 == 0:
        return [("upstream", ms // 2), ("downstream", ms // 2)]
    return [("downstream", ms)]


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"{}")

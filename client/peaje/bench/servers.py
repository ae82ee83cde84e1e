"""The processes a benchmark run starts, through ``peaje.stack.LocalStack``: peaje-server (TCP on
127.0.0.1 and a Unix socket) and, for the latency rungs, Toxiproxy proxies in front of it. A tool
that is not built becomes a note, not a failure.

    with BenchServers(latencies_ms=(1, 2)) as servers:
        servers.targets   # {"tcp": "127.0.0.1:PORT", "unix": "unix:/tmp/.../peaje.sock",
                          #  "toxiproxy+1ms": "127.0.0.1:PORT2", ...}
        servers.notes     # why a rung is missing, when one is
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack

from peaje.processes import StartFailed, grpc_serving, server_binary, toxiproxy_binary
from peaje.stack import LocalStack


def start_local_stack(
    stack: ExitStack, server_args: Sequence[str] = (), api_env: Mapping[str, str] | None = None
) -> str:
    """peaje-server and the API (one uvicorn worker) on free 127.0.0.1 ports, stopped when
    `stack` closes; returns the API's URL once it is ready."""
    local = LocalStack(server_args=server_args, api=True, api_env=api_env)
    return stack.enter_context(local).api_url


class BenchServers:
    """peaje-server plus optional Toxiproxy rungs; missing tools become notes, not failures."""

    def __init__(self, *, latencies_ms: tuple[int, ...] = (), server_args: tuple[str, ...] = ()):
        self.latencies_ms = latencies_ms
        self.stack = LocalStack(unix=True, server_args=server_args)
        self.targets: dict[str, str] = {}
        self.notes: list[str] = []

    @property
    def server_pid(self) -> int | None:
        return self.stack.server.pid if self.stack.server else None

    def start(self) -> BenchServers:
        try:
            server_binary()
        except StartFailed as e:
            self.notes.append(f"gRPC rows skipped: {e}")
            return self
        self.stack.start()
        self.targets.update(tcp=self.stack.grpc_target, unix=self.stack.unix_target)
        if self.latencies_ms:
            self._start_rungs()
        return self

    def _start_rungs(self) -> None:
        try:
            toxiproxy_binary()
            self.stack.start_toxiproxy()
        except StartFailed as e:
            why = "scripts/install-toxiproxy.sh installs it; it needs Go"
            self.notes.append(f"latency rungs skipped: {str(e).splitlines()[0]} ({why})")
            return
        proxies = self.stack.proxies()
        for ms in self.latencies_ms:
            name = f"peaje-{ms}ms"
            listen = proxies.add_proxy(name, self.stack.grpc_target)
            proxies.add_latency(name, ms)
            if not grpc_serving(listen, timeout=10.0):
                raise StartFailed(f"peaje-server through the {ms} ms proxy is not SERVING")
            self.targets[f"toxiproxy+{ms}ms"] = listen

    def stop(self) -> None:
        self.stack.stop()

    def __enter__(self) -> BenchServers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

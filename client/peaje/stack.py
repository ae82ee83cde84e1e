"""The local stack as processes on 127.0.0.1: peaje-server (TCP and/or a Unix socket), the API
(uvicorn), Toxiproxy and the Locust web UI, as asked. ``LocalStack`` is the one place that builds
their command lines and starts them; ``peaje up``, the report, the load runner and the test
fixtures all go through it.

    with LocalStack(unix=True, api=True) as stack:
        stack.grpc_target, stack.unix_target, stack.api_url   # addresses
        stack.server.kill()                                    # handles (peaje.processes.Service)

``peaje up`` (``make up``) runs it on the well-known ports, prints the URLs and waits; Ctrl-C
(or SIGTERM) stops every process, newest first; if one dies, the others are stopped too.

    python -m peaje.stack [--grpc-port 50051] [--api-port 8000] [--locust-port 8089]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from peaje.processes import (
    HOST,
    Service,
    StartFailed,
    api_command,
    free_port,
    grpc_serving,
    http_ok,
    port_is_free,
    post_json,
    server_binary,
    toxiproxy_binary,
)
from peaje.runs import sigterm_as_interrupt

__all__ = ["HOST", "LocalStack", "StartFailed", "Toxiproxy", "server_command"]


def server_command(*args: str, listen: Sequence[str] = (), binary: Path | None = None) -> list[str]:
    """peaje-server's command line: one --listen per address, then its other flags."""
    flags = [flag for address in listen for flag in ("--listen", address)]
    return [str(binary or server_binary()), *flags, *args]


class Toxiproxy:
    """The HTTP API of a running toxiproxy-server: proxies and their toxics."""

    def __init__(self, api: str) -> None:
        self.api = api

    def add_proxy(self, name: str, upstream: str, listen: str | None = None) -> str:
        """A TCP proxy `listen` -> `upstream`; returns its listen address."""
        listen = listen or f"{HOST}:{free_port()}"
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": True}
        post_json(f"{self.api}/proxies", body)
        return listen

    def add_toxic(
        self, proxy: str, name: str, kind: str, stream: str = "downstream", **attributes: int
    ) -> None:
        body = {"name": name, "type": kind, "stream": stream, "toxicity": 1.0}
        post_json(f"{self.api}/proxies/{proxy}/toxics", {**body, "attributes": attributes})

    def add_latency(self, proxy: str, ms: int) -> None:
        """`ms` whole milliseconds added to the round trip: half each way when even."""
        split = [("upstream", ms // 2), ("downstream", ms // 2)] if ms % 2 == 0 else [
            ("downstream", ms)
        ]  # fmt: skip
        for stream, delay in split:
            self.add_toxic(proxy, f"latency-{stream}", "latency", stream, latency=delay, jitter=0)

    def remove_toxic(self, proxy: str, name: str) -> None:
        post_json(f"{self.api}/proxies/{proxy}/toxics/{name}", None, method="DELETE")

    def set_upstream(self, proxy: str, upstream: str) -> None:
        """Point the proxy elsewhere; Toxiproxy closes the connections it had open."""
        post_json(f"{self.api}/proxies/{proxy}", {"upstream": upstream})


class LocalStack:
    """The processes asked for, started in order (server, Toxiproxy, API, Locust), each waited
    for until ready, and stopped newest first on exit. Ports 0 pick free ones; the addresses are
    known once started. Without ``server``, ``grpc_target`` names an existing one for the API.
    """

    def __init__(
        self,
        *,
        server: bool = True,
        tcp_port: int | None = 0,
        unix: bool = False,
        server_args: Sequence[str] = (),
        grpc_target: str | None = None,
        api: bool = False,
        api_port: int = 0,
        api_env: Mapping[str, str] | None = None,
        api_probe: str = "/readyz",
        api_options: Sequence[str] = (),
        toxiproxy: bool = False,
        locust: bool = False,
        locust_port: int = 0,
        server_bin: Path | None = None,
        workdir: Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.want = {"server": server, "api": api, "toxiproxy": toxiproxy, "locust": locust}
        self.tcp_port, self.unix, self.server_args = tcp_port, unix, tuple(server_args)
        self.api_port, self.api_env, self.api_probe = api_port, dict(api_env or {}), api_probe
        self.api_options = tuple(api_options)  # added to uvicorn's command; a later option wins
        self.locust_port, self.timeout, self.server_bin = locust_port, timeout, server_bin
        self._own_dir = workdir is None
        # Unix socket paths are limited to ~107 bytes: keep the directory short.
        self.workdir = Path(tempfile.mkdtemp(prefix="peaje-stack-")) if workdir is None else workdir
        self.grpc_target = grpc_target or ""
        self.api_url = ""
        self.server: Service | None = None
        self.api: Service | None = None
        self.toxiproxy: Service | None = None
        self.locust: Service | None = None

    # ---- addresses and handles -------------------------------------------------------------

    @property
    def unix_target(self) -> str:
        return f"unix:{self.workdir / 'peaje.sock'}" if self.unix else ""

    @property
    def services(self) -> list[Service]:
        """Started processes, in start order."""
        started = (self.server, self.toxiproxy, self.api, self.locust)
        return [s for s in started if s is not None]

    @property
    def pids(self) -> dict[str, int]:
        """Processes this stack started, by role ("server", "api", ...); external ones are not
        here."""
        roles = {"server": self.server, "toxiproxy": self.toxiproxy, "api": self.api}
        roles["locust"] = self.locust
        return {role: s.pid for role, s in roles.items() if s is not None and s.pid is not None}

    def proxies(self) -> Toxiproxy:
        assert self.toxiproxy is not None, "LocalStack(toxiproxy=True) starts Toxiproxy"
        return Toxiproxy(self.toxiproxy.address)

    # ---- starting ------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        try:
            if self.want["server"]:
                self.start_server()
            if self.want["toxiproxy"]:
                self.start_toxiproxy()
            if self.want["api"]:
                self.start_api()
            if self.want["locust"]:
                self.start_locust()
        except BaseException:
            LocalStack.stop(self)  # every process, whatever a subclass's stop() covers
            raise
        return self

    def start_server(self) -> Service:
        """peaje-server on the TCP port (0: a free one, kept on restarts) and/or the Unix
        socket; ready once health answers SERVING."""
        listen = [f"{HOST}:{self.tcp_port}"] if self.tcp_port is not None else []
        listen += [self.unix_target] if self.unix else []
        service = self.server or Service("peaje-server", [], self.workdir / "server.log")
        service.command = server_command(*self.server_args, listen=listen, binary=self.server_bin)
        # Counted before the start: it may log its start line before we look (restart).
        starts = sum(e.get("event") == "start" for e in service.events())
        self.server = service.start()

        def serving() -> bool:
            started = [e for e in service.events() if e.get("event") == "start"]
            if len(started) <= starts:
                return False
            service.address = started[-1]["listen"][0]
            return grpc_serving(service.address)

        service.wait_ready(serving, "SERVING", self.timeout)
        if self.tcp_port is not None:
            self.tcp_port = int(service.address.rsplit(":", 1)[1])
            self.grpc_target = service.address
        elif not self.grpc_target:
            self.grpc_target = self.unix_target
        return service

    def restart_server(self) -> Service:
        """SIGKILL the server and start it again on the same addresses and flags."""
        if self.server is not None:
            self.server.kill()
        return self.start_server()

    def start_toxiproxy(self) -> Service:
        api = f"http://{HOST}:{free_port()}"
        command = [str(toxiproxy_binary()), "-host", HOST, "-port", api.rsplit(":", 1)[1]]
        self.toxiproxy = Service("toxiproxy", command, self.workdir / "toxiproxy.log", address=api)
        self.toxiproxy.start().wait_ready(lambda: http_ok(f"{api}/version"), "answering", 10)
        return self.toxiproxy

    def start_api(self) -> Service:
        """uvicorn peaje.api:app (one worker), the "grpc" engine pointed at the stack's server
        unless api_env says otherwise; ready once `api_probe` answers 200. Port 0: uvicorn binds
        a free one and logs it ("Uvicorn running on ...", at its default info level), so no
        other process can take the port between choosing and binding it."""
        env = {"PEAJE_GRPC_TARGET": self.grpc_target} if self.grpc_target else {}
        command = api_command(HOST, self.api_port, "peaje.api:app", *self.api_options)
        self.api = Service("api", command, self.workdir / "api.log", {**env, **self.api_env})
        api = self.api

        def ready() -> bool:
            if not api.address:
                bound = re.search(rf"Uvicorn running on (http://{re.escape(HOST)}:\d+)", api.log())
                api.address = bound.group(1) if bound else ""
            return bool(api.address) and http_ok(f"{api.address}{self.api_probe}")

        api.start().wait_ready(ready, f"answering {self.api_probe}", self.timeout)
        self.api_url = api.address
        return api

    def start_locust(self) -> Service:
        from peaje.load.webui import web_ui_command

        port = self.locust_port or free_port()
        command = web_ui_command(self.api_url, self.grpc_target, port=port)
        self.locust = Service("locust", command, self.workdir / "locust.log")
        self.locust.address = url = f"http://{HOST}:{port}"
        self.locust.start().wait_ready(lambda: http_ok(url), "answering", self.timeout)
        return self.locust

    # ---- stopping ------------------------------------------------------------------------------

    def save_logs(self, directory: Path) -> None:
        """Copy the logs of the processes started here (server.log, api.log...) to `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        for log in self.workdir.glob("*.log"):
            shutil.copyfile(log, directory / log.name)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM every process, newest first (SIGKILL past `timeout`); the server's exit code."""
        for service in reversed(self.services):
            if service is not self.server:
                service.stop(timeout)
        code = self.server.stop(max(timeout, 15.0)) if self.server else None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return code

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- peaje up ----------------------------------------------------------------------------------


def banner(stack: LocalStack) -> str:
    api = stack.api_url
    lines = [
        "peaje stack is up (Ctrl-C stops it):",
        f"  gRPC       {stack.grpc_target}   (grpcurl -plaintext ... list)",
        f"  API        {api}",
        f"  docs       {api}/docs",
        f"  metrics    {api}/metrics",
        f"  readiness  {api}/readyz",
        f"  logs       {stack.workdir}/",
    ]
    if stack.locust is not None:
        lines.append(f"  Locust UI  {stack.locust.address}")
    lines.append(
        f"try: curl -s -X POST {api}/v1/native/search -H 'content-type: application/json' "
        "-d '{\"targets\": [66666, -5]}'"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="peaje up", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grpc-port", type=int, default=50051)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--locust-port", type=int, default=8089)
    parser.add_argument("--no-locust", action="store_true", help="skip the Locust web UI")
    parser.add_argument(
        "--server-bin",
        type=Path,
        help="peaje-server (default: $PEAJE_SERVER_BIN, PATH, the build tree)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="start-up limit per process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ports = {"--grpc-port": args.grpc_port, "--api-port": args.api_port}
    if not args.no_locust:
        ports["--locust-port"] = args.locust_port
    busy = [f"{flag} {port}" for flag, port in ports.items() if not port_is_free(port)]
    if busy:
        print(f"peaje up: port in use: {', '.join(busy)} (choose another)", file=sys.stderr)
        return 1
    stack = LocalStack(
        tcp_port=args.grpc_port, api=True, api_port=args.api_port, locust=not args.no_locust,
        locust_port=args.locust_port, server_bin=args.server_bin, timeout=args.timeout,
        workdir=Path(tempfile.mkdtemp(prefix="peaje-up-")),  # kept: the logs outlive the stack
    )  # fmt: skip
    with sigterm_as_interrupt():  # Ctrl-C or SIGTERM: stop every process, newest first
        try:
            return run_until_stopped(stack)
        except KeyboardInterrupt:
            return 0
        except StartFailed as e:
            print(f"peaje up: {e}", file=sys.stderr)
            return 1
        finally:
            stack.stop()
            print("peaje stack stopped.", flush=True)


def run_until_stopped(stack: LocalStack) -> int:
    """Start the stack, print where it is, and watch it: 1 as soon as a process dies."""
    stack.start()
    print(banner(stack), flush=True)
    while True:
        dead = [s for s in stack.services if not s.running()]
        if dead:
            print(f"peaje up: {dead[0].name} exited with {dead[0].process.returncode}; "
                  "stopping the rest", file=sys.stderr)  # fmt: skip
            return 1
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())

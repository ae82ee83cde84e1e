"""The local stack as processes on 127.0.0.1: peaje-server, the API (uvicorn) and the Locust
web UI. Prints the URLs, then waits; Ctrl-C (or SIGTERM) stops all of them, newest first.

    python -m peaje.stack [--grpc-port 50051] [--api-port 8000] [--locust-port 8089]

``make up`` builds first and runs this. If any process dies, the others are stopped too.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from peaje.processes import api_command, stop_process

REPO = Path(__file__).resolve().parents[2]
SERVER_BIN = Path(
    os.environ.get("PEAJE_SERVER_BIN", REPO / "build" / "cmake" / "server" / "peaje-server")
)
HOST = "127.0.0.1"


class StackError(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    command: list[str]
    url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def start(self) -> None:
        # Own session: Ctrl-C reaches only the stack, which then stops children in order.
        self.process = subprocess.Popen(
            self.command, env={**os.environ, **self.env}, start_new_session=True
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        stop_process(self.process, timeout)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_until(child: Child, ready, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            raise StackError(f"{child.name} exited with {child.process.returncode} before {what}")
        if ready():
            return
        time.sleep(0.1)
    raise StackError(f"{child.name}: not {what} within {timeout:.0f}s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def grpc_serving(target: str) -> bool:
    from peaje.remote import GrpcEngine

    with GrpcEngine(target, timeout=1.0) as engine:
        return engine.check_ready()


def build_children(args: argparse.Namespace) -> list[Child]:
    grpc_target = f"{HOST}:{args.grpc_port}"
    api_url = f"http://{HOST}:{args.api_port}"
    children = [
        Child("peaje-server", [str(args.server_bin), "--listen", grpc_target], grpc_target),
        Child(
            "api",
            api_command(HOST, args.api_port),
            api_url,
            env={"PEAJE_GRPC_TARGET": grpc_target},
        ),  # fmt: skip
    ]
    if not args.no_locust:
        from peaje.load.webui import web_ui_command

        command = web_ui_command(api_url, grpc_target, port=args.locust_port)
        children.append(Child("locust", command, f"http://{HOST}:{args.locust_port}"))
    return children


def start(children: list[Child], timeout: float) -> None:
    server, api, *rest = children
    server.start()
    wait_until(server, lambda: grpc_serving(server.url), "SERVING", timeout)
    api.start()
    wait_until(api, lambda: http_ok(f"{api.url}/readyz"), "ready", timeout)
    for child in rest:
        child.start()
        wait_until(child, lambda c=child: http_ok(c.url), "answering", timeout)


def banner(children: list[Child]) -> str:
    by_name = {c.name: c.url for c in children}
    api = by_name["api"]
    lines = [
        "peaje stack is up (Ctrl-C stops it):",
        f"  gRPC       {by_name['peaje-server']}   (grpcurl -plaintext ... list)",
        f"  API        {api}",
        f"  docs       {api}/docs",
        f"  metrics    {api}/metrics",
        f"  readiness  {api}/readyz",
    ]
    if "locust" in by_name:
        lines.append(f"  Locust UI  {by_name['locust']}")
    lines.append(
        f"try: curl -s -X POST {api}/v1/native/search -H 'content-type: application/json' "
        "-d '{\"targets\": [66666, -5]}'"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje up", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grpc-port", type=int, default=50051)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--locust-port", type=int, default=8089)
    parser.add_argument("--no-locust", action="store_true", help="skip the Locust web UI")
    parser.add_argument("--server-bin", type=Path, default=SERVER_BIN)
    parser.add_argument("--timeout", type=float, default=30.0, help="start-up limit per process")
    args = parser.parse_args(argv)

    if not args.server_bin.is_file():
        print(f"peaje up: {args.server_bin} is missing: run `make build`", file=sys.stderr)
        return 1
    ports = {"--grpc-port": args.grpc_port, "--api-port": args.api_port}
    if not args.no_locust:
        ports["--locust-port"] = args.locust_port
    busy = [f"{flag} {port}" for flag, port in ports.items() if not port_is_free(port)]
    if busy:
        print(f"peaje up: port in use: {', '.join(busy)} (choose another)", file=sys.stderr)
        return 1

    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children = build_children(args)
    status = 0
    try:
        start(children, args.timeout)
        print(banner(children), flush=True)
        while not stopping:
            dead = [c for c in children if not c.running()]
            if dead:
                print(f"peaje up: {dead[0].name} exited with {dead[0].process.returncode}; "
                      "stopping the rest", file=sys.stderr)  # fmt: skip
                status = 1
                break
            time.sleep(0.2)
    except StackError as e:
        print(f"peaje up: {e}", file=sys.stderr)
        status = 1
    finally:
        for child in reversed(children):
            child.stop()
        print("peaje stack stopped.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

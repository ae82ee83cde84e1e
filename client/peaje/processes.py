"""The processes peaje's tools start, one way: where a binary is (its environment variable, then
PATH, then the build tree of the checkout), free loopback ports, a started process as a handle
(``Service``), one readiness wait, and a stop that always ends the process. ``peaje.stack``
composes them into the local stack; nothing else starts peaje-server, uvicorn or Toxiproxy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

HOST = "127.0.0.1"


class StartFailed(RuntimeError):
    """A process of the stack could not be found, exited, or was not ready in time."""


# ---- where things are -------------------------------------------------------------------------


def _is_checkout(directory: Path) -> bool:
    try:
        project = tomllib.loads((directory / "pyproject.toml").read_text()).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return project.get("name") == "peaje"


@cache
def find_repo() -> Path | None:
    """The peaje checkout: $PEAJE_REPO, else the first directory holding peaje's pyproject.toml
    above the working directory or above this package (an editable install lives inside its
    checkout). None for a package installed apart from any checkout."""
    if os.environ.get("PEAJE_REPO"):
        return Path(os.environ["PEAJE_REPO"]).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for directory in (start, *start.parents):
            if _is_checkout(directory):
                return directory
    return None


def results_root() -> Path:
    """Where runs write results/ by default: the checkout's, else the working directory's."""
    return (find_repo() or Path.cwd()) / "results"


def find_binary(name: str, env_var: str, in_checkout: str) -> Path:
    """$env_var, else `name` on PATH, else `in_checkout` under the checkout; StartFailed (saying
    where it looked) when none is a file."""
    tried = []
    if os.environ.get(env_var):
        path = Path(os.environ[env_var])
        if path.is_file():
            return path
        tried.append(f"${env_var}={path}")
    else:
        tried.append(f"${env_var} (unset)")
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    tried.append(f"{name} on PATH")
    repo = find_repo()
    if repo is not None and (repo / in_checkout).is_file():
        return repo / in_checkout
    tried.append(str(repo / in_checkout) if repo else "no peaje checkout above the cwd")
    raise StartFailed(f"{name} not found (looked at {'; '.join(tried)}): run `make build`")


def server_binary() -> Path:
    return find_binary("peaje-server", "PEAJE_SERVER_BIN", "build/cmake/server/peaje-server")


def toxiproxy_binary() -> Path:
    return find_binary("toxiproxy-server", "PEAJE_TOXIPROXY_BIN", ".tools/bin/toxiproxy-server")


# The API's server: uvicorn on its fast parts, named so a missing uvloop or httptools fails at
# start-up instead of falling back to the pure-Python loop and parser (measured in
# peaje.bench.http_rps). compose.yaml's api commands say the same.
API_SERVER_OPTIONS = (
    "--loop", "uvloop", "--http", "peaje.api.uvicorn_http:HttpToolsProtocol", "--no-access-log",
)  # fmt: skip


def api_command(host: str, port: int, app: str = "peaje.api:app", *extra: str) -> list[str]:
    """The command line that serves `app` (default: the API) on host:port."""
    return [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port),
            *API_SERVER_OPTIONS, *extra]  # fmt: skip


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


# ---- a started process --------------------------------------------------------------------------


def stop_process(process: subprocess.Popen | None, timeout: float = 10.0) -> int | None:
    """SIGTERM (the servers drain on it), then SIGKILL if it overstays `timeout`. The exit code
    (None when there was no process)."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


# Runs `argv[1:]` in place (same pid) after asking the kernel to SIGTERM it when its starter
# dies (killed, timed out), so no server outlives the run that started it. Not a preexec_fn:
# that makes subprocess fork() instead of vfork(), and grpcio's fork handlers then run in the
# child of a process holding gRPC channels, where they were seen to abort it before exec
# ("ev_epoll1_linux.cc Check failed: wakeup_fd_->Wakeup().ok()", cf. grpc/grpc#43157).
DIE_WITH_PARENT = [
    sys.executable, "-c",
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
    "os.execvp(sys.argv[1], sys.argv[1:])",
]  # fmt: skip


@dataclass
class Service:
    """One started process of the stack: its handle, where it answers, and its log file."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    address: str = ""  # "127.0.0.1:PORT" for peaje-server, "http://..." for the HTTP ones
    cwd: Path | None = None
    process: subprocess.Popen | None = None

    def start(self) -> Service:
        # Own session: a Ctrl-C meant for the starter reaches only it, which stops us in order.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*DIE_WITH_PARENT, *self.command] if sys.platform == "linux" else self.command,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.cwd,
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def events(self) -> list[dict]:
        """The JSON lines of the log (peaje-server logs one per event: start, stop, ...)."""
        return [json.loads(line) for line in self.log().splitlines() if line.startswith("{")]

    def send_signal(self, signum: int) -> None:
        if self.running():
            self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL, no drain: a crash as the others see it."""
        if self.running():
            self.process.kill()
            self.process.wait()

    def stop(self, timeout: float = 10.0) -> int | None:
        return stop_process(self.process, timeout)

    def wait_ready(self, ready: Callable[[], bool], what: str, timeout: float) -> Service:
        """Poll `ready` until true; StartFailed (with the log's tail) if the process exits first
        or `timeout` passes. The one readiness loop of every process the stack starts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                code = self.process.returncode if self.process else None
                raise StartFailed(f"{self.name} exited with {code} before {what}:\n{self.tail()}")
            if ready():
                return self
            time.sleep(0.05)
        self.kill()
        raise StartFailed(f"{self.name}: not {what} within {timeout:.0f}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


# ---- readiness probes ----------------------------------------------------------------------------


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """True when GET `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def http_ready(url: str, timeout: float = 1.0) -> bool:
    """True when the API at `url` answers /readyz with 200."""
    return http_ok(f"{url}/readyz", timeout)


def grpc_serving(target: str, timeout: float = 1.0) -> bool:
    """True when the gRPC health service at `target` answers SERVING."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return response.status == health_pb2.HealthCheckResponse.SERVING


def post_json(url: str, body: dict | None, method: str = "POST") -> dict:
    """A small JSON call (Toxiproxy's API); raises on any HTTP error."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"{}")

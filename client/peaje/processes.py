"""Helpers for the processes peaje's tools start (peaje-server, the API, Toxiproxy): where the
server binary is, free loopback ports, readiness, and a stop that always ends the process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER_BIN = Path(
    os.environ.get("PEAJE_SERVER_BIN", REPO / "build" / "cmake" / "server" / "peaje-server")
)


# The API's server: uvicorn on its fast parts, named so a missing uvloop or httptools fails at
# start-up instead of falling back to the pure-Python loop and parser (measured in
# peaje.bench.http_rps). compose.yaml's api commands say the same.
API_SERVER_OPTIONS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")


def api_command(host: str, port: int, app: str = "peaje.api:app", *extra: str) -> list[str]:
    """The command line that serves `app` (default: the API) on host:port."""
    return [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port),
            *API_SERVER_OPTIONS, *extra]  # fmt: skip


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def http_ready(url: str, timeout: float = 1.0) -> bool:
    """True when the API at `url` answers /readyz with 200."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_http_ready(url: str, timeout: float = 30.0) -> str:
    """Waits until the API at `url` is ready; returns `url`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_ready(url):
            return url
        time.sleep(0.1)
    raise RuntimeError(f"the API at {url} did not become ready within {timeout}s")

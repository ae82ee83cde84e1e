"""The compose stack as the deploy tests drive it: the compose command, its containers, health."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "build" / "deploy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def stop_dockerd(pidfile: Path = Path("/var/run/docker.pid"), timeout: float = 30) -> None:
    """Stops the dockerd that scripts/docker-env.sh started, by the pid it wrote."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    subprocess.run(["kill", "-TERM", str(pid)], check=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.5)


def compose_command() -> list[str]:
    """What scripts/docker-env.sh chose (it also starts dockerd and builds the base image)."""
    result = subprocess.run(
        [str(REPO / "scripts" / "docker-env.sh")], capture_output=True, text=True, check=False
    )
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        pytest.fail(f"scripts/docker-env.sh failed ({result.returncode}):\n{result.stderr}")
    return shlex.split(result.stdout.strip().splitlines()[-1])


@dataclass
class Stack:
    compose: list[str]
    project: str
    env: dict[str, str]
    api_url: str
    locust_url: str
    latency_url: str
    events: list[str] = field(default_factory=list)

    def run(self, *args: str, check: bool = True, timeout: float = 900, **kw):
        command = [*self.compose, "-p", self.project, "-f", str(REPO / "compose.yaml"), *args]
        self.events.append(" ".join(command))
        result = subprocess.run(
            command, cwd=REPO, env=self.env, text=True, capture_output=True, timeout=timeout, **kw
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def containers(self, service: str) -> list[str]:
        """Running containers of one service, oldest first."""
        out = subprocess.run(
            ["docker", "ps", "-q",
             "--filter", f"label=com.docker.compose.project={self.project}",
             "--filter", f"label=com.docker.compose.service={service}"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        return sorted(out, key=lambda c: inspect(c)["Created"])

    def wait_healthy(self, services: list[str], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {}
            for service in services:
                ids = self.containers(service)
                if not ids:
                    states[service] = "absent"
                for cid in ids:
                    state = inspect(cid)["State"]
                    states[f"{service}/{cid[:12]}"] = state.get("Health", {}).get(
                        "Status", state["Status"]
                    )
            if states and all(s == "healthy" for s in states.values()):
                return
            if any(s in ("unhealthy", "exited", "dead") for s in states.values()):
                break
            time.sleep(1)
        raise AssertionError(f"not healthy: {states}\n{self.run('logs', '--tail', '50').stdout}")


def inspect(container: str) -> dict:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)[0]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s")

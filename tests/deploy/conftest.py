"""The compose stack under test: built, started and health-checked once, always torn down.

Runs the real thing (compose.yaml, real images, a real dockerd), on free 127.0.0.1 ports and
under its own project name, so a `docker compose up` of the user's is left alone.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from compose_stack import (
    LOGS,
    Stack,
    compose_command,
    docker_answers,
    free_port,
    stop_dockerd,
    wait_http,
)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    api_port, locust_port, latency_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.update(
        PEAJE_API_PORT=str(api_port),
        PEAJE_LOCUST_PORT=str(locust_port),
        PEAJE_API_LATENCY_PORT=str(latency_port),
        PEAJE_BUILD_JOBS=os.environ.get("PEAJE_BUILD_JOBS", "2"),
        COMPOSE_PROFILES="latency",
    )
    dockerd_was_running = docker_answers()
    stack = Stack(
        compose=compose_command(),
        project=f"peaje-test-{uuid.uuid4().hex[:8]}",
        env=env,
        api_url=f"http://127.0.0.1:{api_port}",
        locust_url=f"http://127.0.0.1:{locust_port}",
        latency_url=f"http://127.0.0.1:{latency_port}",
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        build = stack.run("build", timeout=3600)
        (LOGS / "compose-build.log").write_text(build.stdout + build.stderr)
        print(f"\ncompose build: {time.monotonic() - started:.0f}s", file=sys.stderr)
        stack.run("up", "-d")
        stack.wait_healthy(["server", "api", "locust", "toxiproxy", "api-latency"])
        wait_http(stack.api_url + "/readyz")
        yield stack
    finally:
        logs = stack.run("logs", "--no-color", "--timestamps", check=False, timeout=120)
        (LOGS / "compose-test.log").write_text(logs.stdout + logs.stderr)
        stack.run("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)
        if not dockerd_was_running:
            stop_dockerd()  # the test started it (scripts/docker-env.sh); leave none behind

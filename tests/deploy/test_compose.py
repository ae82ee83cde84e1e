"""`docker compose up` for real: hardening, the HTTP contract suite against the containerised
API, a headless Locust run with compose workers, two server replicas sharing the load, and one
replica stopped under load. `make test-compose` runs this (it needs dockerd: see
scripts/docker-env.sh); `make test` skips it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import pytest
from compose_stack import REPO, Stack, inspect, wait_http

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("PEAJE_TEST_COMPOSE") != "1",
        reason="container tests run with `make test-compose` (PEAJE_TEST_COMPOSE=1)",
    ),
    # The first test also waits for a cold image build (minutes on two cores).
    pytest.mark.timeout(3600),
]

SEARCH = {"dataset": "range:100000", "targets": list(range(0, 100_000, 997)), "repeat": 1}


def grpc_search(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/grpc/search", json=SEARCH)


def test_containers_are_hardened(stack: Stack) -> None:
    for service in ("server", "api", "locust", "locust-worker", "toxiproxy"):
        for cid in stack.containers(service):
            host = inspect(cid)["HostConfig"]
            config = inspect(cid)["Config"]
            assert host["ReadonlyRootfs"], service
            assert host["CapDrop"] == ["ALL"], service
            assert "no-new-privileges:true" in host["SecurityOpt"], service
            assert config["User"] == "10001:10001", service
            for bindings in (host.get("PortBindings") or {}).values():
                assert all(b["HostIp"] == "127.0.0.1" for b in bindings), (service, bindings)
    # Only the API(s) and the Locust UI are published.
    published = {
        service
        for service in ("server", "api", "locust", "locust-worker", "toxiproxy", "api-latency")
        for cid in stack.containers(service)
        if inspect(cid)["HostConfig"].get("PortBindings")
    }
    assert published == {"api", "locust", "api-latency"}


def test_http_contract_suite_against_the_container(stack: Stack) -> None:
    """The contract suite, unchanged, for every engine behind the containerised API."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/contract",
         "-k", "http-python or http-native or http-grpc"],
        cwd=REPO, env={**os.environ, "PEAJE_API_URL": stack.api_url},
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_grpc_time_breakdown_across_the_container_network(stack: Stack) -> None:
    """engine_ns - server_ns is the network + serialization toll; the latency profile adds its
    toxic to it, and nothing to the server's own time."""
    rows = {}
    for name, url in (("direct", stack.api_url), ("toxiproxy", stack.latency_url)):
        with httpx.Client(base_url=url, timeout=10) as client:
            samples = []
            for _ in range(50):
                response = client.post("/v1/grpc/search", json={"targets": [66666]})
                assert response.status_code == 200, response.text
                body = response.json()
                samples.append((body["engine_ns"], body["server_ns"]))
        samples.sort()
        engine_ns, server_ns = samples[len(samples) // 2]
        rows[name] = (engine_ns, server_ns)
        print(f"{name}: engine {engine_ns / 1e3:.0f} µs, server {server_ns / 1e3:.1f} µs, "
              f"network+serialization {(engine_ns - server_ns) / 1e3:.0f} µs")  # fmt: skip
    latency_ms = float(stack.env.get("PEAJE_TOXIC_LATENCY_MS", "5"))
    assert rows["toxiproxy"][0] - rows["direct"][0] > latency_ms * 1e6 * 0.8


def test_headless_locust_with_compose_workers(stack: Stack) -> None:
    """A bounded headless run: the compose `locust` service as master, two `locust-worker`s."""
    stack.run("stop", "locust-worker", "locust")
    master = subprocess.Popen(
        [*stack.compose, "-p", stack.project, "-f", str(REPO / "compose.yaml"),
         "run", "--rm", "-T", "--no-deps", "--use-aliases", "locust",
         "locust", "-f", "/opt/peaje/locustfile.py", "--master", "--headless",
         "--host", "http://api:8000", "--tags", "mix", "--expect-workers", "2",
         "--expect-workers-max-wait", "60",
         "-u", "4", "-r", "4", "-t", "10s", "--stop-timeout", "5", "--only-summary", "--json",
         "--peaje-user-rate", "50",
         "NativeHttpUser", "GrpcHttpUser", "GrpcUser"],
        cwd=REPO, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(3)  # the master listens before the workers look for it
        stack.run("up", "-d", "--no-deps", "--scale", "locust-worker=2", "locust-worker")
        out, err = master.communicate(timeout=120)
    finally:
        if master.poll() is None:
            master.kill()
            master.communicate()
    stats = json.loads(out[out.index("[") :])
    print(err[-2000:])
    assert master.returncode == 0, err[-3000:]
    by_path = Counter()
    for row in stats:
        assert row["num_failures"] == 0, row
        by_path[row["method"]] += row["num_requests"]
    # --expect-workers 2 with a max wait: a zero exit means both workers took part.
    assert by_path["POST"] > 0 and by_path["grpc"] > 0, by_path


def rx_bytes(container: str) -> int:
    """Bytes the container received on its network interface (health checks use loopback)."""
    out = subprocess.run(
        ["docker", "exec", container, "cat", "/proc/net/dev"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(
        int(line.split(":", 1)[1].split()[0])
        for line in out.splitlines()
        if ":" in line and not line.strip().startswith("lo:")
    )


@pytest.fixture(scope="module")
def replicas(stack: Stack) -> list[str]:
    """Two server replicas, and an API that has looked both up."""
    stack.run("up", "-d", "--no-deps", "--no-recreate", "--scale", "server=2", "server")
    stack.wait_healthy(["server"])
    # gRPC's DNS resolver looks the name up again only when a connection drops, so a running
    # API learns of a new replica on its next start (or when a server's connection ages out).
    stack.run("restart", "api")
    stack.wait_healthy(["api"])
    wait_http(stack.api_url + "/readyz")
    found = stack.containers("server")
    assert len(found) == 2
    return found


def test_two_server_replicas_both_serve(stack: Stack, replicas: list[str]) -> None:
    """The API balances over every replica (gRPC round_robin over the DNS name's addresses)."""
    before = {cid: rx_bytes(cid) for cid in replicas}
    with httpx.Client(base_url=stack.api_url, timeout=10) as client:
        for _ in range(200):
            assert grpc_search(client).status_code == 200
    received = {cid[:12]: rx_bytes(cid) - before[cid] for cid in replicas}
    print("bytes received per replica:", received)
    total = sum(received.values())
    assert all(r > total * 0.2 for r in received.values()), (
        f"one replica took the calls ({received}): the API's gRPC channel is not balancing; "
        'it needs ("grpc.lb_policy_name", "round_robin") in its channel options'
    )


def test_stopping_a_replica_under_load_keeps_the_api_answering(
    stack: Stack, replicas: list[str]
) -> None:
    """SIGTERM drains one replica while four clients keep calling. Before and after the stop
    every call succeeds; while it drains, a call racing the replica's shutdown may get the
    mapped 503 (backend down, with Retry-After), never anything else, and only rarely."""
    statuses: list[tuple[float, int]] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=stack.api_url, timeout=10) as client:
            while not stop.is_set():
                try:
                    status = grpc_search(client).status_code
                except httpx.HTTPError:
                    status = 0
                statuses.append((time.monotonic(), status))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        # Stop the replica carrying the most traffic (the only one, were the API not balancing).
        before = {cid: rx_bytes(cid) for cid in replicas}
        time.sleep(2)
        victim = max(replicas, key=lambda cid: rx_bytes(cid) - before[cid])
        stopped_at = time.monotonic()
        subprocess.run(["docker", "stop", "-t", "15", victim], check=True, capture_output=True)
        stop_done = time.monotonic()
        time.sleep(4)
    finally:
        stop.set()
        for t in threads:
            t.join()
    after = [s for when, s in statuses if when > stop_done]
    during = [s for when, s in statuses if stopped_at <= when <= stop_done]
    print(f"{len(statuses)} calls; during stop {Counter(during)}; after {Counter(after)}")
    assert after and all(s == 200 for s in after), Counter(after)
    outside = [s for when, s in statuses if not stopped_at <= when <= stop_done]
    assert all(s == 200 for s in outside), Counter(outside)
    assert set(during) <= {200, 503}, Counter(during)
    assert during.count(503) <= max(1, len(during) // 100), Counter(during)
    assert stack.containers("server") == [cid for cid in replicas if cid != victim]

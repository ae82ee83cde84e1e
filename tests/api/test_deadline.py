"""One deadline for every engine call (PEAJE_TIMEOUT): a request for 10^9 searches on resident
data answers 504 at the deadline on every in-process engine, /healthz keeps answering within a
second meanwhile, the work stops, and a dataset is never built on the event loop."""

from __future__ import annotations

import threading
import time

import httpx
import psutil
import pytest

from peaje.api.engines import takes_timeout
from peaje.engine import engine

from fixtures.http_engine import ApiProcess, closed_port

DEADLINE = 1.0
# 1,000 targets x 1,000,000 passes: 10^9 searches, the most one call may ask for.
BILLION = {"dataset": "range:100000", "targets": list(range(0, 100_000, 100)), "repeat": 1_000_000}


@pytest.fixture
def impatient():
    """An API with a 1 s deadline, killed afterwards: an engine without timeout= would leave
    its thread searching for minutes, and a graceful stop would wait for it."""
    env = {"PEAJE_TIMEOUT": str(DEADLINE), "PEAJE_GRPC_TARGET": f"127.0.0.1:{closed_port()}"}
    with ApiProcess(env) as api:
        yield api
        api.process.kill()


def health_latencies(url: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            start = time.monotonic()
            assert client.get("/healthz").status_code == 200
            out.append(time.monotonic() - start)
            time.sleep(0.05)


def cpu_seconds(pid: int, seconds: float) -> float:
    """CPU time the process burns over the next `seconds`."""
    process = psutil.Process(pid)
    before = sum(process.cpu_times()[:2])
    time.sleep(seconds)
    return sum(process.cpu_times()[:2]) - before


@pytest.mark.parametrize("name", ["python", "native", "nanobind", "cython"])
def test_a_billion_searches_is_504_at_the_deadline_and_health_answers_meanwhile(impatient, name):
    # The dataset is resident first: what is timed is the search, not the build.
    assert httpx.post(f"{impatient.url}/v1/{name}/search", json={"targets": [1]}).status_code == 200
    stop, latencies = threading.Event(), []
    prober = threading.Thread(target=health_latencies, args=(impatient.url, stop, latencies))
    prober.start()
    try:
        start = time.monotonic()
        response = httpx.post(f"{impatient.url}/v1/{name}/search", json=BILLION, timeout=60)
        elapsed = time.monotonic() - start
    finally:
        stop.set()
        prober.join()
    assert response.status_code == 504, response.text
    problem = response.json()
    assert problem["type"] == "urn:peaje:problem:deadline-exceeded"
    assert DEADLINE <= elapsed < DEADLINE + 1.5, elapsed
    assert len(latencies) >= 5 and max(latencies) < 1.0, latencies
    print(f"{name}: 504 after {elapsed:.2f}s; /healthz max {max(latencies) * 1e3:.0f} ms")


@pytest.mark.parametrize("name", ["python", "native", "nanobind", "cython"])
def test_the_work_stops_at_the_deadline(impatient, name):
    assert takes_timeout(engine(name).search), f"the API would not pass {name} its deadline"
    response = httpx.post(f"{impatient.url}/v1/{name}/search", json=BILLION, timeout=60)
    assert response.status_code == 504, response.text
    time.sleep(0.5)  # the engine checks its deadline between slices of work
    burnt = cpu_seconds(impatient.process.pid, 1.0)
    assert burnt < 0.3, f"{burnt:.2f} CPU-seconds in the second after the 504: still working"


def test_a_dataset_is_built_off_the_event_loop(impatient):
    """Building the python engine's largest dataset takes about a second of pure Python; it
    runs in a worker thread, so /healthz answers meanwhile (or the build meets the deadline)."""
    stop, latencies = threading.Event(), []
    prober = threading.Thread(target=health_latencies, args=(impatient.url, stop, latencies))
    prober.start()
    try:
        for spec in ("range:10000000:3", "range:9999999:7"):
            response = httpx.post(
                f"{impatient.url}/v1/python/search", json={"dataset": spec, "targets": [6]}
            )
            assert response.status_code in (200, 504), response.text
    finally:
        stop.set()
        prober.join()
    assert max(latencies) < 0.5, latencies


def test_grpc_timeout_is_still_read_as_the_deadline():
    env = {"PEAJE_GRPC_TIMEOUT": "0.5", "PEAJE_GRPC_TARGET": f"127.0.0.1:{closed_port()}"}
    with ApiProcess(env) as api:
        start = time.monotonic()
        response = httpx.post(f"{api.url}/v1/python/search", json=BILLION, timeout=60)
        assert response.status_code == 504 and time.monotonic() - start < 2.0, response.text

"""Overload at the HTTP front: past PEAJE_MAX_IN_FLIGHT engine requests in flight, the API sheds
at once with 503 problem+json and Retry-After (PEAJE_RETRY_AFTER_SECONDS) instead of queueing,
while /healthz, /readyz and /metrics keep answering and admitted requests complete."""

from __future__ import annotations

import asyncio
import time

import httpx

from fixtures.http_engine import ApiProcess, closed_port

# ~10k searches per pass: a few tens of milliseconds of native work per request, in a thread.
HEAVY = {"dataset": "range:100000", "targets": list(range(0, 100_000, 100)), "repeat": 100}


async def burst(url: str, n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post("/v1/native/search", json=HEAVY) for _ in range(n))
        )


def test_excess_requests_are_shed_with_503_and_retry_after_and_health_still_answers():
    env = {
        "PEAJE_MAX_IN_FLIGHT": "2",
        "PEAJE_RETRY_AFTER_SECONDS": "3",
        "PEAJE_GRPC_TARGET": f"127.0.0.1:{closed_port()}",
    }
    with ApiProcess(env) as api:
        responses = asyncio.run(burst(api.url, 24))
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {200, 503}, statuses
        assert statuses.count(200) >= 2 and statuses.count(503) >= 1, statuses
        for response in responses:
            if response.status_code == 503:
                assert response.headers["retry-after"] == "3"
                assert response.headers["content-type"] == "application/problem+json"
                problem = response.json()
                assert problem["type"] == "urn:peaje:problem:unavailable"
                assert "overloaded" in problem["detail"]
            else:
                assert len(response.json()["indices"]) == len(HEAVY["targets"])
        with httpx.Client(base_url=api.url, timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            assert "peaje_http_requests" in client.get("/metrics").text
        # Nothing left in flight: the next request is admitted.
        time.sleep(0.2)
        assert httpx.post(f"{api.url}/v1/native/search", json=HEAVY, timeout=30).status_code == 200


def test_no_limit_when_set_to_zero():
    env = {"PEAJE_MAX_IN_FLIGHT": "0", "PEAJE_GRPC_TARGET": f"127.0.0.1:{closed_port()}"}
    with ApiProcess(env) as api:
        responses = asyncio.run(burst(api.url, 12))
        assert [r.status_code for r in responses] == [200] * 12

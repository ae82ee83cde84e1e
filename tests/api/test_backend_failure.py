"""Killing the gRPC server: /v1/grpc/* turns 503 within the deadline while the in-process
engines keep answering, and grpc answers again once the server is back, with no API restart."""

from __future__ import annotations

import signal
import time

import httpx

from fixtures.grpc_server import ServerProcess
from fixtures.http_engine import ApiProcess

DEADLINE = 2.0
SEARCH = {"dataset": "range:1000", "targets": [7, 1000]}


def test_grpc_down_is_503_in_time_native_keeps_answering_and_grpc_recovers():
    with ServerProcess() as server:
        env = {"PEAJE_GRPC_TARGET": server.tcp_target, "PEAJE_GRPC_TIMEOUT": str(DEADLINE)}
        with ApiProcess(env) as api, httpx.Client(base_url=api.url, timeout=30) as client:
            assert client.post("/v1/grpc/search", json=SEARCH).json()["indices"] == [7, -1]

            server.kill()  # SIGKILL: no goodbye, the channel finds out on its own
            start = time.monotonic()
            response = client.post("/v1/grpc/search", json=SEARCH)
            elapsed = time.monotonic() - start
            assert response.status_code == 503, response.text
            assert response.json()["type"] == "urn:peaje:problem:unavailable"
            assert elapsed < DEADLINE + 0.5
            assert client.post("/v1/grpc/bytes-dict", json={"entries": {}}).status_code == 503
            for engine in ("native", "python"):
                response = client.post(f"/v1/{engine}/search", json=SEARCH)
                assert response.status_code == 200 and response.json()["indices"] == [7, -1]
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["engines"]["native"] == "ready"

            server.start()  # the same port again
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                response = client.post("/v1/grpc/search", json=SEARCH)
                if response.status_code == 200:
                    break
                assert response.status_code == 503, response.text
                time.sleep(0.1)
            assert response.status_code == 200 and response.json()["indices"] == [7, -1]
            assert client.get("/readyz").status_code == 200
            assert api.process.poll() is None  # the same API process throughout
            # SIGTERM: the lifespan closes the channel, then uvicorn re-raises the signal.
            assert api.stop() in (0, -signal.SIGTERM)
            assert "Application shutdown complete" in api.log(), api.log()

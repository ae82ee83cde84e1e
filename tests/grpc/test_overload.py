"""Overload at peaje-server: a call past the --threads cap is refused at once with UNAVAILABLE
"server busy" and the standard grpc-retry-pushback-ms trailer; the grpc engine raises
peaje.Overloaded (a peaje.Unavailable, never the 'too large' of RESOURCE_EXHAUSTED) carrying the
server's retry delay, and the HTTP front answers 503 with that Retry-After."""

from __future__ import annotations

import threading
import time

import grpc
import httpx
import pytest

import peaje
from peaje.v1 import peaje_pb2, peaje_pb2_grpc

from fixtures.grpc_server import ServerProcess
from fixtures.http_engine import ApiProcess

DATASET = "range:100000"
TARGETS = list(range(0, 100_000, 100))


def busy_server(server: ServerProcess, seconds: float) -> list[threading.Thread]:
    """Occupies both of the server's call threads (--threads 2) for about `seconds`."""
    engine = peaje.engine("grpc", target=server.tcp_target, timeout=60)
    start = time.perf_counter()
    engine.search(DATASET, TARGETS, repeat=100)
    repeat = max(1, int(seconds / ((time.perf_counter() - start) / 100)))
    threads = [
        threading.Thread(target=engine.search, args=(DATASET, TARGETS), kwargs={"repeat": repeat})
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.4)  # both call threads are busy now
    return threads


def test_busy_server_sends_pushback_and_the_engine_raises_overloaded():
    with ServerProcess(args=("--threads", "2")) as server:
        threads = busy_server(server, 3.0)
        with grpc.insecure_channel(server.tcp_target) as channel:
            stub = peaje_pb2_grpc.PeajeStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                stub.Search(peaje_pb2.SearchRequest(dataset=DATASET, targets=[1]), timeout=10)
        error = raised.value
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert "server busy" in error.details()
        pushback = dict(error.trailing_metadata() or ())
        assert int(pushback["grpc-retry-pushback-ms"]) > 0

        with peaje.engine("grpc", target=server.tcp_target, timeout=10) as engine:
            with pytest.raises(peaje.Overloaded) as overloaded:
                engine.search(DATASET, [1])
        assert isinstance(overloaded.value, peaje.Unavailable)
        assert overloaded.value.retry_after > 0
        for thread in threads:
            thread.join(60)


def test_api_answers_503_with_the_servers_retry_after():
    with ServerProcess(args=("--threads", "2")) as server:
        with ApiProcess({"PEAJE_GRPC_TARGET": server.tcp_target}) as api:
            threads = busy_server(server, 3.0)
            response = httpx.post(
                f"{api.url}/v1/grpc/search", json={"dataset": DATASET, "targets": [1]}, timeout=30
            )
            for thread in threads:
                thread.join(60)
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
            assert "server busy" in response.json()["detail"]

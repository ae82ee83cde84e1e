"""Slow clients cannot hold the front: a body must arrive within PEAJE_BODY_TIMEOUT (else 408 and
the connection closed), a request holds an in-flight slot only once its body is read, and
/readyz says when the front sheds. Under h11 and httptools alike (the middleware owns both)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from peaje.load import slow_clients

from fixtures.http_engine import ApiProcess, closed_port

HTTP_IMPLEMENTATIONS = ["h11", "httptools"]


def front_with(http: str, grpc_target: str, **settings: str) -> ApiProcess:
    """The API with uvicorn's ``http`` parser (the default command's --http, overridden)."""
    env = {"PEAJE_GRPC_TARGET": grpc_target}
    env |= {f"PEAJE_{name.upper()}": value for name, value in settings.items()}
    return ApiProcess(env, options=("--http", http))


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
def test_slow_bodies_get_408_and_ordinary_requests_are_still_served(http, grpc_server):
    """The issue's attack, scaled to a cap of 8: 40 connections trickling a 19-byte body over
    3 s. Before the fix every ordinary request got 503 while they uploaded."""
    with front_with(http, grpc_server.tcp_target, max_in_flight="8", body_timeout="1.5") as api:
        result = asyncio.run(slow_clients.attack(api.url, slow=40, seconds=3.0, requests=12))
        print(json.dumps(result))
        assert result["ordinary"] == {"200": 12}, result
        assert result["readyz"] == {"200": 12}, result
        assert result["slow_ended"] == {"408": 40}, result
        metrics = httpx.get(f"{api.url}/metrics").text
        shed = 'route="/v1/{engine}/search",status="503"'
        assert shed not in metrics  # nothing was shed
        assert 'engine="native",route="/v1/{engine}/search",status="408"' in metrics


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
def test_a_body_that_stalls_is_408_problem_and_the_connection_closes(http):
    with front_with(http, f"127.0.0.1:{closed_port()}", body_timeout="0.5") as api:
        url = urlsplit(api.url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/native/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 19\r\n\r\n{"targ'
            )
            start = time.monotonic()
            reply = b""
            while chunk := sock.recv(65536):  # until the API closes the connection
                reply += chunk
            elapsed = time.monotonic() - start
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), reply
        assert b"connection: close" in head.lower(), head
        problem = json.loads(body)
        assert problem["type"] == "urn:peaje:problem:request-timeout"
        assert "PEAJE_BODY_TIMEOUT" in problem["detail"]
        assert 0.4 < elapsed < 3.0, elapsed
        # A body sent in pieces, each in time, is read whole and answered.
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/native/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 19\r\nConnection: close\r\n\r\n{"targ'
            )
            time.sleep(0.1)
            sock.sendall(b'ets": [1, 2]}')
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["indices"] == [1, 2]


# Pure-Python work of about a second or more in a worker thread: long enough to be seen in flight.
SLOW_SEARCH = {"dataset": "range:100000", "targets": list(range(0, 100000, 10)), "repeat": 20}


def test_readyz_says_when_the_front_sheds_and_shed_requests_keep_their_route(grpc_server):
    front = front_with("httptools", grpc_server.tcp_target, max_in_flight="2")
    with front as api, httpx.Client(base_url=api.url, timeout=60) as client:
        assert client.get("/readyz").json()["in_flight"] == 0
        busy = [
            threading.Thread(target=httpx.post, args=(f"{api.url}/v1/python/search",),
                             kwargs={"json": SLOW_SEARCH, "timeout": 60})
            for _ in range(2)
        ]  # fmt: skip
        for thread in busy:
            thread.start()
        deadline = time.monotonic() + 10
        while (ready := client.get("/readyz")).status_code == 200:
            assert time.monotonic() < deadline, "the two searches never showed as in flight"
            time.sleep(0.02)
        assert ready.headers["content-type"] == "application/problem+json"
        assert ready.headers["retry-after"] == "1"
        assert ready.json()["in_flight"] == 2 and "shedding" in ready.json()["detail"]
        shed = client.post("/v1/python/search", json={"targets": [1]})
        assert shed.status_code == 503, shed.text
        assert client.get("/healthz").status_code == 200  # alive all along
        for thread in busy:
            thread.join()
        time.sleep(1.1)  # Retry-After has passed since the last refusal
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["in_flight"] == 0, ready.text
        assert ready.json()["shed"] == 1
        metrics = client.get("/metrics").text
        assert 'engine="python",route="/v1/{engine}/search",status="503"} 1.0' in metrics
        assert 'route="unmatched",status="503"' not in metrics

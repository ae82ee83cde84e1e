"""peaje.api.uvicorn_http: one write per loop turn, and HTTP/1.1 as uvicorn serves it otherwise
(keep-alive, pipelining, streamed bodies, Connection: close, a malformed request's 400)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn

from peaje.api.uvicorn_http import GatheringTransport, HttpToolsProtocol
from peaje.processes import API_SERVER_OPTIONS, HOST, free_port


class FakeTransport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def writelines(self, lines) -> None:
        self.calls.append(("writelines", list(lines)))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.calls.append(("close", None))
        self.closing = True

    def write_eof(self) -> None:
        self.calls.append(("write_eof", None))

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_writes_of_one_turn_leave_as_one_and_later_turns_apart():
    async def scenario():
        fake = FakeTransport()
        gathering = GatheringTransport(fake, asyncio.get_running_loop())
        gathering.write(b"head")
        gathering.writelines([b"body", b"more"])
        assert fake.calls == []  # nothing before the turn ends
        assert gathering.get_write_buffer_size() == 7 + 12
        await asyncio.sleep(0)
        assert fake.calls == [("writelines", [b"head", b"body", b"more"])]
        gathering.write(b"chunk")
        await asyncio.sleep(0)
        assert fake.calls[-1] == ("write", b"chunk")  # one write alone: plain write
        assert gathering.get_extra_info("peername") == "info:peername"  # passed on
        return fake

    asyncio.run(scenario())


def test_close_and_write_eof_send_what_is_gathered_first_and_a_closed_one_drops_it():
    async def scenario():
        fake = FakeTransport()
        gathering = GatheringTransport(fake, asyncio.get_running_loop())
        gathering.write(b"last")
        gathering.write_eof()
        gathering.write(b"after eof")
        gathering.close()
        await asyncio.sleep(0)  # the scheduled flushes find nothing left
        assert fake.calls == [
            ("write", b"last"),
            ("write_eof", None),
            ("write", b"after eof"),
            ("close", None),
        ]
        gathering.write(b"to a closed connection")
        await asyncio.sleep(0)
        assert fake.calls[-1] == ("close", None)

    asyncio.run(scenario())


def test_a_mutable_buffer_is_copied_when_written():
    async def scenario():
        fake = FakeTransport()
        gathering = GatheringTransport(fake, asyncio.get_running_loop())
        data = bytearray(b"abc")
        gathering.write(data)
        gathering.write(memoryview(b"def"))
        data[:] = b"XYZ"  # allowed once write returns, as on asyncio's transports
        await asyncio.sleep(0)
        assert fake.calls == [("writelines", [b"abc", b"def"])]

    asyncio.run(scenario())


def test_the_api_command_names_this_protocol():
    at = API_SERVER_OPTIONS.index("--http")
    assert API_SERVER_OPTIONS[at + 1] == "peaje.api.uvicorn_http:HttpToolsProtocol"


# ---- a real server on the protocol ----------------------------------------------------------


async def small_app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/stream":  # chunks in separate loop turns, chunked encoding
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"part%d;" % i, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
        return
    answer = b"echo:" + body + b":" + scope["path"].encode()
    headers = [(b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def server_port():
    port = free_port()
    config = uvicorn.Config(
        small_app, host=HOST, port=port, loop="uvloop", http=HttpToolsProtocol, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


def exchange(port: int, request: bytes, until: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while until not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_pipelined_requests_are_answered_in_order_on_one_connection(server_port):
    requests = b"".join(
        b"POST /r%d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nb%d" % (i, i) for i in range(5)
    )
    data = exchange(server_port, requests, b"echo:b4:/r4")
    answers = [part for part in data.split(b"HTTP/1.1 200 OK") if part]
    assert len(answers) == 5
    for i, answer in enumerate(answers):
        assert answer.endswith(b"echo:b%d:/r%d" % (i, i)), answer


def test_a_streamed_body_arrives_whole_and_connection_close_closes(server_port):
    data = exchange(
        server_port, b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"0\r\n\r\n"
    )
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"transfer-encoding: chunked" in data.lower()
    assert b"part0;" in data and b"part2;" in data and data.endswith(b"0\r\n\r\n")
    with socket.create_connection((HOST, server_port), timeout=5) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # the server closes: recv ends with b""
            received += chunk
    assert received.endswith(b"echo::/x")


def test_a_malformed_request_is_400_and_a_large_body_round_trips(server_port):
    data = exchange(server_port, b"NOT HTTP\r\n\r\n", b"Invalid")
    assert data.startswith(b"HTTP/1.1 400")
    big = b"z" * 300_000
    request = b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big
    data = exchange(server_port, request, b":/big")
    assert data.endswith(b"echo:" + big + b":/big")

"""uvicorn's httptools protocol, with what one turn of the event loop writes to a connection sent
as one write: ``uvicorn ... --http peaje.api.uvicorn_http:HttpToolsProtocol``
(peaje.processes.API_SERVER_OPTIONS).

uvicorn writes a response's head when the app sends ``http.response.start`` and its body at
``http.response.body``: two system calls per response, and the client woken twice. Here the
connection's transport gathers the writes made during one turn of the loop and hands them to
uvicorn's (uvloop's) transport at the end of that turn, as one ``writelines`` (one ``writev``).
Nothing waits past the current turn: the chunks of a streamed body written in later turns go out
in their own turns, and ``close()`` sends what is gathered before it closes. Measured by
``peaje.bench.http_rps`` (the server command's rows): the 10,000-target protobuf search ~30 us
less CPU per request, the JSON one too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as UvicornHttpToolsProtocol


class GatheringTransport:
    """A transport's writes of one loop turn gathered into one; every other call passed on."""

    __slots__ = ("transport", "loop", "pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.pending: list[bytes] | None = None

    def write(self, data: Any) -> None:
        if type(data) is not bytes:  # a bytearray or memoryview may change once write returns
            data = bytes(data)
        if self.pending is None:
            self.pending = [data]
            self.loop.call_soon(self.flush)
        else:
            self.pending.append(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        pending, self.pending = self.pending, None
        if not pending or self.transport.is_closing():
            return
        if len(pending) == 1:
            self.transport.write(pending[0])
        else:
            self.transport.writelines(pending)

    def get_write_buffer_size(self) -> int:
        gathered = sum(len(data) for data in self.pending) if self.pending else 0
        return self.transport.get_write_buffer_size() + gathered

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, abort, get_extra_info, ...
        return getattr(self.transport, name)


class HttpToolsProtocol(UvicornHttpToolsProtocol):
    """uvicorn's own protocol on a GatheringTransport: the same parsing, flow control and
    keep-alive; the head and body of a response leave in one write."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = GatheringTransport(transport, self.loop)  # type: ignore[assignment]

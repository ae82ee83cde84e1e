"""The front's ASGI layer: per-request timing and metrics, the body cap and deadline, shedding."""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive

from peaje.api._front import Bodies, Layer
from peaje.api.metrics import ApiMetrics
from peaje.api.problems import problem
from peaje.api.shedding import Admission

CLOSE = {"Connection": "close"}  # a body left unread must not be parsed as the next request


class BodyReader(Bodies):
    """Reads a request's whole body before the app (and the in-flight count behind it) sees it:
    at most ``limit`` bytes, refused with 413 at once from Content-Length or while counting
    (chunked uploads); and within ``timeout`` seconds of the headers, else 408 and the
    connection closed. A slow client so holds only its own connection, never an engine slot.

    Deadline and cap live here, not in uvicorn, so they hold whichever HTTP implementation
    (h11, httptools) parses the request. A request without a body passes straight through.
    The deadline costs no timer per request (a timer armed and cancelled per request costs
    microseconds on the measured path): one watchdog task, while bodies are being read, wakes
    every ``tick`` seconds and cancels the reads past their deadline. The per-request part
    (``prepare``, ``read_in_time``) is compiled (peaje.api._front.Bodies); the watchdog, the
    refusals and the read of a body in several messages are here.
    """

    def __init__(self, limit: int, timeout: float) -> None:
        self.limit = limit
        self.timeout = timeout
        self.tick = min(0.25, timeout / 4)

    async def watch(self) -> None:
        """Cancels reads past their deadline; ends after a second with nothing to watch."""
        idle = 0
        try:
            while idle * self.tick < 1.0:
                await asyncio.sleep(self.tick)
                idle = 0 if self.reading else idle + 1
                now = time.monotonic()
                for task, entry in list(self.reading.items()):
                    if not entry[1] and entry[0] <= now:
                        entry[1] = True
                        task.cancel()
        finally:
            self.watchdog = None

    async def read(self, receive: Receive, message: Message | None = None) -> Message | None:
        """The whole body as one message (``message``: its first, already received), or None
        on a disconnect; stops counting past the limit (the caller then sees a body over it)."""
        message = message or await receive()
        if message["type"] != "http.request":
            return None
        if not message.get("more_body", False):
            return message if "body" in message else {**message, "body": b""}  # the usual case
        chunks = [message.get("body", b"")]
        received = len(chunks[0])
        while received <= self.limit:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if not message.get("more_body", False):
                break
        return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    def too_large(self) -> ASGIApp:
        detail = f"request body larger than {self.limit} bytes"
        return problem("too-large", 413, detail, headers=CLOSE)

    def timed_out(self) -> ASGIApp:
        detail = f"request body not received within {self.timeout:g} s (PEAJE_BODY_TIMEOUT)"
        return problem("request-timeout", 408, detail, headers=CLOSE)


class Front(Layer):
    """The front's one ASGI layer, every request through one frame (three middlewares cost three
    frames and a send wrapper, a tenth of a no-op request's instructions), compiled
    (peaje.api._front.Layer: in Python it cost 16,000 instructions of a no-op request's 327,000;
    peaje.bench.front_instructions):

    - times the request: its answer stamps ``app;dur=`` (time in this process) into
      Server-Timing and its status into the scope (peaje.api.timing), and the Prometheus series
      count it under its route and engine (ApiMetrics);
    - reads its body whole, under the cap and the deadline (BodyReader), before anything else
      sees it;
    - then sheds engine requests (``/v1/``) past the in-flight limit with an immediate 503
      (shedding.Admission), so a client still uploading holds a connection, not an engine slot.
    """

    def __init__(
        self, app: ASGIApp, metrics: ApiMetrics, admission: Admission, limit: int, timeout: float
    ) -> None:
        super().__init__(app, metrics, admission, BodyReader(limit, timeout))

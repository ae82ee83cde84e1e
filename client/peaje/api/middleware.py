"""The front's ASGI layer: per-request timing and metrics, the body cap and deadline, shedding."""

from __future__ import annotations

import asyncio
import time
from asyncio import current_task
from time import monotonic
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope

from peaje.api._front import Layer
from peaje.api.metrics import ApiMetrics
from peaje.api.problems import problem
from peaje.api.shedding import Admission

CLOSE = {"Connection": "close"}  # a body left unread must not be parsed as the next request


TIMED_OUT = object()  # what BodyReader.read_in_time answers past the deadline


class BodyReader:
    """Reads a request's whole body before the app (and the in-flight count behind it) sees it:
    at most ``limit`` bytes, refused with 413 at once from Content-Length or while counting
    (chunked uploads); and within ``timeout`` seconds of the headers, else 408 and the
    connection closed. A slow client so holds only its own connection, never an engine slot.

    Deadline and cap live here, not in uvicorn, so they hold whichever HTTP implementation
    (h11, httptools) parses the request. A request without a body passes straight through.
    The deadline costs no timer per request (a timer armed and cancelled per request costs
    microseconds on the measured path): one watchdog task, while bodies are being read, wakes
    every ``tick`` seconds and cancels the reads past their deadline.
    """

    def __init__(self, limit: int, timeout: float) -> None:
        self.limit = limit
        self.timeout = timeout
        self.tick = min(0.25, timeout / 4)
        # The tasks reading a body now: [deadline, expired]. A task is here only while it
        # awaits receive() inside read(), so a cancellation lands there and nowhere else.
        self.reading: dict[asyncio.Task[Any], list[Any]] = {}
        self.watchdog: asyncio.Task[None] | None = None

    async def prepare(
        self, scope: Scope, receive: Receive, declared: bytes
    ) -> tuple[Receive | None, Any]:
        """For a request with a body (``declared``: its Content-Length, b"" when chunked; a
        Content-Length of 0 is no body, whatever else the headers say):
        (receive for the app, None), the body read whole and replayed as one message; (None,
        answer), a 413 or 408 problem to send instead of the app; (None, None), the client went
        away while sending."""
        if declared.isdigit() and int(declared) > self.limit:
            return None, self.too_large()
        first = await self.read_in_time(receive)
        if first is TIMED_OUT:
            detail = f"request body not received within {self.timeout:g} s (PEAJE_BODY_TIMEOUT)"
            return None, problem("request-timeout", 408, detail, headers=CLOSE)
        if first is None:  # the client went away while sending
            return None, None
        if len(first["body"]) > self.limit:
            return None, self.too_large()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # http.disconnect, for whoever listens for it
            replayed = True
            return first

        return replay, None

    async def read_in_time(self, receive: Receive) -> Any:
        """The body as one complete http.request message (uvicorn's own when it came in one),
        None on a disconnect, or TIMED_OUT once the deadline has passed (the watchdog
        cancelled the read)."""
        if self.timeout <= 0:
            return await self.read(receive)
        task = current_task()
        entry = [monotonic() + self.timeout, False]
        reading = self.reading
        reading[task] = entry
        if self.watchdog is None:
            self.watchdog = asyncio.ensure_future(self.watch())
        try:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                return message if "body" in message else {**message, "body": b""}  # usual case
            return await self.read(receive, message)
        except asyncio.CancelledError:
            if not entry[1]:
                raise  # not ours: a disconnect or shutdown
            task.uncancel()  # type: ignore[union-attr]
            return TIMED_OUT
        finally:
            del reading[task]

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


class Front(Layer):
    """The front's one ASGI layer, every request through one frame (three middlewares cost three
    frames and a send wrapper, a tenth of a no-op request's instructions), compiled
    (peaje.api._front.Layer: in Python it cost 17,000 instructions of a no-op request's 321,000;
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

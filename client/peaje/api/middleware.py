"""ASGI middleware of the front: the body cap and deadline, and per-request timing and metrics."""

from __future__ import annotations

import asyncio
import time
from asyncio import current_task
from collections.abc import Iterable, Iterator
from time import monotonic
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peaje.api.metrics import ApiMetrics
from peaje.api.problems import problem
from peaje.engine import ENGINES

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

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.tick = min(0.25, timeout / 4)
        # The tasks reading a body now: [deadline, expired]. A task is here only while it
        # awaits receive() inside read(), so a cancellation lands there and nowhere else.
        self.reading: dict[asyncio.Task[Any], list[Any]] = {}
        self.watchdog: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = None, False
        for name, value in scope["headers"]:  # ASGI header names are lower case
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if (declared is None and not chunked) or declared == b"0":
            await self.app(scope, receive, send)  # no body to wait for
            return
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self.too_large(scope, receive, send)
            return
        first = await self.read_in_time(receive)
        if first is TIMED_OUT:
            detail = f"request body not received within {self.timeout:g} s (PEAJE_BODY_TIMEOUT)"
            await problem("request-timeout", 408, detail, headers=CLOSE)(scope, receive, send)
            return
        if first is None:  # the client went away while sending
            return
        if len(first["body"]) > self.limit:
            await self.too_large(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # http.disconnect, for whoever listens for it
            replayed = True
            return first

        await self.app(scope, replay, send)

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

    async def too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body larger than {self.limit} bytes"
        await problem("too-large", 413, detail, headers=CLOSE)(scope, receive, send)


class RequestTiming:
    """Adds ``app;dur=`` (time in this process) to Server-Timing and records the metrics."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter_ns()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                app = f"app;dur={(time.perf_counter_ns() - start) / 1e6:.3f}".encode()
                headers = list(message.get("headers", []))
                for i, (name, value) in enumerate(headers):  # one header: the route's + app
                    if name.lower() == b"server-timing":
                        headers[i] = (name, value + b", " + app)
                        break
                else:
                    headers.append((b"server-timing", app))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            routed = scope.get("route") is not None  # else answered before routing: not timed
            path, engine = route_labels(scope)
            seconds = (time.perf_counter_ns() - start) / 1e9
            self.metrics.observe(engine, path, status, seconds if routed else None)


def leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The app's routes, into included routers (FastAPI keeps an included router whole)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from leaf_routes(nested.routes)
        else:
            yield route


def route_labels(scope: Scope) -> tuple[str, str]:
    """(route template, engine) of a request. A request answered before routing (shed with 503,
    408, 413) is matched against the app's routes here, so it is counted under its route too;
    "unmatched" is left for paths no route serves."""
    route, params = scope.get("route"), scope.get("path_params", {})
    if route is None:
        for candidate in leaf_routes(getattr(scope.get("app"), "routes", ())):
            match, child = candidate.matches(scope)
            if match is Match.NONE or (match is Match.PARTIAL and route is not None):
                continue
            route, params = candidate, child.get("path_params", {})  # PARTIAL: another method
            if match is Match.FULL:
                break
    engine = params.get("engine", "")
    engine = engine if engine in ENGINES else ("" if engine == "" else "unknown")
    return getattr(route, "path", None) or "unmatched", engine

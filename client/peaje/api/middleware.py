"""ASGI middleware of the front: the body cap, and per-request timing and metrics."""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peaje.api.metrics import ApiMetrics
from peaje.api.problems import problem
from peaje.engine import ENGINES


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with 413 before anything parses them: at once from
    Content-Length, else while counting the bytes as they arrive (chunked uploads)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await problem("too-large", 413, BodyTooLarge(self.limit).detail)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)  # FastAPI re-raises it; problems maps it
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as e:
            if started:
                raise
            await problem("too-large", 413, e.detail)(scope, receive, send)


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
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            engine = scope.get("path_params", {}).get("engine", "")
            engine = engine if engine in ENGINES else ("" if engine == "" else "unknown")
            self.metrics.observe(engine, path, status, (time.perf_counter_ns() - start) / 1e9)

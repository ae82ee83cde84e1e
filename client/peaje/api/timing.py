"""Server-Timing ``app`` and the answer's status, stamped by the answer itself.

The front's layer (middleware.Front) writes when it took the request into the scope. Each
answer, as it starts, stamps the request: it adds ``app;dur=`` (milliseconds in this process) to
its own headers and leaves its status in the scope, where the layer reads it for the metrics.
Stamping in the answer spares every request a send wrapper (one more coroutine per ASGI message
plus a copy of the start message: a fifth of the layer's cost on a no-op, peaje.bench.http_rps).

Every answer the app gives stamps: peaje's routes by construction (StampedRoute for FastAPI's
routes, routers.operations.DirectRoute's bodies.BodyResponse, problems.ProblemResponse for every
error), and any other responder (FastAPI's OpenAPI route, the documentation pages and their
assets) through ``stamping``, which app.create_app puts around every route that is not peaje's.
tests/api/test_front.py asks every route and checks the stamp and the metrics' status.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# START (the scope key of perf_counter_ns() when the front took the request), STATUS (of the
# answer that started) and stamp(scope, status, headers) are compiled with the front's layer,
# peaje.api._front: stamp runs on every request.
from peaje.api._front import START, STATUS, TIMING, stamp

__all__ = ["START", "STATUS", "TIMING", "Stamped", "StampedRoute", "stamp", "stamping"]


class Stamped(Response):
    """A starlette Response that stamps the request as it starts (its headers are its own)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stamp(scope, self.status_code, self.raw_headers)
        await super().__call__(scope, receive, send)


class StampedRoute(APIRoute):
    """A FastAPI route that stamps whatever response its endpoint gives (FastAPI's own, a
    plain Response on its serialisation fast path, or the endpoint's), as FastAPI hands it over
    to be sent."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def stamped(request: Request) -> Response:
            response = await handle(request)
            stamp(request.scope, response.status_code, response.raw_headers)
            return response

        return stamped


def stamping(app: ASGIApp, route: Any) -> ASGIApp:
    """``app``, the handler of ``route``, with its answer stamped from its start message: for a
    responder that does not stamp itself. It also names ``route`` in the scope, as FastAPI's own
    routes do (a starlette Route or Mount does not), so the metrics label it by its template."""

    async def stamped(scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("route", route)

        async def stamped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = [*message.get("headers", ())]
                stamp(scope, message["status"], headers)
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, stamped_send)

    return stamped

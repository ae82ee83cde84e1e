"""Load shedding for the HTTP front: at most ``limit`` engine requests in flight; past that, an
immediate 503 problem+json with ``Retry-After`` instead of a queue that grows without bound.

Only /v1/ routes count: health, readiness and metrics keep answering when the engines are
saturated, so an orchestrator can still tell "busy" from "dead".
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from peaje.api.problems import problem


class ConcurrencyLimit:
    """Refuses engine requests beyond ``limit`` in flight (0 = no limit) with 503 + Retry-After.

    Counting in flight (not a token bucket) bounds what matters here: the work queued behind
    the event loop and the thread pool, so admitted requests keep a bounded latency.
    """

    def __init__(self, app: ASGIApp, limit: int, retry_after: int = 1) -> None:
        self.app = app
        self.limit = limit
        self.retry_after = str(max(1, retry_after))
        self.in_flight = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limit <= 0 or scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.shed += 1
            detail = f"overloaded: {self.limit} requests in flight (PEAJE_MAX_IN_FLIGHT); retry"
            response = problem(
                "unavailable", 503, detail, headers={"Retry-After": self.retry_after}
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1  # one event loop: no lock needed between the check and this
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

"""Load shedding for the HTTP front: at most ``limit`` engine requests in flight; past that, an
immediate 503 problem+json with ``Retry-After`` instead of a queue that grows without bound.

Only /v1/ routes count, and only once their body has been read (middleware.BodyReader sits in
front): a client still uploading holds its connection, not an engine slot. Health, readiness
and metrics keep answering when the engines are saturated, and /readyz says when the front is
shedding, so an orchestrator can tell "busy" from "dead" and route around a busy replica.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from peaje.api.problems import problem


@dataclass
class Admission:
    """What the limit admits and sheds, shared by the middleware and /readyz."""

    limit: int  # 0 = no limit
    retry_after: int = 1
    in_flight: int = 0
    shed: int = 0
    last_shed: float = float("-inf")

    def shedding(self) -> str:
        """'' when admitting, else why not: at the cap, or shed within the last Retry-After."""
        if self.limit <= 0:
            return ""
        if self.in_flight >= self.limit:
            return f"shedding: {self.in_flight} of {self.limit} requests in flight"
        if time.monotonic() - self.last_shed < self.retry_after:
            return f"shedding: requests refused in the last {self.retry_after} s"
        return ""


class ConcurrencyLimit:
    """Refuses engine requests beyond ``admission.limit`` in flight with 503 + Retry-After.

    Counting in flight (not a token bucket) bounds what matters here: the work queued behind
    the event loop and the thread pool, so admitted requests keep a bounded latency.
    """

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission
        self.retry_after = str(max(1, admission.retry_after))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admission = self.admission
        if admission.limit <= 0 or scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if admission.in_flight >= admission.limit:
            admission.shed += 1
            admission.last_shed = time.monotonic()
            detail = (
                f"overloaded: {admission.limit} requests in flight (PEAJE_MAX_IN_FLIGHT); retry"
            )
            response = problem(
                "unavailable", 503, detail, headers={"Retry-After": self.retry_after}
            )
            await response(scope, receive, send)
            return
        admission.in_flight += 1  # one event loop: no lock needed between the check and this
        try:
            await self.app(scope, receive, send)
        finally:
            admission.in_flight -= 1

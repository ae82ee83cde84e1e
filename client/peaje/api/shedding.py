"""Load shedding for the HTTP front: at most ``limit`` engine requests in flight; past that, an
immediate 503 problem+json with ``Retry-After`` instead of a queue that grows without bound.

Only /v1/ routes count, and only once their body has been read (middleware.Front reads it
first): a client still uploading holds its connection, not an engine slot. Health, readiness
and metrics keep answering when the engines are saturated, and /readyz says when the front is
shedding, so an orchestrator can tell "busy" from "dead" and route around a busy replica.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp

from peaje.api._front import Gate
from peaje.api.problems import problem


class Admission(Gate):
    """What the limit admits and sheds, shared by the front's layer (middleware.Front) and
    /readyz. Counting in flight (not a token bucket) bounds what matters here: the work queued
    behind the event loop and the thread pool, so admitted requests keep a bounded latency.
    The counts (``limit``, 0 = no limit; ``in_flight``; ``shed``) are the compiled Gate's, which
    the layer reads on every request."""

    def __init__(self, limit: int, retry_after: int = 1) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self.last_shed = float("-inf")

    def shedding(self) -> str:
        """'' when admitting, else why not: at the cap, or shed within the last Retry-After."""
        if self.limit <= 0:
            return ""
        if self.in_flight >= self.limit:
            return f"shedding: {self.in_flight} of {self.limit} requests in flight"
        if time.monotonic() - self.last_shed < self.retry_after:
            return f"shedding: requests refused in the last {self.retry_after} s"
        return ""

    def refusal(self) -> ASGIApp:
        """The 503 problem+json with Retry-After that refuses a request at the limit (the front
        asks once ``in_flight >= limit``), counted as shed."""
        self.shed += 1
        self.last_shed = time.monotonic()
        detail = f"overloaded: {self.limit} requests in flight (PEAJE_MAX_IN_FLIGHT); retry"
        return problem("unavailable", 503, detail, headers={"Retry-After": self.retry_header})

    @property
    def retry_header(self) -> str:
        return str(max(1, self.retry_after))

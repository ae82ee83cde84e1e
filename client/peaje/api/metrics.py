"""Prometheus metrics of the HTTP front, per engine and route."""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)

# From 5 us to 10 s: a native search through the front costs tens of microseconds, a python
# or remote one milliseconds; the buckets must tell those apart.
LATENCY_BUCKETS = (
    5e-6,
    1e-5,
    2e-5,
    5e-5,
    1e-4,
    2e-4,
    5e-4,
    1e-3,
    2e-3,
    5e-3,
    1e-2,
    2e-2,
    5e-2,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self._engine_children: dict[tuple[str, str], Any] = {}
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        labels = ("engine", "route")
        self.requests = Counter(
            "peaje_http_requests",
            "HTTP requests served",
            (*labels, "status"),
            registry=self.registry,
        )
        self.errors = Counter(
            "peaje_http_errors",
            "HTTP requests answered with an error (4xx/5xx)",
            (*labels, "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "peaje_http_request_duration_seconds",
            "time in the API from request to last response byte, of requests that reached their "
            "route (shed, 408 and 413 answers are counted in peaje_http_requests only)",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.engine_latency = Histogram(
            "peaje_engine_duration_seconds",
            "the engine call until its answer is in the API (crossing + work; network too for "
            "grpc; on the cpp client without the answer's wait for the event loop)",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.server_latency = Histogram(
            "peaje_grpc_server_duration_seconds",
            "server_ns reported by the gRPC server (time inside its core)",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, engine: str, route: str, status: int, seconds: float | None) -> None:
        """Counts every request under its route; times only those the route itself answered
        (seconds=None: shed, 408 or 413 before routing, so admitted latency stays readable)."""
        requests, errors, latency = self.children(engine, route, status)
        requests.inc()
        if errors is not None:
            errors.inc()
        if seconds is not None:
            latency.observe(seconds)

    def children(self, engine: str, route: str, status: int) -> tuple[Any, Any, Any]:
        """The labelled series of one (engine, route, status), looked up once: .labels() takes
        a lock and builds its key on every call, a few microseconds of each request."""
        key = (engine, route, status)
        found = self._children.get(key)
        if found is None:
            errors = self.errors.labels(engine, route, str(status)) if status >= 400 else None
            found = (self.requests.labels(engine, route, str(status)), errors,
                     self.latency.labels(engine, route))  # fmt: skip
            self._children[key] = found
        return found

    def engine_series(self, engine: str, route: str) -> Any:
        """peaje_engine_duration_seconds for (engine, route), looked up once."""
        key = (engine, route)
        found = self._engine_children.get(key)
        if found is None:
            found = self._engine_children[key] = self.engine_latency.labels(engine, route)
        return found

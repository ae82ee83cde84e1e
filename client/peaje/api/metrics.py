"""Prometheus metrics of the HTTP front, per engine and route."""

from __future__ import annotations

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
            "time around the engine call (crossing + work; network too for grpc)",
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
        self.requests.labels(engine, route, str(status)).inc()
        if status >= 400:
            self.errors.labels(engine, route, str(status)).inc()
        if seconds is not None:
            self.latency.labels(engine, route).observe(seconds)

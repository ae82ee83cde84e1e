"""Prometheus metrics of the HTTP front, per engine and route."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

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


class LoopHistogram:
    """One labelled histogram series, for the event loop's thread only: a bucket count and a
    sum in plain Python numbers (bisect, no lock), where prometheus_client's child takes a lock
    per bucket and per sum (~2 µs of every request). Read by LoopSeries at scrape time."""

    __slots__ = ("buckets", "sum")

    def __init__(self, n_bounds: int) -> None:
        self.buckets = [0] * (n_bounds + 1)  # the last one: +Inf
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sum += seconds


class LoopSeries:
    """The per-request series (requests and errors counters, the latency histogram) as a
    Prometheus collector over plain counts updated on the event loop; same names, labels and
    buckets as prometheus_client's Counter/Histogram would expose."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.errors: dict[tuple[str, str, str], int] = {}
        self.latency: dict[tuple[str, str], LoopHistogram] = {}

    def histogram(self, engine: str, route: str) -> LoopHistogram:
        found = self.latency.get((engine, route))
        if found is None:
            found = self.latency[(engine, route)] = LoopHistogram(len(LATENCY_BUCKETS))
        return found

    def collect(self) -> Iterator[Any]:
        labels = ["engine", "route", "status"]
        for name, doc, counts in (
            ("peaje_http_requests", "HTTP requests served", self.requests),
            ("peaje_http_errors", "HTTP requests answered with an error (4xx/5xx)", self.errors),
        ):
            family = CounterMetricFamily(name, doc, labels=labels)
            for key, count in list(counts.items()):
                family.add_metric(list(key), count)
            yield family
        family = HistogramMetricFamily(
            "peaje_http_request_duration_seconds",
            "time in the API from request to last response byte, of requests that reached their "
            "route (shed, 408 and 413 answers are counted in peaje_http_requests only)",
            labels=["engine", "route"],
        )
        bounds = [*(floatToGoString(b) for b in LATENCY_BUCKETS), "+Inf"]
        for key, series in list(self.latency.items()):
            cumulative, total = [], 0
            for bound, count in zip(bounds, list(series.buckets), strict=True):
                total += count
                cumulative.append((bound, total))
            family.add_metric(list(key), cumulative, series.sum)
        yield family


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, str, int], tuple[Any, LoopHistogram]] = {}
        self._engine_children: dict[tuple[str, str], Any] = {}
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        labels = ("engine", "route")
        self.series = LoopSeries()
        self.registry.register(self.series)
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
        key, latency = self.children(engine, route, status)
        series = self.series
        series.requests[key] += 1
        if status >= 400:
            series.errors[key] = series.errors.get(key, 0) + 1
        if seconds is not None:
            latency.observe(seconds)

    def children(self, engine: str, route: str, status: int) -> tuple[Any, LoopHistogram]:
        """The label key and latency series of one (engine, route, status), made once."""
        found = self._children.get((engine, route, status))
        if found is None:
            key = (engine, route, str(status))
            self.series.requests.setdefault(key, 0)
            found = (key, self.series.histogram(engine, route))
            self._children[(engine, route, status)] = found
        return found

    def engine_series(self, engine: str, route: str) -> Any:
        """peaje_engine_duration_seconds for (engine, route), looked up once."""
        key = (engine, route)
        found = self._engine_children.get(key)
        if found is None:
            found = self._engine_children[key] = self.engine_latency.labels(engine, route)
        return found

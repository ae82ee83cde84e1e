"""Prometheus metrics of the HTTP front, per engine and route."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    gc_collector,
    platform_collector,
    process_collector,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString
from starlette.routing import Match
from starlette.types import Scope

from peaje.api._front import LoopHistogram, Recorder
from peaje.engine import ENGINES

LABELLED = frozenset(("", *ENGINES))  # engine label values; any other name is "unknown"

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


class LoopHistograms:
    """A labelled histogram kept on the event loop: one LoopHistogram per label values (compiled,
    peaje.api._front: bucket counts and a sum in C numbers, no lock, where prometheus_client's
    child takes a lock per bucket and per sum, ~2 us of every request), exposed at scrape time
    with prometheus_client's names, cumulative buckets and sum."""

    def __init__(self, name: str, doc: str, labels: tuple[str, ...]) -> None:
        self.name, self.doc, self.labels = name, doc, list(labels)
        self.children: dict[tuple[str, ...], LoopHistogram] = {}

    def child(self, *values: str) -> LoopHistogram:
        found = self.children.get(values)
        if found is None:
            found = self.children[values] = LoopHistogram(LATENCY_BUCKETS)
        return found

    def family(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(self.name, self.doc, labels=self.labels)
        bounds = [*(floatToGoString(b) for b in LATENCY_BUCKETS), "+Inf"]
        for key, series in list(self.children.items()):
            cumulative, total = [], 0
            for bound, count in zip(bounds, list(series.buckets), strict=True):
                total += count
                cumulative.append((bound, total))
            family.add_metric(list(key), cumulative, series.sum)
        return family


class LoopSeries:
    """The front's series (requests and errors counters, the latency histograms) as a Prometheus
    collector over plain counts updated on the event loop; same names, labels and buckets as
    prometheus_client's Counter/Histogram would expose."""

    def __init__(self) -> None:
        # One count per label values, in a one-item list the front bumps in place (no hashing
        # of the label tuple per request).
        self.requests: dict[tuple[str, str, str], list[int]] = {}
        self.errors: dict[tuple[str, str, str], list[int]] = {}
        self.latency = LoopHistograms(
            "peaje_http_request_duration_seconds",
            "time in the API from request to last response byte, of requests that reached their "
            "route (shed, 408 and 413 answers are counted in peaje_http_requests only)",
            ("engine", "route"),
        )
        self.engine = LoopHistograms(
            "peaje_engine_duration_seconds",
            "the engine call until its answer is in the API (crossing + work; network too for "
            "grpc; on the cpp client without the answer's wait for the event loop)",
            ("engine", "route"),
        )
        self.server = LoopHistograms(
            "peaje_grpc_server_duration_seconds",
            "server_ns reported by the gRPC server (time inside its core)",
            ("route",),
        )

    def collect(self) -> Iterator[Any]:
        labels = ["engine", "route", "status"]
        for name, doc, counts in (
            ("peaje_http_requests", "HTTP requests served", self.requests),
            ("peaje_http_errors", "HTTP requests answered with an error (4xx/5xx)", self.errors),
        ):
            family = CounterMetricFamily(name, doc, labels=labels)
            for key, count in list(counts.items()):
                family.add_metric(list(key), count[0])
            yield family
        for histograms in (self.latency, self.engine, self.server):
            yield histograms.family()


class ApiMetrics(Recorder):
    """The front's Prometheus registry: the loop-kept series (LoopSeries) and the process's own
    collectors. Every observe method is for the event loop's thread only. ``record(scope,
    status, elapsed_ns)``, one request the front answered, is compiled (peaje.api._front.Recorder:
    a routed request's series are looked up once per route, engine label and status)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, str, int], Any] = {}
        self.label_engines(LABELLED)
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self.series = LoopSeries()
        self.registry.register(self.series)

    def unrouted(self, scope: Scope, status: int) -> None:
        """A request answered before routing (shed, 408, 413), for record: counted under the
        route it would have reached, not timed."""
        path, engine = route_labels(scope)
        self.observe(engine, path, status, None)

    def observe(self, engine: str, route: str, status: int, seconds: float | None) -> None:
        """Counts every request under its route; times only those the route itself answered
        (seconds=None: shed, 408 or 413 before routing, so admitted latency stays readable)."""
        requests, errors, latency = self.children(engine, route, status)
        requests[0] += 1
        if errors is not None:
            errors[0] += 1
        if seconds is not None:
            latency.observe(seconds)

    def children(
        self, engine: str, route: str, status: int
    ) -> tuple[list[int], list[int] | None, LoopHistogram]:
        """The request count, error count (None below 400) and latency series of one (engine,
        route, status), made once."""
        found = self._children.get((engine, route, status))
        if found is None:
            key, series = (engine, route, str(status)), self.series
            requests = series.requests.setdefault(key, [0])
            errors = series.errors.setdefault(key, [0]) if status >= 400 else None
            found = (requests, errors, series.latency.child(engine, route))
            self._children[(engine, route, status)] = found
        return found

    def engine_series(self, engine: str, route: str) -> LoopHistogram:
        """peaje_engine_duration_seconds for (engine, route)."""
        return self.series.engine.child(engine, route)

    def server_series(self, route: str) -> LoopHistogram:
        """peaje_grpc_server_duration_seconds for one route."""
        return self.series.server.child(route)


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
    return getattr(route, "path", None) or "unmatched", engine if engine in LABELLED else "unknown"

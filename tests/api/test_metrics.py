"""The front's per-request series (metrics.LoopSeries) expose what prometheus_client's own
Counter and Histogram would, for the same observations."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from peaje.api.metrics import LATENCY_BUCKETS, ApiMetrics


def samples(registry: CollectorRegistry, prefix: str) -> dict[tuple, float]:
    out = {}
    for family in registry.collect():
        for s in family.samples:
            if s.name.startswith(prefix) and not s.name.endswith("_created"):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_loop_series_match_prometheus_clients_own_series():
    rng = random.Random(7)
    ours = ApiMetrics()
    reference = CollectorRegistry()
    labels = ("engine", "route", "status")
    requests = Counter("peaje_http_requests", "", labels, registry=reference)
    errors = Counter("peaje_http_errors", "", labels, registry=reference)
    latency = Histogram(
        "peaje_http_request_duration_seconds", "", labels[:2], buckets=LATENCY_BUCKETS,
        registry=reference,
    )  # fmt: skip
    engine_latency = Histogram(
        "peaje_engine_duration_seconds", "", labels[:2], buckets=LATENCY_BUCKETS,
        registry=reference,
    )  # fmt: skip
    server_latency = Histogram(
        "peaje_grpc_server_duration_seconds", "", ("route",), buckets=LATENCY_BUCKETS,
        registry=reference,
    )  # fmt: skip
    exact = [*LATENCY_BUCKETS, 0.0, 1e-9, 11.0, 1e6]  # on every bound, below and past them all
    for i in range(3000):
        engine = rng.choice(["", "native", "grpc"])
        route = rng.choice(["/v1/noop", "/v1/{engine}/search"])
        status = rng.choice([200, 200, 422, 503])
        seconds = exact[i] if i < len(exact) else rng.choice([None, rng.expovariate(1e3)])
        ours.observe(engine, route, status, seconds)
        requests.labels(engine, route, str(status)).inc()
        if status >= 400:
            errors.labels(engine, route, str(status)).inc()
        if seconds is not None:
            latency.labels(engine, route).observe(seconds)
            # the route's own observations: the engine's share, and the server's on grpc
            ours.engine_series(engine, route).observe(seconds / 2)
            engine_latency.labels(engine, route).observe(seconds / 2)
            if engine == "grpc":
                ours.server_series(route).observe(seconds / 3)
                server_latency.labels(route).observe(seconds / 3)
    prefixes = ("peaje_http_requests", "peaje_http_errors", "peaje_http_request_duration",
                "peaje_engine_duration", "peaje_grpc_server_duration")  # fmt: skip
    for prefix in prefixes:
        got, want = samples(ours.registry, prefix), samples(reference, prefix)
        assert got.keys() == want.keys(), prefix
        for key, value in want.items():
            if key[0].endswith("_sum"):  # the same floats, added in another order
                assert abs(got[key] - value) <= 1e-9 * max(1.0, value), key
            else:
                assert got[key] == value, key
    assert b"peaje_http_requests_total{" in generate_latest(ours.registry)

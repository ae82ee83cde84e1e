"""Every Locust sample at microsecond resolution, in HDR histograms merged across workers.

Locust 2.47 buckets response times before its percentiles (``locust.stats.bucket_response_time``
rounds anything under 100 ms to a whole millisecond), so a 180 µs call and a 740 µs call both
report as "1 ms" or "0 ms": the very difference peaje measures. ``tests/load/test_rounding.py``
pins that behaviour. Here each request event is recorded in an HDR histogram (1 µs .. 60 s,
3 significant digits) keyed by (path, request name); workers ship encoded histograms to the
master with their regular stats report, and the master (or a local runner) adds them up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000
SIGNIFICANT_DIGITS = 3
PERCENTILES = (50.0, 95.0, 99.0, 99.9)
# The key under which a worker's report carries its histograms to the master.
REPORT_KEY = "peaje_latency"


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


@dataclass
class Series:
    """One (path, request name): every latency in µs, and how many of them failed."""

    histogram: HdrHistogram = field(default_factory=new_histogram)
    errors: int = 0

    @property
    def count(self) -> int:
        return self.histogram.get_total_count()

    def add(self, other: Series) -> None:
        self.histogram.add(other.histogram)
        self.errors += other.errors


class LatencyRecorder:
    """Histograms per (path, name), plus the time breakdown each answer reports per (path, part):
    "app", "engine" and "server" (see ``reported_parts``).
    ``encode``/``merge`` carry both between processes."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}
        self.parts: dict[tuple[str, str], Series] = {}

    @staticmethod
    def _record(table: dict, key: tuple[str, str], micros: float, failed: bool = False) -> None:
        series = table.get(key)
        if series is None:
            series = table[key] = Series()
        series.histogram.record_value(min(max(round(micros), LOWEST_US), HIGHEST_US))
        series.errors += failed

    def record(self, path: str, name: str, response_time_ms: float, failed: bool) -> None:
        self._record(self.series, (path, name), response_time_ms * 1000.0, failed)

    def record_part(self, path: str, part: str, micros: float) -> None:
        self._record(self.parts, (path, part), micros)

    def encode(self) -> list[dict[str, Any]]:
        def item(path: str, name: str, s: Series, **extra) -> dict[str, Any]:
            hdr = s.histogram.encode().decode()
            return {"path": path, "name": name, "errors": s.errors, "hdr": hdr, **extra}

        return [item(p, n, s) for (p, n), s in self.series.items()] + [
            item(p, "", s, part=part) for (p, part), s in self.parts.items()
        ]

    def merge(self, encoded: Iterable[dict[str, Any]]) -> None:
        for item in encoded:
            other = Series(HdrHistogram.decode(item["hdr"].encode()), int(item["errors"]))
            table, key = (
                (self.parts, (item["path"], item["part"]))
                if item.get("part")
                else (self.series, (item["path"], item["name"]))
            )
            if key in table:
                table[key].add(other)
            else:
                table[key] = other

    def reset(self) -> None:
        self.series.clear()
        self.parts.clear()

    def by_path(self) -> dict[str, Series]:
        """The series summed per path (all request names of one path together)."""
        paths: dict[str, Series] = {}
        for (path, _), series in sorted(self.series.items()):
            paths.setdefault(path, Series()).add(series)
        return paths

    @property
    def total_count(self) -> int:
        return sum(s.count for s in self.series.values())


def reported_parts(response: Any) -> dict[str, float]:
    """The time breakdown an answer reports, in µs: peaje-server's ``server_ns`` on a gRPC
    response; the API's ``Server-Timing`` (ms): ``app`` (the whole request in the API process),
    ``engine`` (crossing + work) and, for grpc, ``server`` (peaje-server's core)."""
    server_ns = getattr(response, "server_ns", None)
    if isinstance(server_ns, int):
        return {"server": server_ns / 1000.0}
    headers = getattr(response, "headers", None)
    timing = headers.get("Server-Timing") if headers is not None else None
    if isinstance(timing, list):  # one header per layer: the router's and the middleware's
        timing = ",".join(timing)
    parts = {}
    for metric in (timing or "").split(","):
        name, _, params = metric.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur":
                try:
                    parts[name] = float(value) * 1000.0
                except ValueError:
                    pass
    return parts


def attach(environment: Any, recorder: LatencyRecorder, output: Path | None) -> None:
    """Wire ``recorder`` into a Locust environment: record on workers and local runners, ship
    with each worker report, merge on the master, and write ``output`` when Locust quits."""
    from locust.runners import MasterRunner, WorkerRunner

    events = environment.events
    window: dict[str, float] = {}

    @events.request.add_listener
    def on_request(
        request_type, name, response_time, response=None, context=None, exception=None, **_
    ):
        context = context or {}
        path = context.get("path") or request_type
        recorder.record(path, context.get("workload") or name, response_time, exception is not None)
        if exception is None:
            for part, micros in reported_parts(response).items():
                recorder.record_part(path, part, micros)

    @events.report_to_master.add_listener
    def on_report_to_master(client_id, data, **_):
        # Runs right where Locust serializes and resets its own stats, so both describe the
        # same samples and the master's counts agree with Locust's.
        data[REPORT_KEY] = recorder.encode()
        recorder.reset()

    @events.worker_report.add_listener
    def on_worker_report(client_id, data, **_):
        recorder.merge(data.get(REPORT_KEY, ()))

    @events.test_start.add_listener
    def on_test_start(environment, **_):
        recorder.reset()
        window.clear()
        window["start"] = time.time()

    @events.test_stop.add_listener
    def on_test_stop(environment, **_):
        window["stop"] = time.time()

    @events.quitting.add_listener
    def on_quitting(environment, **_):
        # Headless runs quit the runner (collecting the workers' final reports) before this.
        if isinstance(environment.runner, WorkerRunner):
            return
        options = environment.parsed_options
        if options is not None and getattr(options, "csv_prefix", None):
            # Locust's CSV is a snapshot taken every CSV_STATS_INTERVAL_SEC and never at exit:
            # wait for one more, so its counts include the last second and match ours.
            import gevent
            from locust.stats import CSV_STATS_INTERVAL_SEC

            gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.2)
        if output is None:
            return
        distributed = isinstance(environment.runner, MasterRunner)
        write(output, recorder, window, locust_stats(environment), distributed=distributed)


def locust_stats(environment: Any) -> dict[str, Any]:
    """Locust's own view of the run, to check the histograms against."""
    stats = environment.runner.stats
    per_name = {
        entry.name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
        for entry in stats.entries.values()
    }
    return {
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "per_name": per_name,
        "user_count": environment.runner.user_count,
    }


def write(
    output: Path,
    recorder: LatencyRecorder,
    window: dict[str, float],
    locust: dict[str, Any],
    *,
    distributed: bool,
) -> None:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "start": window.get("start"),
        "stop": window.get("stop", time.time()),
        "distributed": distributed,
        "locust": locust,
        "series": recorder.encode(),
    }
    output.write_text(json.dumps(document, indent=1) + "\n")


def read(path: Path) -> tuple[LatencyRecorder, dict[str, Any]]:
    """A written latency file: the merged recorder, and the rest of the document."""
    document = json.loads(Path(path).read_text())
    recorder = LatencyRecorder()
    recorder.merge(document.pop("series"))
    return recorder, document


def percentiles_us(series: Series) -> dict[str, int]:
    return {f"p{p:g}": int(series.histogram.get_value_at_percentile(p)) for p in PERCENTILES}


def latency_table(recorder: LatencyRecorder) -> dict[str, dict]:
    """Per path: request and error counts and the µs percentiles, so far."""
    return {
        path: {"requests": series.count, "errors": series.errors, **percentiles_us(series)}
        for path, series in recorder.by_path().items()
    }

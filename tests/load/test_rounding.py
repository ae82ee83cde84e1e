"""Why peaje keeps its own µs histograms: pin how the installed Locust rounds response times.

Locust's percentiles come from ``StatsEntry.response_times``, whose keys are bucketed by
``locust.stats.bucket_response_time``: under 100 ms to a whole millisecond, then to 2
significant digits. A 0.3 ms and a 0.7 ms call therefore differ by a whole "ms" or not at all,
while the HDR histogram (peaje.load.latency) keeps each to the microsecond.

Locust monkey-patches the standard library (gevent) on import, so it is probed in a child
process, never imported into the test session.
"""

from __future__ import annotations

import json
import subprocess
import sys

from peaje.load.latency import LatencyRecorder, percentiles_us

PROBE = r"""
import json, locust
from locust.stats import RequestStats, bucket_response_time
stats = RequestStats()
for t in [0.3] * 500 + [0.7] * 500:  # half the calls at 300 µs, half at 700 µs
    stats.log_request("grpc", "search", t, 10)
entry = stats.get("search", "grpc")
print(json.dumps({
    "version": locust.__version__,
    "buckets": [bucket_response_time(t) for t in (0.3, 0.49, 0.51, 0.7, 1.4, 99.4, 147.0)],
    "p25": entry.get_response_time_percentile(0.25),
    "p75": entry.get_response_time_percentile(0.75),
}))
"""


def probe() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_locust_rounds_sub_100ms_times_to_whole_milliseconds():
    locust = probe()
    # The rounding is this version's; re-check it when Locust is upgraded.
    assert locust["version"] == "2.47.0"
    assert locust["buckets"] == [0, 0, 1, 1, 1, 99, 150]  # then 2 significant digits
    # 300 µs reads as 0 ms and 700 µs as 1 ms: the 2.3x difference is lost.
    assert (locust["p25"], locust["p75"]) == (0, 1)


def test_the_hdr_histogram_keeps_microseconds():
    recorder = LatencyRecorder()
    for response_time_ms in [0.3] * 500 + [0.7] * 500:
        recorder.record("grpc-direct", "search", response_time_ms, failed=False)
    series = recorder.series[("grpc-direct", "search")]
    assert series.histogram.get_value_at_percentile(25) == 300
    assert series.histogram.get_value_at_percentile(75) == 700
    assert percentiles_us(series)["p50"] == 300

"""Bounded soak (`make soak`, SOAK_SECONDS, 60 in CI): a steady mixed load on the API (every
engine and route; grpc through peaje-server) while the API's and the server's resident memory
and open file descriptors are sampled. After a warm-up both must stay flat: the last window's
median within a small margin of the first window's, and every request answered 200."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import psutil
from steady_load import REPORTS, SteadyLoad

from fixtures.grpc_server import ServerProcess
from fixtures.http_engine import ApiProcess

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
# Growth allowed from the first to the last window: allocator and cache settling, not a leak
# (a leak of one object per request would grow by megabytes over a minute at this rate).
RSS_MARGIN_MB = 16.0
RSS_MARGIN_FRACTION = 0.10
FD_MARGIN = 4
RESULTS = Path(__file__).resolve().parents[2] / "build" / "reliability"


def sample(process: psutil.Process) -> tuple[float, int]:
    """RSS in MiB (the process and its children: uvicorn has none, but be safe) and open fds."""
    return process.memory_info().rss / 2**20, process.num_fds()


def test_rss_and_fds_stay_flat_under_mixed_load(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as server:
        with ApiProcess({"PEAJE_GRPC_TARGET": server.tcp_target}) as api:
            watched = {
                "api": psutil.Process(api.process.pid),
                "server": psutil.Process(server.process.pid),
            }
            samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in watched}
            start = time.monotonic()
            with SteadyLoad(api.url, workers=8, rate=25.0, bound=5.0) as load:
                while (elapsed := time.monotonic() - start) < SECONDS:
                    for name, process in watched.items():
                        samples[name].append((elapsed, *sample(process)))
                    time.sleep(0.5)
            tally = load.tallies["baseline"]

    warm = min(10.0, SECONDS / 6)
    window = max(5.0, (SECONDS - warm) / 5)
    lines = [
        f"soak: {SECONDS:.0f}s, {tally.sent} requests ({tally.sent / SECONDS:.0f}/s), "
        f"{tally.succeeded} answered 200; first window {warm:.0f}-{warm + window:.0f}s, "
        f"last {SECONDS - window:.0f}-{SECONDS:.0f}s (medians)",
        f"{'process':<8} {'RSS first MiB':>13} {'RSS last MiB':>12} {'fds first':>9} "
        f"{'fds last':>8} {'RSS max MiB':>11}",
    ]
    problems = []
    for name, rows in samples.items():
        first = [r for r in rows if warm <= r[0] < warm + window]
        last = [r for r in rows if r[0] >= SECONDS - window]
        rss_first = statistics.median(r[1] for r in first)
        rss_last = statistics.median(r[1] for r in last)
        fds_first = int(statistics.median(r[2] for r in first))
        fds_last = int(statistics.median(r[2] for r in last))
        rss_max = max(r[1] for r in rows)
        lines.append(
            f"{name:<8} {rss_first:>13.1f} {rss_last:>12.1f} {fds_first:>9} {fds_last:>8} "
            f"{rss_max:>11.1f}"
        )
        allowed = max(RSS_MARGIN_MB, RSS_MARGIN_FRACTION * rss_first)
        if rss_last - rss_first > allowed:
            problems.append(f"{name}: RSS grew {rss_last - rss_first:.1f} MiB (> {allowed:.1f})")
        if fds_last - fds_first > FD_MARGIN:
            problems.append(f"{name}: open fds grew {fds_first} -> {fds_last}")
    report = "\n".join(lines)
    REPORTS.append(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.txt").write_text(report + "\n")
    assert not load.failures, "\n".join(load.failures[:30])
    assert tally.succeeded == tally.sent > 0
    assert not problems, "\n".join(problems)

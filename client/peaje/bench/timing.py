"""A careful stopwatch for one call: warm-up, loops calibrated to a minimum sample length,
several samples, median. Used where pyperf's worker processes would be too slow (quick tables);
the full matrix uses pyperf itself."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    median_ns: float
    min_ns: float
    samples: int
    loops: int

    @property
    def spread(self) -> float:
        """(median - min) / median: how noisy the samples were."""
        return (self.median_ns - self.min_ns) / self.median_ns if self.median_ns else 0.0


def time_call(
    call: Callable[[], object], *, samples: int = 7, min_sample_s: float = 0.02
) -> Timing:
    call()  # warm-up: caches, lazy imports, first-touch pages
    loops = 1
    while True:  # calibrate: enough loops that one sample lasts min_sample_s
        started = time.perf_counter_ns()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter_ns() - started
        if elapsed >= min_sample_s * 1e9 or loops >= 1 << 20:
            break
        loops *= 2 if elapsed == 0 else max(2, min(10, int(min_sample_s * 1e9 / elapsed) + 1))
    per_call = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(samples):
            started = time.perf_counter_ns()
            for _ in range(loops):
                call()
            per_call.append((time.perf_counter_ns() - started) / loops)
    finally:
        if enabled:
            gc.enable()
    return Timing(statistics.median(per_call), min(per_call), samples, loops)


def format_ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

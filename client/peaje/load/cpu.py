"""CPU of each side of a load run, sampled once a second with psutil: the load generator's
processes (to tell whether it, not the target, was the bottleneck), the API, peaje-server, the
machine as a whole, "others" (what the rest of a shared machine took meanwhile at normal
priority) and "niced" (background work at lower priority, which yields to ours).

Percentages are of one core, as ``top`` shows them: 100 is one core busy, 200 two.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from statistics import mean

import psutil

INTERVAL_S = 1.0
# One Python process cannot use more than a core; past this it is the limit, not the target.
GENERATOR_BUSY_PERCENT = 85.0


def process_tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class CpuWatch:
    """Samples CPU per role in a background thread between ``start()`` and ``stop()``.

    ``roles`` maps a role ("api", "server") to a pid; ``generator`` returns the current root
    pids of the load generator (its worker processes appear during the run, so it is polled).
    """

    def __init__(self, roles: dict[str, int], generator: Callable[[], list[int]]) -> None:
        self.roles = roles
        self.generator = generator
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.generator_samples: dict[int, list[float]] = defaultdict(list)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-watch", daemon=True)
        self._seen: dict[int, psutil.Process] = {}

    def _proc(self, pid: int) -> psutil.Process | None:
        if pid not in self._seen:
            try:
                self._seen[pid] = psutil.Process(pid)
                self._seen[pid].cpu_percent(None)  # the first call only primes the counter
                return None
            except psutil.NoSuchProcess:
                return None
        return self._seen[pid]

    def _percent(self, pid: int) -> float | None:
        process = self._proc(pid)
        if process is None:
            return None
        try:
            return process.cpu_percent(None)
        except psutil.NoSuchProcess:
            return None

    def _run(self) -> None:
        cores = psutil.cpu_count()
        psutil.cpu_times_percent(None)
        while not self._stop.wait(INTERVAL_S):
            times = psutil.cpu_times_percent(None)
            machine = (100.0 - times.idle - getattr(times, "iowait", 0.0)) * cores
            # Niced work (background builds, fuzzers) yields to ours: count it apart.
            niced = getattr(times, "nice", 0.0) * cores
            self.samples["machine"].append(machine)
            self.samples["niced"].append(niced)
            ours = 0.0
            for role, pid in self.roles.items():
                percents = [self._percent(process.pid) for process in process_tree(pid)]
                percents = [p for p in percents if p is not None]
                if percents:
                    self.samples[role].append(sum(percents))
                    ours += sum(percents)
            generator_total = 0.0
            for root in self.generator():
                for process in process_tree(root):
                    percent = self._percent(process.pid)
                    if percent is not None:
                        self.generator_samples[process.pid].append(percent)
                        generator_total += percent
            self.samples["generator"].append(generator_total)
            # What the rest of the machine took at normal priority: the cores we did not get.
            self.samples["others"].append(max(0.0, machine - niced - ours - generator_total))

    def start(self) -> CpuWatch:
        for pid in self.roles.values():  # prime now, so the first sample already counts
            for process in process_tree(pid):
                self._proc(process.pid)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self, skip: int = 1) -> dict:
        """Mean and peak per role, skipping the first ``skip`` samples (the ramp-up)."""

        def stats(values: list[float]) -> dict[str, float]:
            values = values[skip:] if len(values) > skip + 1 else values
            return {"mean": round(mean(values), 1), "max": round(max(values), 1)} if values else {}

        result = {role: stats(values) for role, values in self.samples.items()}
        per_process = [stats(values) for values in self.generator_samples.values()]
        per_process = [s for s in per_process if s]
        busiest = max((s["mean"] for s in per_process), default=0.0)
        result["generator_processes"] = per_process
        result["generator_busiest_mean"] = busiest
        result["generator_bound"] = busiest >= GENERATOR_BUSY_PERCENT
        result["cores"] = psutil.cpu_count()
        return result

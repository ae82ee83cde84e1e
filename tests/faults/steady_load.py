"""A steady, bounded load on the HTTP API that accounts for every request it sends.

Worker threads each send one request at a time at a fixed pace, cycling through every engine
and route, and file each outcome under the phase (fault) in force when the request was sent:
the HTTP status, or how it was lost (no answer before the client's own timeout, or a transport
error such as a reset connection).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

ENGINES = ("python", "native", "grpc")
REQUESTS = (
    ("search", {"dataset": "range:100000", "targets": [0, 7, 99999, 100000]}),
    ("search", {"values": [1, 3, 5, 7], "targets": [5, 6]}),
    ("bytes-dict", {"entries": {"key": "value", "k2": {"base64": "AAE="}}}),
)
MAPPED = (503, 504)
# Tables the reliability tests publish: printed after the run (tests/faults/conftest.py) and
# written under build/reliability/.
REPORTS: list[str] = []


@dataclass
class Tally:
    sent: int = 0
    succeeded: int = 0
    mapped: Counter = field(default_factory=Counter)  # 503 / 504
    lost: Counter = field(default_factory=Counter)  # everything else, by kind
    slowest: float = 0.0
    late: int = 0  # answered, but after the deadline bound

    def row(self, name: str) -> str:
        lost = sum(self.lost.values()) + self.late
        return (
            f"{name:<28} {self.sent:>6} {self.succeeded:>9} {self.mapped[503]:>5} "
            f"{self.mapped[504]:>5} {lost:>5} {self.slowest * 1000:>9.0f}"
        )


HEADER = (
    f"{'fault':<28} {'sent':>6} {'succeeded':>9} {'503':>5} {'504':>5} {'lost':>5} "
    f"{'slowest ms':>9}"
)


class SteadyLoad:
    """``workers`` threads, each ``rate`` requests/s; every answer must come within ``bound``
    seconds (the API's gRPC deadline plus slack for a busy machine)."""

    def __init__(self, base_url: str, *, workers: int = 6, rate: float = 10.0, bound: float = 3.0):
        self.base_url = base_url
        self.workers = workers
        self.interval = 1.0 / rate
        self.bound = bound
        self.phase = "baseline"
        self.tallies: dict[str, Tally] = {}
        self.by_engine: dict[tuple[str, str], Counter] = {}
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._plan = itertools.cycle(
            [(engine, route, body) for engine in ENGINES for route, body in REQUESTS]
        )

    def set_phase(self, name: str) -> None:
        with self._lock:
            self.phase = name

    def _record(self, phase: str, engine: str, status: int | str, elapsed: float, detail: str):
        with self._lock:
            tally = self.tallies.setdefault(phase, Tally())
            tally.sent += 1
            tally.slowest = max(tally.slowest, elapsed)
            self.by_engine.setdefault((phase, engine), Counter())[status] += 1
            if status == 200:
                tally.succeeded += 1
            elif status in MAPPED and engine == "grpc":
                tally.mapped[status] += 1
            else:
                tally.lost[str(status)] += 1
                self.failures.append(f"{phase}: {engine}: {status} after {elapsed:.2f}s: {detail}")
                return
            if elapsed > self.bound:
                tally.late += 1
                self.failures.append(f"{phase}: {engine}: {status} late, {elapsed:.2f}s")

    def _work(self) -> None:
        # A generous client timeout: a request that takes longer than `bound` is already a
        # failure (late); one with no answer at all by then is a hang.
        with httpx.Client(base_url=self.base_url, timeout=self.bound + 5.0) as client:
            next_at = time.monotonic()
            while not self._stop.is_set():
                with self._lock:
                    engine, route, body = next(self._plan)
                    phase = self.phase
                start = time.monotonic()
                try:
                    response = client.post(f"/v1/{engine}/{route}", json=body)
                    status: int | str = response.status_code
                    detail = response.text[:300]
                    if status == 503 and "retry-after" not in response.headers:
                        status, detail = "503 without Retry-After", detail
                except httpx.TimeoutException as e:
                    status, detail = "hang", repr(e)
                except httpx.TransportError as e:
                    status, detail = f"transport error ({type(e).__name__})", repr(e)
                self._record(phase, engine, status, time.monotonic() - start, detail)
                next_at = max(next_at + self.interval, time.monotonic())
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> SteadyLoad:
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"load-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.bound + 10.0)

    def table(self) -> str:
        lines = [HEADER]
        total = Tally()
        for name, tally in self.tallies.items():
            lines.append(tally.row(name))
            total.sent += tally.sent
            total.succeeded += tally.succeeded
            total.mapped.update(tally.mapped)
            total.lost.update(tally.lost)
            total.late += tally.late
            total.slowest = max(total.slowest, tally.slowest)
        lines.append(total.row("total"))
        return "\n".join(lines)

    def __enter__(self) -> SteadyLoad:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

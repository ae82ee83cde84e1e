"""How soon each local engine and mode stops past its timeout, and how often another Python
thread ran meanwhile (README, Reliability): python scripts/deadline_stops.py"""

import array
import threading
import time

import peaje
from peaje.inprocess import BINDINGS

VALUES = list(range(100_000))
TARGETS = list(range(0, 100_000, 100))
TIMEOUT = 0.5


def measure(engine, values, mode) -> tuple[float, float]:
    """(seconds until the ~10^9-search call stopped, ticks per second of another thread)."""
    engine.search(values, [1], mode=mode)  # a resident dataset is built before timing
    ticks = [0]
    done = threading.Event()

    def tick() -> None:
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    start = time.monotonic()
    try:
        engine.search(values, TARGETS, mode=mode, repeat=1_000_000, timeout=TIMEOUT)
    except peaje.DeadlineExceeded:
        pass
    took = time.monotonic() - start
    done.set()
    ticker.join()
    return took, ticks[0] / took


def main() -> None:
    print(f"{'engine-mode':<20} {'timeout':>8} {'stopped after':>14} {'other thread ticks/s':>21}")
    for name in ("python", *BINDINGS):
        engine = peaje.engine(name)
        for mode in (None,) if name == "python" else ("copy", "lazy", "buffer", "resident"):
            values = {"buffer": array.array("q", VALUES), "resident": "range:100000"}.get(
                mode, VALUES
            )
            took, rate = measure(engine, values, mode)
            print(f"{name + '-' + str(mode):<20} {TIMEOUT:>8} {took:>13.3f}s {rate:>21.0f}")


if __name__ == "__main__":
    main()

"""Cold and warm: the first call of a path in a fresh process, measured apart from steady state.

Run once per path in a new interpreter (the report does it several times and takes medians):

    python -m peaje.bench.coldstart native-resident [--grpc-target 127.0.0.1:50051]

prints one JSON object of phase -> nanoseconds: ``import`` (the engine's modules and creating
the engine; for grpc its channel), ``setup`` (dataset list, buffer or SortedArray build),
``first_call`` (for grpc this
includes connecting; for grpc-resident on a fresh spec, the server building the dataset) and
``warm_call`` (median of later calls).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

COLD_SIZE = 100_000


def engine_and_mode(path: str) -> tuple[str, str | None]:
    """A path's engine and data mode, read from its name as bench/paths.py forms it
    ("python", "<engine>-<mode>", "grpc-inline" / "grpc-resident"), without importing paths.py:
    that would import the engines before the clock starts."""
    if path == "python":
        return "python", None
    engine, _, mode = path.partition("-")
    if engine == "grpc":
        return engine, "resident" if mode == "resident" else "copy"
    return engine, mode


def measure(path: str, grpc_target: str | None, step: int) -> dict[str, float]:
    clock = time.perf_counter_ns
    # A STEP no other run used, so the first resident call really builds the dataset.
    spec = f"range:{COLD_SIZE}:{step}"
    targets = [COLD_SIZE * 2 // 3 * step]
    phases: dict[str, float] = {}
    name, mode = engine_and_mode(path)

    started = clock()
    import peaje

    engine = peaje.engine(name, **({"target": grpc_target} if name == "grpc" else {}))
    phases["import"] = clock() - started

    started = clock()
    if mode == "resident" and name == "native":
        from peaje.native import SortedArray

        values = SortedArray.from_spec(spec)
    elif mode == "resident":
        values = spec  # the engine (or the server) builds it on the first call
    elif mode == "buffer":
        import array

        values = array.array("q", range(0, COLD_SIZE * step, step))
    else:
        values = list(range(0, COLD_SIZE * step, step))
    phases["setup"] = clock() - started

    started = clock()
    first = engine.search(values, targets, mode=mode)
    phases["first_call"] = clock() - started
    if first != [COLD_SIZE * 2 // 3]:
        raise AssertionError(f"{path}: wrong answer {first}")

    warm = []
    for _ in range(20):
        started = clock()
        engine.search(values, targets, mode=mode)
        warm.append(clock() - started)
    phases["warm_call"] = statistics.median(warm)
    engine.close()
    return phases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--grpc-target")
    parser.add_argument("--step", type=int, default=1, help="dataset STEP (fresh per run)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.path, args.grpc_target, args.step)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

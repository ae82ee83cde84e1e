"""Cold and warm: the first call of a path in a fresh process, measured apart from steady state.

Run once per path in a new interpreter (the report does it several times and takes medians):

    python -m peaje.bench.coldstart native-resident [--grpc-target 127.0.0.1:50051]

prints one JSON object of phase -> nanoseconds: ``import`` (the engine's modules), ``setup``
(dataset list, buffer or SortedArray build, or channel creation), ``first_call`` (for grpc this
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


def measure(path: str, grpc_target: str | None, step: int) -> dict[str, float]:
    clock = time.perf_counter_ns
    # A STEP no other run used, so the first resident call really builds the dataset.
    spec = f"range:{COLD_SIZE}:{step}"
    targets = [COLD_SIZE * 2 // 3 * step]
    phases: dict[str, float] = {}

    started = clock()
    if path == "python":
        import peaje.reference as module
    elif path.startswith("native"):
        import peaje._native  # noqa: F401
        import peaje.native as module
    else:
        import peaje.remote as module
    phases["import"] = clock() - started

    started = clock()
    if path == "python":
        engine, values, mode = module.PythonEngine(), list(range(0, COLD_SIZE * step, step)), None
    elif path.startswith("native"):
        engine, mode = module.NativeEngine(), path.removeprefix("native-")
        if mode == "resident":
            values = module.SortedArray.from_spec(spec)
        elif mode == "buffer":
            import array

            values = array.array("q", range(0, COLD_SIZE * step, step))
        else:
            values = list(range(0, COLD_SIZE * step, step))
    else:
        engine = module.GrpcEngine(grpc_target)
        mode = "resident" if path == "grpc-resident" else "copy"
        values = spec if mode == "resident" else list(range(0, COLD_SIZE * step, step))
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

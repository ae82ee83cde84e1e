"""Memory: bytes per element of each home the values can have, and each engine's peak RSS.

    python -m peaje.bench.memory layout --size 1000000 [--server-pid PID --grpc-target T]
    python -m peaje.bench.memory peak PATH --size 100000 [--grpc-target T]

``layout`` prints bytes/element for a Python list of ints (the list plus its int objects,
traced by tracemalloc), array('q'), the native vector (SortedArray: its own count and the RSS
it adds) and the server's resident dataset (the server's RSS before and after it builds one).
``peak`` runs one path's workload for a moment in this fresh process and prints its peak RSS
(VmHWM), so each engine's footprint is measured apart.
"""

from __future__ import annotations

import argparse
import array
import json
import sys
import time
import tracemalloc

import psutil


def rss() -> int:
    return psutil.Process().memory_info().rss


def layout(size: int, server_pid: int | None, grpc_target: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    from peaje.native import SortedArray

    before = rss()  # first, before the list's freed pages could be reused
    resident = SortedArray.from_spec(f"range:{size}")
    out["native vector (SortedArray.nbytes)"] = resident.nbytes / size
    out["native vector (RSS added)"] = (rss() - before) / size
    del resident

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    values = list(range(1_000_000, 1_000_000 + size))  # past the small-int cache, as data is
    out["python list of int"] = (tracemalloc.get_traced_memory()[0] - before) / size
    before = tracemalloc.get_traced_memory()[0]
    buffer = array.array("q", values)
    out["array('q')"] = (tracemalloc.get_traced_memory()[0] - before) / size
    tracemalloc.stop()
    del values, buffer

    if server_pid and grpc_target:
        from peaje.remote import GrpcEngine

        server = psutil.Process(server_pid)
        spec = f"range:{size}:{int(time.time()) % 1000 + 2}"  # a spec the server has not built
        with GrpcEngine(grpc_target) as engine:
            engine.noop()
            before = server.memory_info().rss
            engine.search(spec, [0], mode="resident")
            out["server resident dataset (RSS added)"] = (server.memory_info().rss - before) / size
    return out


def peak(path: str, size: int, grpc_target: str | None, seconds: float) -> dict[str, float]:
    import os

    from peaje.bench.paths import SEARCH_PATHS, Case, Engines, prepare

    baseline = peak_rss(os.getpid())
    engines = Engines({"tcp": grpc_target} if grpc_target else {})
    if path != "none":
        via = "tcp" if SEARCH_PATHS[path][0] == "grpc" else ""
        call = prepare(Case("search", path, size, 100, 1, via), engines)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            call()
    engines.close()
    return {
        "peak_rss_bytes": peak_rss(os.getpid()),
        "rss_at_start_bytes": baseline,
    }


def peak_rss(pid: int) -> int | None:
    """VmHWM of a process: its peak resident set (Linux). Not ru_maxrss, which survives exec."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    lay = sub.add_parser("layout")
    lay.add_argument("--size", type=int, default=1_000_000)
    lay.add_argument("--server-pid", type=int)
    lay.add_argument("--grpc-target")
    pk = sub.add_parser("peak")
    pk.add_argument("path")
    pk.add_argument("--size", type=int, default=100_000)
    pk.add_argument("--grpc-target")
    pk.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args(argv)
    if args.what == "layout":
        result = layout(args.size, args.server_pid, args.grpc_target)
    else:
        result = peak(args.path, args.size, args.grpc_target, args.seconds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

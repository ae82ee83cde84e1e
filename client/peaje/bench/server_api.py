"""The server's own share of the remote toll: peaje-server on gRPC's callback API (its default)
against the same service on the sync API (`--api sync`), each with gRPC's defaults and with
--threads 8, all driven by our C++ client so no Python is in the way.

    python -m peaje.bench.server_api [--calls 2000] [--rounds 20] [--load-calls 4000]

Latency: p50/p90/p99 of single Noop and one-target resident Search calls, the servers taking
turns in every round. Throughput: ghz (Go) with 8 concurrent calls over 2 connections.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from peaje.bench.rpc_clients import GHZ_BIN, OPERATIONS, RPC_BENCH_BIN, CppBenchSampler
from peaje.bench.rpc_latency import interleaved, percentile
from peaje.limits import DEFAULT_DATASET
from peaje.processes import StartFailed, find_repo, server_binary
from peaje.stack import LocalStack

REPO = find_repo() or Path.cwd()
# Server -> peaje-server's flags (started by peaje.stack).
SERVERS = {
    "callback API (default)": (),
    "callback API --threads 8": ("--threads", "8"),
    "sync API (--api sync)": ("--api", "sync"),
    "sync API --threads 8 (one poller)": ("--api", "sync", "--threads", "8"),
}


def start(stack: ExitStack, flags: tuple[str, ...]) -> str:
    """Starts peaje-server with `flags`, stopped when `stack` closes; its bound TCP address."""
    return stack.enter_context(LocalStack(server_args=flags)).grpc_target


def throughput(target: str, calls: int) -> float:
    """Search calls per second, 8 at once over 2 connections (ghz)."""
    result = subprocess.run(
        [str(GHZ_BIN), "--insecure", "--proto", str(REPO / "proto/peaje/v1/peaje.proto"),
         "-i", str(REPO / "proto"), "--call", "peaje.v1.Peaje/Search",
         "-d", json.dumps({"dataset": DEFAULT_DATASET, "targets": [66666]}),
         "-c", "8", "--connections", "2", "-n", str(calls), "--format", "json", target],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)["rps"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peaje.bench.server_api", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--load-calls", type=int, default=4000, help="ghz calls per server")
    args = parser.parse_args(argv)
    missing = [p for p in (RPC_BENCH_BIN, GHZ_BIN) if not p.is_file()]
    try:
        server_binary()
    except StartFailed as e:
        missing.append(str(e))
    if missing:
        print(f"missing (make build): {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    with ExitStack() as stack:
        targets = {name: start(stack, flags) for name, flags in SERVERS.items()}
        samplers = {}
        for name, target in targets.items():
            samplers[name] = CppBenchSampler(target)
            stack.callback(samplers[name].close)
        samples = interleaved(samplers, args.calls, args.rounds, args.warmup)
        rps = {name: [] for name in targets}
        for _ in range(2):
            for name, target in targets.items():
                rps[name].append(throughput(target, args.load_calls // 2))
    print(
        f"C++ client, {args.calls} calls per row in {args.rounds} rounds; ghz -c 8 for throughput"
    )
    print(f"  {'server':<34} {'operation':<26} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8}")
    for op in OPERATIONS:
        for name in targets:
            ns = samples[(name, op)]
            print(
                f"  {name:<34} {op:<26} {statistics.median(ns) / 1000:8.1f}"
                f" {percentile(ns, 90) / 1000:8.1f} {percentile(ns, 99) / 1000:8.1f}"
            )
    for name in targets:
        print(
            f"  {name:<34} {'Search, 8 at once (ghz)':<26} {statistics.mean(rps[name]):8.0f} req/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The remote toll in one table: Python client -> peaje-server latency per call, Search against
a no-op RPC on the same channel, over TCP (127.0.0.1) and a Unix socket; and the wire size of
100k int64 values for each protobuf integer encoding.

    python -m peaje.bench.rpc_latency [--calls 2000] [--target unix:/path/peaje.sock ...]

Without --target it starts peaje-server itself (build/cmake/server/peaje-server, or
PEAJE_SERVER_BIN) and stops it at the end. Operations take turns in blocks so drift hits every
row alike; p50 and p90 are of single calls, measured with perf_counter_ns.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from peaje.bench.servers import BenchServers
from peaje.limits import DEFAULT_DATASET
from peaje.remote import GrpcEngine
from peaje.v1 import peaje_pb2

N_WIRE = 100_000


# ---- latency ----------------------------------------------------------------------------------


def percentile(samples: list[int], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def latency_rows(target: str, calls: int, warmup: int) -> list[tuple[str, list[int], list[int]]]:
    """(operation, client ns per call, server_ns per call) for each operation.

    Operations take turns in blocks (50 rounds), so load from elsewhere on the machine hits
    every row alike; the 100k-values call, 50x heavier, gets a tenth of the calls.
    """
    engine = GrpcEngine(target, timeout=10.0)
    values = list(range(N_WIRE))
    operations: list[tuple[str, Callable[[], int], int]] = [
        ("noop", lambda: (engine.noop(), 0)[1], calls),
        (
            "search resident (1 target)",
            lambda: engine.search_timed(DEFAULT_DATASET, [66666])[1],
            calls,
        ),
        (
            "search inline 100k values (1 target)",
            lambda: engine.search_timed(values, [66666])[1],
            max(10, calls // 10),
        ),
    ]
    client: dict[str, list[int]] = {name: [] for name, _, _ in operations}
    server: dict[str, list[int]] = {name: [] for name, _, _ in operations}
    rounds = 50
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _name, call, n in operations:
            for _ in range(min(warmup, n)):
                call()
        for _ in range(rounds):
            for name, call, n in operations:
                for _ in range(max(1, n // rounds)):
                    start = time.perf_counter_ns()
                    server_ns = call()
                    client[name].append(time.perf_counter_ns() - start)
                    server[name].append(server_ns)
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
        engine.close()
    return [(name, client[name], server[name]) for name, _, _ in operations]


# ---- wire size --------------------------------------------------------------------------------


def wire_sizes() -> dict[str, dict[str, int]]:
    """Serialized bytes of 100k values as packed int64, sint64 and sfixed64, per data shape."""
    fields = descriptor_pb2.FieldDescriptorProto
    probe = descriptor_pb2.FileDescriptorProto(
        name="peaje_wire_probe.proto", package="peaje_wire_probe", syntax="proto3"
    )
    types = {"int64": fields.TYPE_INT64, "sint64": fields.TYPE_SINT64}
    types["sfixed64"] = fields.TYPE_SFIXED64
    for name, field_type in types.items():
        message = probe.message_type.add(name=name.capitalize())
        message.field.add(name="v", number=1, type=field_type, label=fields.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(probe)
    classes = {
        name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"peaje_wire_probe.{name.capitalize()}")
        )
        for name in types
    }
    rng = random.Random(1)
    shapes = {
        "range:100000 (0..99999)": list(range(N_WIRE)),
        "indices, half of them -1": [-1 if i % 2 else i for i in range(N_WIRE)],
        "-50000..49999": list(range(-N_WIRE // 2, N_WIRE // 2)),
        "random int64": sorted(rng.randrange(-(2**63), 2**63) for _ in range(N_WIRE)),
    }
    return {
        shape: {name: cls(v=values).ByteSize() for name, cls in classes.items()}
        for shape, values in shapes.items()
    }


# ---- report -----------------------------------------------------------------------------------


def us(ns: float) -> str:
    return f"{ns / 1000:8.1f}"


def print_latency(transport: str, rows, noop_p50: float) -> None:
    print(f"\n{transport}")
    print(f"  {'call':<38} {'p50 us':>8} {'p90 us':>8} {'-noop us':>8} {'server us':>9}")
    for name, client, server in rows:
        p50 = statistics.median(client)
        server_p50 = statistics.median(server)
        print(
            f"  {name:<38} {us(p50)} {us(percentile(client, 90))} {us(p50 - noop_p50)}"
            f" {us(server_p50):>9}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peaje.bench.rpc_latency", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="measured calls per operation")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured calls first")
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        help="an already running server (host:port or unix:PATH), repeatable",
    )
    args = parser.parse_args(argv)
    if args.calls < 10 or args.warmup < 0:
        parser.error("--calls must be >= 10 and --warmup >= 0")

    sizes = wire_sizes()
    request = peaje_pb2.SearchRequest(
        values=peaje_pb2.Int64Values(values=range(N_WIRE)), targets=[66666]
    )
    print(f"wire size of {N_WIRE:,} values (packed, bytes):")
    print(f"  {'values':<28} {'int64':>9} {'sint64':>9} {'sfixed64':>9}")
    for shape, by_type in sizes.items():
        columns = " ".join(f"{by_type[name]:>9,}" for name in ("int64", "sint64", "sfixed64"))
        print(f"  {shape:<28} {columns}")
    print(
        f"  peaje.v1 uses sint64: SearchRequest with range:100000 inline = "
        f"{request.ByteSize():,} bytes"
    )

    def run(targets: dict[str, str]) -> None:
        print(f"\nlatency per call, {args.calls} calls each (inline 100k: a tenth) after warm-up:")
        for transport, target in targets.items():
            rows = latency_rows(target, args.calls, args.warmup)
            print_latency(f"{transport} ({target})", rows, statistics.median(rows[0][1]))

    if args.target:
        run({f"target {i + 1}": target for i, target in enumerate(args.target)})
        return 0
    with BenchServers() as servers:
        if not servers.targets:
            print("\n".join(servers.notes), file=sys.stderr)
            return 1
        run({"tcp": servers.targets["tcp"], "unix socket": servers.targets["unix"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The remote toll decomposed to its floor, in one interleaved run: per call p50/p90/p99 of a
no-op and of a one-target resident search, for every client of peaje-server, beside the wire
floor (a raw 16-byte ping-pong between two Python processes, peaje.bench.wire_floor) over TCP
on 127.0.0.1 and over a Unix socket; and the wire size of 100k int64 values per protobuf
integer encoding.

    python -m peaje.bench.rpc_latency [--calls 2000] [--rounds 20] [--json out.json]

The clients: our C++ benchmark binary on the server's generated stubs (tests/bench/
rpc_bench.cpp, the reference for "gRPC + server"), ghz (Go, .tools/bin, TCP only), and the
grpc engine's Python clients (peaje.remote.CLIENTS: grpcio, grpcio-aio driven from its own
event loop as the API drives it, cpp). It starts peaje-server itself (build/cmake/server/
peaje-server, or PEAJE_SERVER_BIN) and stops it at the end. Every row takes its turn in each
round (``--rounds``), so drift on a shared machine hits every row alike.

The decomposition of each client's p50: wire floor = the ping-pong; gRPC + server = the C++
client minus the floor; the client's own share = the client minus the C++ client.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from peaje.bench.rpc_clients import FLOOR, OPERATIONS, REFERENCE, samplers_for
from peaje.bench.servers import BenchServers
from peaje.bench.wire_floor import EchoProcess
from peaje.v1 import peaje_pb2

N_WIRE = 100_000


# ---- latency ----------------------------------------------------------------------------------


def percentile(samples: list[int], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def interleaved(samplers: dict, calls: int, rounds: int, warmup: int) -> dict:
    """{(row, operation): [ns per call]}: every sampler runs a block of each operation in every
    round, in a fresh random order per round, with the garbage collector off meanwhile."""
    samples: dict[tuple[str, str], list[int]] = {}
    block = max(1, calls // rounds)
    rng = random.Random(15)
    order = [(name, op) for name, sampler in samplers.items() for op in sampler.operations]
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for name, op in order:
            samplers[name].block(op, warmup)
        for _ in range(rounds):
            rng.shuffle(order)
            for name, op in order:
                samples.setdefault((name, op), []).extend(samplers[name].block(op, block))
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def summarize(samples: dict, transport: str) -> list[dict]:
    """One row per (client, operation) with p50/p90/p99 and the p50's decomposition."""
    floor = statistics.median(samples[(FLOOR, "round trip")])
    reference = {
        op: statistics.median(samples[(REFERENCE, op)])
        for op in OPERATIONS
        if (REFERENCE, op) in samples
    }
    rows = []
    for (name, op), ns in samples.items():
        p50 = statistics.median(ns)
        row = {
            "transport": transport,
            "client": name,
            "operation": op,
            "calls": len(ns),
            "p50_us": p50 / 1000,
            "p90_us": percentile(ns, 90) / 1000,
            "p99_us": percentile(ns, 99) / 1000,
            "x_floor": p50 / floor,
        }
        if name != FLOOR and op in reference:
            row["floor_us"] = floor / 1000
            row["grpc_server_us"] = (reference[op] - floor) / 1000
            row["client_us"] = (p50 - reference[op]) / 1000
        rows.append(row)
    order = [FLOOR, REFERENCE]
    rows.sort(key=lambda r: (r["operation"] != "round trip", r["operation"],
                             r["client"] not in order, order.index(r["client"])
                             if r["client"] in order else 0, r["p50_us"]))  # fmt: skip
    return rows


def measure(targets: dict[str, str], floor: dict[str, str], args) -> list[dict]:
    rows = []
    for transport, target in targets.items():
        with samplers_for(transport, target, floor[transport]) as samplers:
            samples = interleaved(samplers, args.calls, args.rounds, args.warmup)
        rows.extend(summarize(samples, transport))
    return rows


def run(calls: int, rounds: int, warmup: int, unix: bool = True) -> list[dict]:
    """The decomposition's rows, on a peaje-server and an echo process of its own (both stopped
    at the end); [] when the server could not start. The report's remote-toll section uses it."""
    args = argparse.Namespace(calls=calls, rounds=rounds, warmup=warmup)
    with BenchServers() as servers, EchoProcess() as echo:
        if not servers.targets:
            print("\n".join(servers.notes), file=sys.stderr)
            return []
        targets = {"tcp": servers.targets["tcp"]}
        if unix:
            targets["unix"] = servers.targets["unix"]
        return measure(targets, echo.addresses, args)


def goal_ratio(rows: list[dict]) -> tuple[dict, dict] | None:
    """(the fastest Python client's TCP no-op row, the TCP floor row), when both were measured."""
    tcp = [r for r in rows if r["transport"] == "tcp"]
    floor = next((r for r in tcp if r["client"] == FLOOR), None)
    python = [r for r in tcp if r["operation"] == "noop" and r["client"].startswith("python")]
    if floor is None or not python:
        return None
    return min(python, key=lambda r: r["p50_us"]), floor


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


def print_rows(rows: list[dict]) -> None:
    print(
        f"  {'transport':<6} {'operation':<20} {'client':<30} {'p50 us':>8} {'p90 us':>8}"
        f" {'p99 us':>8} {'x floor':>7} {'floor':>6} {'grpc+srv':>8} {'client':>7}"
    )
    for r in rows:
        parts = "".join(
            f" {r[key]:>{width}.1f}" if key in r else " " * (width + 1)
            for key, width in (("floor_us", 6), ("grpc_server_us", 8), ("client_us", 7))
        )
        print(
            f"  {r['transport']:<6} {r['operation']:<20} {r['client']:<30} {r['p50_us']:8.1f}"
            f" {r['p90_us']:8.1f} {r['p99_us']:8.1f} {r['x_floor']:7.2f}{parts}"
        )


def print_wire_sizes() -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peaje.bench.rpc_latency", description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="measured calls per row")
    parser.add_argument("--rounds", type=int, default=20, help="turns each row takes")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured calls first")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--no-unix", action="store_true", help="TCP only")
    args = parser.parse_args(argv)
    if args.calls < 10 or args.warmup < 0 or not 1 <= args.rounds <= args.calls:
        parser.error("--calls must be >= 10, --warmup >= 0, 1 <= --rounds <= --calls")

    print_wire_sizes()
    rows = run(args.calls, args.rounds, args.warmup, unix=not args.no_unix)
    if not rows:
        return 1
    print(f"\nlatency per call, {args.calls} calls per row in {args.rounds} rounds, after warm-up")
    print("(p50 decomposed: floor = ping-pong, grpc+srv = c++ client - floor, client = row - c++)")
    print_rows(rows)
    goal = goal_ratio(rows)
    if goal:
        best, floor = goal
        print(
            f"\ngoal: best Python client's no-op p50 / TCP floor p50 = {best['client']}: "
            f"{best['p50_us']:.1f} / {floor['p50_us']:.1f} us = "
            f"{best['p50_us'] / floor['p50_us']:.2f}x (goal <= 1.5x)"
        )
    if args.json:
        args.json.write_text(json.dumps({"schema": "peaje.rpc_latency/1", "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

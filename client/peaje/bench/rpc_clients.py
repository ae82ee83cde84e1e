"""The rows of the remote toll's decomposition (peaje.bench.rpc_latency): one sampler per client
of peaje-server, each timing a block of calls of one operation per turn.

- the wire floor: a 16-byte ping-pong to peaje.bench.wire_floor's echo process;
- our C++ client (tests/bench/rpc_bench.cpp, a long-lived process fed blocks on stdin);
- ghz (Go), one bounded run per block (its own connection, warmed by --skipFirst);
- the grpc engine's Python clients (peaje.remote.CLIENTS), timed with perf_counter_ns around
  the engine call; the event loop clients (remote.ASYNC_CLIENTS: grpcio-aio, cpp through its
  eventfd) also awaited on an event loop of the bench's, as the API awaits them.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from peaje.bench.wire_floor import PingPong
from peaje.limits import DEFAULT_DATASET
from peaje.processes import find_repo
from peaje.remote import ASYNC_CLIENTS, GrpcEngine, async_engine, available_clients

REPO = find_repo() or Path.cwd()  # the build tree and proto/ of the checkout

OPERATIONS = ("noop", "search resident 1 target")
FLOOR = "wire floor (ping-pong)"
REFERENCE = "c++ client (peaje_rpc_bench)"
TARGET = 66666
RPC_BENCH_BIN = Path(
    os.environ.get("PEAJE_RPC_BENCH_BIN", REPO / "build/cmake/tests/bench/peaje_rpc_bench")
)
GHZ_BIN = Path(os.environ.get("PEAJE_GHZ_BIN", REPO / ".tools" / "bin" / "ghz"))


class FloorSampler:
    operations = ("round trip",)

    def __init__(self, address: str) -> None:
        self._ping = PingPong(address)

    def block(self, op: str, n: int) -> list[int]:
        clock, round_trip = time.perf_counter_ns, self._ping.round_trip
        out = []
        for _ in range(n):
            start = clock()
            round_trip()
            out.append(clock() - start)
        return out

    def close(self) -> None:
        self._ping.close()


class CppBenchSampler:
    operations = OPERATIONS

    def __init__(self, target: str) -> None:
        self._process = subprocess.Popen(
            [str(RPC_BENCH_BIN), target], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def block(self, op: str, n: int) -> list[int]:
        self._process.stdin.write(f"{op.split()[0]} {n}\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line.strip() and n:
            raise RuntimeError(f"peaje_rpc_bench stopped (exit {self._process.poll()})")
        return [int(ns) for ns in line.split()]

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(10)


class GhzSampler:
    operations = OPERATIONS
    WARM = 20
    CALLS = {
        "noop": ("peaje.v1.Peaje/Noop", "{}"),
        "search resident 1 target": (
            "peaje.v1.Peaje/Search",
            json.dumps({"dataset": DEFAULT_DATASET, "targets": [TARGET]}),
        ),
    }

    def __init__(self, target: str) -> None:
        self._target = target

    def block(self, op: str, n: int) -> list[int]:
        method, data = self.CALLS[op]
        result = subprocess.run(
            [str(GHZ_BIN), "--insecure", "--proto", str(REPO / "proto/peaje/v1/peaje.proto"),
             "-i", str(REPO / "proto"), "--call", method, "-d", data, "-c", "1",
             "-n", str(n + self.WARM), "--skipFirst", str(self.WARM), "--format", "json",
             self._target],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return [int(d["latency"]) for d in json.loads(result.stdout).get("details") or []]

    def close(self) -> None:
        pass


class EngineSampler:
    """A synchronous GrpcEngine on one client."""

    operations = OPERATIONS

    def __init__(self, target: str, client: str) -> None:
        self._engine = GrpcEngine(target, timeout=10.0, client=client)
        engine = self._engine
        self._calls = {
            "noop": engine.noop,
            "search resident 1 target": lambda: engine.search_timed(DEFAULT_DATASET, [TARGET]),
        }

    def block(self, op: str, n: int) -> list[int]:
        clock, call = time.perf_counter_ns, self._calls[op]
        out = []
        for _ in range(n):
            start = clock()
            call()
            out.append(clock() - start)
        return out

    def close(self) -> None:
        self._engine.close()


class AioSampler:
    """An event loop's grpc engine (peaje.remote.async_engine: grpc.aio, or cpp through its
    eventfd) awaited on the bench's own loop, as the API awaits it."""

    operations = OPERATIONS

    def __init__(self, target: str, client: str = "grpcio-aio") -> None:
        self._loop = asyncio.new_event_loop()
        self._engine = self._loop.run_until_complete(self._open(target, client))

    @staticmethod
    async def _open(target: str, client: str) -> Any:
        return async_engine(target, 10.0, client)

    async def _block(self, op: str, n: int) -> list[int]:
        engine, clock, out = self._engine, time.perf_counter_ns, []
        for _ in range(n):
            start = clock()
            if op == "noop":
                await engine.noop()
            else:
                await engine.search_timed(DEFAULT_DATASET, [TARGET])
            out.append(clock() - start)
        return out

    def block(self, op: str, n: int) -> list[int]:
        return self._loop.run_until_complete(self._block(op, n))

    def close(self) -> None:
        self._loop.run_until_complete(self._engine.close())
        self._loop.close()


@contextmanager
def samplers_for(transport: str, target: str, floor_address: str) -> Iterator[dict]:
    """Every sampler available here for one transport, closed on exit."""
    with ExitStack() as stack:
        samplers: dict = {}

        def add(name: str, sampler) -> None:
            samplers[name] = sampler
            stack.callback(sampler.close)

        add(FLOOR, FloorSampler(floor_address))
        if RPC_BENCH_BIN.is_file():
            add(REFERENCE, CppBenchSampler(target))
        if GHZ_BIN.is_file() and transport == "tcp":
            add("ghz (go)", GhzSampler(target))
        for client in available_clients():
            add(f"python {client}", EngineSampler(target, client))
            if client in ASYNC_CLIENTS:  # as the API awaits it
                add(f"python {client} in its loop", AioSampler(target, client))
        yield samplers

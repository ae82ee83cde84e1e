"""Overload: what happens past saturation. Closed-loop clients at rising concurrency against
the HTTP front; for each level, how many requests were admitted (200) and shed (503 with
Retry-After), and the latency of each kind. With shedding on, p99 of admitted requests stays
bounded while the excess is refused at once; without it, every request queues and p99 grows
with the offered load.

    python -m peaje.bench.overload [--seconds 5] [--clients 4,16,64,128] [--json out.json]

Scenarios (each starts its own peaje-server and uvicorn on free 127.0.0.1 ports):
- api:    /v1/native/search carrying 200k searches (~4 ms of core work) per call; API limit off vs
          PEAJE_MAX_IN_FLIGHT=N.
- server: /v1/grpc/search with the same work; peaje-server --threads 0 (no cap) vs --threads 2
          (calls past the cap refused UNAVAILABLE "server busy" -> 503 + Retry-After).

A shed client waits 50 ms before its next request (it does not honour Retry-After, to keep the
pressure on).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from peaje.bench.servers import SERVER_BIN, free_port, stop_process, wait_serving

WORK = {"dataset": "range:100000", "targets": list(range(0, 100000, 500)), "repeat": 1000}
SHED_PAUSE = 0.05


def start_stack(stack: ExitStack, server_args: list[str], api_env: dict[str, str]) -> str:
    grpc_target = f"127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [str(SERVER_BIN), "--listen", grpc_target, *server_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.callback(stop_process, server)
    wait_serving(grpc_target, 15)
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "peaje.api:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env={**os.environ, "PEAJE_GRPC_TARGET": grpc_target, "PEAJE_GRPC_TIMEOUT": "10",
             **api_env},
    )  # fmt: skip
    stack.callback(stop_process, api)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the API did not become ready")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_level(url: str, path: str, clients: int, seconds: float) -> dict:
    admitted: list[float] = []
    shed: list[float] = []
    other: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop = time.monotonic() + seconds

        async def user() -> None:
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    response = await client.post(path, json=WORK)
                    status = response.status_code
                except httpx.HTTPError as e:
                    status = type(e).__name__
                elapsed = (time.perf_counter() - start) * 1000
                if status == 200:
                    admitted.append(elapsed)
                elif status == 503 and "retry-after" in response.headers:
                    shed.append(elapsed)
                    await asyncio.sleep(SHED_PAUSE)
                else:
                    other[str(status)] = other.get(str(status), 0) + 1

        await asyncio.gather(*(user() for _ in range(clients)))
    return {
        "clients": clients,
        "sent": len(admitted) + len(shed) + sum(other.values()),
        "admitted": len(admitted),
        "shed": len(shed),
        "other": other,
        "admitted_per_s": len(admitted) / seconds,
        "p50_ms": statistics.median(admitted) if admitted else float("nan"),
        "p99_ms": percentile(admitted, 0.99),
        "shed_p99_ms": percentile(shed, 0.99),
    }


def scenarios(in_flight: int, threads: int) -> list[tuple[str, str, str, list[str], dict]]:
    return [
        ("api", "off", "/v1/native/search", [], {"PEAJE_MAX_IN_FLIGHT": "0"}),
        ("api", f"in-flight {in_flight}", "/v1/native/search", [],
         {"PEAJE_MAX_IN_FLIGHT": str(in_flight)}),
        ("server", "off", "/v1/grpc/search", ["--threads", "0"], {"PEAJE_MAX_IN_FLIGHT": "0"}),
        ("server", f"--threads {threads}", "/v1/grpc/search", ["--threads", str(threads)],
         {"PEAJE_MAX_IN_FLIGHT": "0"}),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per level")
    parser.add_argument("--clients", default="4,16,64,128")
    parser.add_argument("--in-flight", type=int, default=8, help="API limit when on")
    parser.add_argument("--threads", type=int, default=2, help="server cap when on")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    rows = []
    header = (
        f"{'scenario':<8} {'limit':<13} {'clients':>7} {'sent':>6} {'200':>6} {'503':>6} "
        f"{'other':>5} {'200/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'503 p99 ms':>10}"
    )
    searches = WORK["repeat"] * len(WORK["targets"])
    pause_ms = SHED_PAUSE * 1000
    print(f"overload: {searches} searches per request, {args.seconds:.0f}s per level, "
          f"shed clients pause {pause_ms:.0f} ms")  # fmt: skip
    print(header)
    for scenario, limit, path, server_args, api_env in scenarios(args.in_flight, args.threads):
        with ExitStack() as stack:
            url = start_stack(stack, server_args, api_env)
            asyncio.run(run_level(url, path, 2, 1.0))  # warm-up: dataset built, threads up
            for clients in levels:
                row = asyncio.run(run_level(url, path, clients, args.seconds))
                row.update(scenario=scenario, limit=limit)
                rows.append(row)
                print(
                    f"{scenario:<8} {limit:<13} {clients:>7} {row['sent']:>6} "
                    f"{row['admitted']:>6} {row['shed']:>6} {sum(row['other'].values()):>5} "
                    f"{row['admitted_per_s']:>6.0f} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
                    f"{row['shed_p99_ms']:>10.1f}",
                    flush=True,
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))
    return 1 if any(row["other"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

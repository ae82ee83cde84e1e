"""What the HTTP front costs: requests/s of /v1/native/search against the no-op endpoint, and
the time breakdown of one grpc search (front, engine, server, network) at 1 and 10,000 targets.

    python -m peaje.bench.http_rps [--url http://127.0.0.1:8000] [--duration 10]

Without --url it starts its own peaje-server and uvicorn (one worker) on free 127.0.0.1 ports
and stops them after. Load comes from wrk (Debian's ``wrk``) when it is on PATH, else from an
httpx asyncio client (which needs more CPU per request, so it reports lower ceilings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from peaje.bench.servers import start_local_stack

SEARCH_BODY = {"targets": [66666]}  # resident range:100000, one target
LOADS = [
    ("GET /v1/noop", "GET", "/v1/noop", None),
    ("POST /v1/native/search (1 target)", "POST", "/v1/native/search", SEARCH_BODY),
    ("POST /v1/grpc/search (1 target)", "POST", "/v1/grpc/search", SEARCH_BODY),
]


# ---- the processes --------------------------------------------------------------------------


# ---- load -----------------------------------------------------------------------------------


def wrk_rps(url: str, method: str, path: str, body, duration: float, connections: int) -> dict:
    script = f"wrk.method = {json.dumps(method)}\n"
    if body is not None:
        script += f"wrk.body = {json.dumps(json.dumps(body))}\n"
        script += 'wrk.headers["Content-Type"] = "application/json"\n'
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--latency",
             "-s", lua.name, url + path],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p50 = re.search(r"50%\s+([0-9.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([0-9.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return {
        "rps": rps,
        "p50_ms": float(p50.group(1)) * unit[p50.group(2)],
        "p99_ms": float(p99.group(1)) * unit[p99.group(2)],
        "non_2xx": int(errors.group(1)) if errors else 0,
        "client": "wrk",
    }


async def httpx_rps(url, method, path, body, duration: float, connections: int) -> dict:
    latencies: list[float] = []
    bad = 0
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop = time.monotonic() + duration

        async def user() -> None:
            nonlocal bad
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - start)
                bad += response.status_code >= 300

        start = time.monotonic()
        await asyncio.gather(*(user() for _ in range(connections)))
        elapsed = time.monotonic() - start
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
        "non_2xx": bad,
        "client": "httpx",
    }


# ---- one request, broken down ---------------------------------------------------------------


def server_timing(response: httpx.Response) -> dict[str, float]:
    header = ", ".join(response.headers.get_list("server-timing"))
    return {m[0]: float(m[1]) for m in re.findall(r"(\w+);dur=([0-9.]+)", header)}


def breakdown(url: str, n_targets: int, samples: int) -> dict:
    """Medians (ms) of: client round trip, app (in the API), engine (around the grpc call),
    server (inside the core). front = app - engine; API<->server network + protobuf =
    engine - server; client<->API network + HTTP/JSON in the client = round trip - app."""
    body = {"targets": list(range(0, 100000, max(1, 100000 // n_targets)))[:n_targets]}
    rows = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(samples + 5):
            start = time.perf_counter()
            response = client.post("/v1/grpc/search", json=body)
            rtt_ms = (time.perf_counter() - start) * 1e3
            response.raise_for_status()
            data, timing = response.json(), server_timing(response)
            if i >= 5:  # warm-up
                rows.append(
                    {
                        "round_trip": rtt_ms,
                        "app": timing["app"],
                        "engine": data["engine_ns"] / 1e6,
                        "server": data["server_ns"] / 1e6,
                    }
                )
    med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    return {
        "targets": n_targets,
        **{f"{k}_ms": v for k, v in med.items()},
        "front_ms": med["app"] - med["engine"],
        "grpc_network_ms": med["engine"] - med["server"],
        "http_client_side_ms": med["round_trip"] - med["app"],
    }


def serial_costs(url: str, samples: int) -> dict[str, dict[str, float]]:
    """One request at a time (no queueing): medians (ms) of round trip, app and engine."""
    out = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for name, method, path, body in LOADS:
            rows = []
            for i in range(samples + 5):
                start = time.perf_counter()
                response = client.request(method, path, json=body)
                rtt_ms = (time.perf_counter() - start) * 1e3
                data, timing = response.json(), server_timing(response)
                if i >= 5:
                    engine_ms = data.get("engine_ns", 0) / 1e6
                    rows.append((rtt_ms, timing["app"], engine_ms))
            rtt, app, engine = (statistics.median(column) for column in zip(*rows, strict=True))
            out[name] = {"round_trip_ms": rtt, "app_ms": app, "engine_ms": engine}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje-http-rps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help="an API already running (default: start one)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--samples", type=int, default=200, help="breakdown samples per size")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator (auto: wrk when on PATH)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        url = args.url or start_local_stack(stack)
        use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
        results: dict = {"url": url, "load": {}, "breakdown": []}
        for name, method, path, body in LOADS:
            httpx.request(method, url + path, json=body).raise_for_status()  # warm (dataset)
            if use_wrk:
                row = wrk_rps(url, method, path, body, args.duration, args.connections)
            else:
                row = asyncio.run(
                    httpx_rps(url, method, path, body, args.duration, args.connections)
                )
            results["load"][name] = row
            print(
                f"{name:<36} {row['rps']:>9.0f} req/s   p50 {row['p50_ms']:.2f} ms   "
                f"p99 {row['p99_ms']:.2f} ms   non-2xx {row['non_2xx']}   ({row['client']}, "
                f"{args.connections} connections)",
                flush=True,
            )
        noop = results["load"]["GET /v1/noop"]["rps"]
        native = results["load"]["POST /v1/native/search (1 target)"]["rps"]
        print(
            f"native search / no-op: {native / noop:.2f} "
            f"(per request: {1e6 / native - 1e6 / noop:.0f} us more than the no-op)"
        )
        results["serial"] = serial_costs(url, args.samples)
        print("\none request at a time, medians in ms (front = app - engine):")
        for name, row in results["serial"].items():
            print(
                f"  {name:<36} round trip {row['round_trip_ms']:.3f}  app {row['app_ms']:.3f}  "
                f"engine {row['engine_ms']:.3f}  front {row['app_ms'] - row['engine_ms']:.3f}"
            )
        print("\none grpc search through the API, medians in ms:")
        print(
            f"{'targets':>8} {'round trip':>11} {'app':>8} {'engine':>8} {'server':>8} "
            f"{'front':>8} {'grpc net':>9} {'http client':>12}"
        )
        for n in (1, 10_000):
            row = breakdown(url, n, args.samples)
            results["breakdown"].append(row)
            print(
                f"{n:>8} {row['round_trip_ms']:>11.3f} {row['app_ms']:>8.3f} "
                f"{row['engine_ms']:>8.3f} {row['server_ms']:>8.3f} {row['front_ms']:>8.3f} "
                f"{row['grpc_network_ms']:>9.3f} {row['http_client_side_ms']:>12.3f}"
            )
        print(
            "front = app - engine (routing, JSON, validation, response); grpc net = engine -"
            " server (protobuf + loopback + grpc.aio); http client = round trip - app."
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Overload: what happens past saturation. Closed-loop connections at rising concurrency against
the HTTP front; for each level, how many requests were admitted (200) and shed (503 with
Retry-After), what the clients saw, and the latency of the admitted requests inside the API.
With shedding on, admitted requests keep a bounded latency while the excess is refused at once;
without it, every request queues and latency grows with the offered load.

    python -m peaje.bench.overload [--seconds 5] [--clients 4,16,64,128] [--json out.json]

Scenarios (each starts its own peaje-server and uvicorn on free 127.0.0.1 ports):
- api:    /v1/native/search carrying 200k searches (~4 ms of core work) per call; the API's
          limit off vs PEAJE_MAX_IN_FLIGHT=N (503 + Retry-After past N in flight).
- server: /v1/grpc/search with the same work; peaje-server --threads 0 (no cap) vs --threads 2
          (calls past the cap refused UNAVAILABLE "server busy" with grpc-retry-pushback-ms,
          answered 503 + Retry-After by the API).

Load comes from wrk (Debian's ``wrk``: C, cheap per request, so the client is not the
bottleneck) when it is on PATH, else from httpx asyncio clients in this process. wrk does not
honour Retry-After: it keeps the pressure on. Admitted latency is read from the API's own
histograms (/metrics) before and after each level: the time in the API for the engine route
(shed requests are counted under it but not timed), or for the server scenario the engine time
of successful calls; the bucket's upper bound is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from peaje.bench.servers import start_local_stack

WORK = {"dataset": "range:100000", "targets": list(range(0, 100000, 500)), "repeat": 1000}


# ---- admitted latency, from the API's histograms ------------------------------------------


def histogram(url: str, name: str, labels: dict[str, str]) -> dict[float, float]:
    """Cumulative bucket counts {le: count} of one labelled histogram on /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != f"{name}_bucket":
                continue
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                buckets[float(sample.labels["le"])] = sample.value
    return buckets


def quantile_ms(before: dict[float, float], after: dict[float, float], q: float) -> float | None:
    """The upper bound (ms) of the bucket holding quantile q of the observations in between."""
    delta = {le: after.get(le, 0) - before.get(le, 0) for le in after}
    total = delta.get(float("inf"), 0)
    if total <= 0:
        return None
    for le in sorted(delta):
        if delta[le] >= q * total:
            return le * 1000
    return None


def bound(ms: float | None) -> str:
    return "-" if ms is None else f"<= {ms:g}"


# ---- load ---------------------------------------------------------------------------------


def wrk_level(url: str, path: str, clients: int, seconds: float) -> dict:
    body = json.dumps(WORK)
    script = (
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--latency", "-s", lua.name,
             url + path],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}

    def ms(label: str) -> float:
        found = re.search(rf"{label}\s+([0-9.]+)(us|ms|s|m)\b", out)
        return float(found.group(1)) * unit[found.group(2)] if found else float("nan")

    sent = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "sent": sent,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "client_p50_ms": ms("50%"),
        "client_p99_ms": ms("99%"),
    }


async def httpx_level(url: str, path: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    non_2xx = errors = 0
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop = time.monotonic() + seconds

        async def user() -> None:
            nonlocal non_2xx, errors
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    response = await client.post(path, json=WORK)
                    non_2xx += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        await asyncio.gather(*(user() for _ in range(clients)))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "sent": len(latencies),
        "non_2xx": non_2xx,
        "socket_errors": errors,
        "client_p50_ms": pick(0.5) if latencies else float("nan"),
        "client_p99_ms": pick(0.99) if latencies else float("nan"),
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
    use_wrk = shutil.which("wrk") is not None
    searches = WORK["repeat"] * len(WORK["targets"])
    print(
        f"overload: {searches} searches per request, {args.seconds:.0f}s per level, load from "
        f"{'wrk' if use_wrk else 'httpx (no wrk on PATH)'}; 'admitted' latencies are the API's "
        "own histogram bucket bounds"
    )
    header = (
        f"{'scenario':<8} {'limit':<12} {'conns':>5} {'sent':>6} {'200':>6} {'503':>6} "
        f"{'err':>4} {'200/s':>6} {'client p50':>10} {'client p99':>10} "
        f"{'admitted p50':>12} {'admitted p99':>12}"
    )
    print(header)
    rows = []
    for scenario, limit, path, server_args, api_env in scenarios(args.in_flight, args.threads):
        engine = "native" if scenario == "api" else "grpc"
        # Time in the API for the routed request (shed ones are counted, not timed); for the
        # server scenario, the engine time of successful calls (503s from the server are routed).
        metric, labels = (
            ("peaje_http_request_duration_seconds", {"engine": engine})
            if scenario == "api"
            else ("peaje_engine_duration_seconds", {"engine": engine})
        )
        with ExitStack() as stack:
            url = start_local_stack(stack, server_args, {"PEAJE_GRPC_TIMEOUT": "30", **api_env})
            httpx.post(url + path, json=WORK, timeout=30)  # warm-up: dataset built
            for clients in levels:
                before = histogram(url, metric, labels)
                if use_wrk:
                    row = wrk_level(url, path, clients, args.seconds)
                else:
                    row = asyncio.run(httpx_level(url, path, clients, args.seconds))
                after = histogram(url, metric, labels)
                admitted = row["sent"] - row["non_2xx"] - row["socket_errors"]
                row.update(
                    scenario=scenario,
                    limit=limit,
                    clients=clients,
                    admitted=admitted,
                    shed=row["non_2xx"],
                    admitted_per_s=admitted / args.seconds,
                    admitted_p50_ms=quantile_ms(before, after, 0.50),
                    admitted_p99_ms=quantile_ms(before, after, 0.99),
                )
                rows.append(row)
                print(
                    f"{scenario:<8} {limit:<12} {clients:>5} {row['sent']:>6} {admitted:>6} "
                    f"{row['shed']:>6} {row['socket_errors']:>4} {row['admitted_per_s']:>6.0f} "
                    f"{row['client_p50_ms']:>10.1f} {row['client_p99_ms']:>10.1f} "
                    f"{bound(row['admitted_p50_ms']):>12} {bound(row['admitted_p99_ms']):>12}",
                    flush=True,
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))
    return 1 if any(row["socket_errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

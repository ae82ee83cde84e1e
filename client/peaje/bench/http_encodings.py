"""JSON against protobuf bodies through the HTTP front, per batch size: the same resident search
on the native engine, one request at a time, as JSON and as peaje.v1 protobuf (request and
response). The report's "HTTP bodies" section is made of these rows.

    python -m peaje.bench.http_encodings [--url http://127.0.0.1:8000] [--samples 30]

``app`` is the time in the API process (Server-Timing ``app``: read, parse, validate, engine,
serialise), ``engine`` the engine call alone; the difference is what the encoding costs there.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from contextlib import ExitStack

import httpx

from peaje.bench.servers import start_local_stack
from peaje.v1 import peaje_pb2

BATCHES = (1, 100, 10_000, 100_000)
ENCODINGS = {"json": "application/json", "protobuf": "application/x-protobuf"}


def bodies(n: int) -> dict[str, bytes]:
    targets = [(i * 7919) % 100_000 for i in range(n)]  # resident range:100000
    return {
        "json": json.dumps({"targets": targets}, separators=(",", ":")).encode(),
        "protobuf": peaje_pb2.SearchRequest(targets=targets).SerializeToString(),
    }


def timed_ms(response: httpx.Response, name: str) -> float:
    header = ", ".join(response.headers.get_list("server-timing"))
    return float(re.search(rf"\b{name};dur=([0-9.]+)", header).group(1))


def measure_one(client: httpx.Client, encoding: str, body: bytes, samples: int) -> dict:
    kind = ENCODINGS[encoding]
    headers = {"content-type": kind, "accept": kind}
    rows = []
    for i in range(samples + 3):
        start = time.perf_counter()
        response = client.post("/v1/native/search", content=body, headers=headers)
        round_trip = (time.perf_counter() - start) * 1e3
        response.raise_for_status()
        if i >= 3:  # warm-up
            rows.append((round_trip, timed_ms(response, "app"), timed_ms(response, "engine")))
    rtt, app, engine = (statistics.median(column) for column in zip(*rows, strict=True))
    return {"round_trip_ms": rtt, "app_ms": app, "engine_ms": engine, "body_bytes": len(body)}


def measure(url: str, samples: int = 30, batches: tuple[int, ...] = BATCHES) -> list[dict]:
    """One row per batch size: {"targets": n, "json": {...}, "protobuf": {...}}."""
    out = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for n in batches:
            encoded = bodies(n)
            row: dict = {"targets": n}
            for encoding in ENCODINGS:
                row[encoding] = measure_one(client, encoding, encoded[encoding], samples)
            out.append(row)
    return out


def run(samples: int = 30, url: str | None = None) -> list[dict]:
    with ExitStack() as stack:
        return measure(url or start_local_stack(stack), samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peaje-http-encodings", description=__doc__)
    parser.add_argument("--url", help="an API already running (default: start one)")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    print(
        f"{'targets':>8} {'encoding':>9} {'bytes':>9} {'app ms':>8} {'engine ms':>10} {'rtt ms':>8}"
    )
    for row in run(args.samples, args.url):
        for encoding in ENCODINGS:
            m = row[encoding]
            print(
                f"{row['targets']:>8} {encoding:>9} {m['body_bytes']:>9} {m['app_ms']:>8.3f} "
                f"{m['engine_ms']:>10.3f} {m['round_trip_ms']:>8.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

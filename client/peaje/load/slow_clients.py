"""The slow-body attack on the HTTP front, bounded: ``slow`` connections send a request's headers
at once, then trickle its body a byte at a time over ``seconds``; meanwhile ordinary requests
and /readyz probes show whether the front still serves. Loopback only, stops by itself.

    python -m peaje.load.slow_clients [--url http://127.0.0.1:PORT] [--slow 130 --seconds 6]

Without --url it starts its own peaje-server and API on free ports (PEAJE_* settings from the
environment apply) and stops them afterwards.

Prints one JSON object: the ordinary requests' statuses and slowest latency, what /readyz said,
and how each slow connection ended (its status line, or "closed").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx

BODY = b'{"targets": [1, 2]}'  # 19 bytes
PATH = "/v1/native/search"


async def slow_upload(host: str, port: int, seconds: float) -> str:
    """One connection: headers now, then BODY a byte at a time spread over ``seconds``. The
    status line the API answered with, or "closed" when it hung up without one."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as e:
        return f"refused ({type(e).__name__})"
    try:
        writer.write(
            f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        )
        await writer.drain()
        answer = asyncio.ensure_future(reader.readline())  # the API may answer mid-upload
        pause = seconds / len(BODY)
        for i in range(len(BODY)):
            if (await asyncio.wait({answer}, timeout=pause))[0]:
                break
            try:
                writer.write(BODY[i : i + 1])
                await writer.drain()
            except OSError:  # closed on us: read what it said
                break
        line = await asyncio.wait_for(answer, timeout=seconds + 10)
        return line.decode("latin-1").strip()[9:12] or "closed"
    except (OSError, asyncio.IncompleteReadError):
        return "closed"
    except TimeoutError:
        return "no answer"
    finally:
        writer.close()


async def ordinary(url: str, count: int, gap: float) -> tuple[list[int], list[int], float]:
    """``count`` ordinary searches, one every ``gap`` seconds, each followed by a /readyz
    probe: (search statuses, readyz statuses, slowest search in seconds)."""
    statuses, ready, slowest = [], [], 0.0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(count):
            start = time.monotonic()
            try:
                response = await client.post(PATH, json={"targets": [1, 2]})
                statuses.append(response.status_code)
            except httpx.TransportError:
                statuses.append(0)
            slowest = max(slowest, time.monotonic() - start)
            try:
                ready.append((await client.get("/readyz")).status_code)
            except httpx.TransportError:
                ready.append(0)
            await asyncio.sleep(gap)
    return statuses, ready, slowest


async def attack(url: str, slow: int, seconds: float, requests: int) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    uploads = [asyncio.create_task(slow_upload(host, port, seconds)) for _ in range(slow)]
    await asyncio.sleep(min(1.0, seconds / 4))  # every slow connection is now uploading
    statuses, ready, slowest = await ordinary(url, requests, (seconds * 0.6) / max(requests, 1))
    ended = Counter(await asyncio.gather(*uploads))
    return {
        "slow_connections": slow,
        "trickle_seconds": seconds,
        "ordinary": dict(sorted(Counter(map(str, statuses)).items())),
        "ordinary_ok": statuses.count(200),
        "ordinary_sent": len(statuses),
        "ordinary_slowest_ms": round(slowest * 1e3, 1),
        "readyz": dict(sorted(Counter(map(str, ready)).items())),
        "slow_ended": dict(sorted(ended.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the API (default: start one), e.g. http://127.0.0.1:8000")
    parser.add_argument("--slow", type=int, default=130, help="slow connections")
    parser.add_argument("--seconds", type=float, default=6.0, help="time to trickle one body")
    parser.add_argument("--requests", type=int, default=29, help="ordinary requests meanwhile")
    args = parser.parse_args(argv)
    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address: this is an attack")
    with ExitStack() as stack:
        if not args.url:
            from peaje.bench.servers import start_local_stack

            args.url = start_local_stack(stack)
        result = asyncio.run(attack(args.url, args.slow, args.seconds, args.requests))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

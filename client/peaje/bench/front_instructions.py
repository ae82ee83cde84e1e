"""The front's own toll as instructions per request, counted by valgrind (callgrind): the one
figure of it a noisy 2-core VM cannot move (req/s there moves by a tenth between two identical
servers; make api-rps).

    python -m peaje.bench.front_instructions [--requests 500]

Each app is driven in process (ASGI, no server, no socket) under callgrind twice, ``requests``
and 3 x ``requests`` times after the same warm-up; the difference over 2 x ``requests`` is its
cost per request, start-up and warm-up cancelled. The apps:

  floor      the one-route FastAPI app of peaje.bench.floor_apps: GET /v1/noop
  no-op      the API (peaje.api.app): GET /v1/noop
  bare no-op the API without its front layer (middleware.Front): GET /v1/noop
  search     the API: POST /v1/native/search, one resident target

and the ratios the goals of make api-rps name, no-op / floor (peaje's layers) and search /
no-op, as the inverse of the instruction ratios (the req/s ratio they would give alone).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from peaje.bench import http_rps

# name: (app, the peaje.bench.http_rps load that drives it)
APPS = {
    "floor": ("floor", http_rps.NOOP),
    "no-op": ("api", http_rps.NOOP),
    "bare no-op": ("bare", http_rps.NOOP),
    "search": ("api", http_rps.SEARCH),
}

CHILD = r"""
import sys
import uvloop
from peaje.bench.http_rps import LOADS, asgi_request
app_name, load_name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if app_name == "floor":
    from peaje.bench.floor_apps import fastapi_noop as app
else:
    from peaje.api.app import create_app
    from peaje.api.middleware import Front
    app = create_app()
    if app_name == "bare":
        app.user_middleware[:] = [m for m in app.user_middleware if m.cls is not Front]
load = next(load for load in LOADS if load.name == load_name)
scope, receive, send, statuses = asgi_request(load)

async def main():
    for _ in range(300 + n):  # the warm-up builds the resident dataset and fills the caches
        await app(scope(), receive, send)

uvloop.run(main())
if statuses != {200}:
    sys.exit(f"{app_name} {load_name}: answers {sorted(statuses)}")
"""


def instructions(app: str, load: str, requests: int) -> int:
    """Instructions callgrind counts in one process driving ``requests`` requests."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-c", CHILD, app, load, str(requests)]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind of {app} {load} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_request(requests: int, jobs: int) -> dict[str, float]:
    runs = [(name, n) for name in APPS for n in (requests, 3 * requests)]
    with ThreadPoolExecutor(jobs) as pool:
        counts = list(pool.map(lambda run: instructions(*APPS[run[0]], run[1]), runs))
    found = dict(zip(runs, counts, strict=True))
    return {
        name: (found[(name, 3 * requests)] - found[(name, requests)]) / (2 * requests)
        for name in APPS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje-front-instructions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=500, help="N: runs of N and 3N")
    parser.add_argument("--jobs", type=int, default=2, help="callgrind processes at once")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on PATH (Debian: apt-get install valgrind)")
    print(f"callgrind, {args.requests} and {3 * args.requests} requests per app, in process ...")
    costs = per_request(args.requests, args.jobs)
    for name, cost in costs.items():
        print(f"  {name:<11} {cost:>10,.0f} instructions per request")
    layer = costs["no-op"] - costs["bare no-op"]
    print(f"  the front layer (no-op - bare no-op): {layer:,.0f} instructions")
    print(f"  no-op / floor, as req/s: {costs['floor'] / costs['no-op']:.3f}x (goal >= 0.9x)")
    print(f"  search / no-op, as req/s: {costs['no-op'] / costs['search']:.3f}x (goal >= 0.9x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The front's own toll as instructions per request, counted by valgrind (callgrind): the one
figure of it a noisy 2-core VM cannot move (req/s there moves by a tenth between two identical
servers; make api-rps).

    python -m peaje.bench.front_instructions [--requests 500] [--cache]

Each app is driven in process (ASGI, no server, no socket) under callgrind twice, ``requests``
and 3 x ``requests`` times after the same warm-up; the difference over 2 x ``requests`` is its
cost per request, start-up and warm-up cancelled. The apps:

  floor      the one-route FastAPI app of peaje.bench.floor_apps: GET /v1/noop
  no-op      the API (peaje.api.app): GET /v1/noop
  bare no-op the API without its front layer (middleware.Front): GET /v1/noop
  search     the API: POST /v1/native/search, one resident target

and the ratios the goals of make api-rps name, no-op / floor (peaje's layers) and search /
no-op, as the inverse of the instruction ratios (the req/s ratio they would give alone).

``--cache`` counts with cachegrind's simulated caches and branch predictor instead (slower):
per request, the instruction-cache misses, data-cache misses and mispredicted branches too,
which is why a layer can cost more in time than in instructions.
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


COUNTERS = {"I refs": "instructions", "I1 misses": "I1 misses", "D1 misses": "D1 misses",
            "Mispredicts": "mispredicted branches"}  # fmt: skip


def cachegrind_counts(summary: str) -> dict[str, int]:
    """The COUNTERS cachegrind's summary (its stderr) gives, by their names here."""
    found = {}
    for line in summary.splitlines():
        match = re.search(r"==\d+== ([A-Za-z0-9 ]+?):\s+([\d,]+)", line)
        name = match and " ".join(match.group(1).split())
        if name in COUNTERS and COUNTERS[name] not in found:
            found[COUNTERS[name]] = int(match.group(2).replace(",", ""))
    return found


def counts(app: str, load: str, requests: int, cache: bool = False) -> dict[str, int]:
    """What valgrind counts in one process driving ``requests`` requests: instructions
    (callgrind), or with ``cache`` the COUNTERS of cachegrind's simulation."""
    tool = (["--tool=cachegrind", "--cache-sim=yes", "--branch-sim=yes",
             "--cachegrind-out-file=/dev/null"] if cache
            else ["--tool=callgrind", "--callgrind-out-file=/dev/null"])  # fmt: skip
    command = ["valgrind", *tool, sys.executable, "-c", CHILD, app, load, str(requests)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if cache:
        found = cachegrind_counts(done.stderr)
    else:
        collected = re.search(r"Collected : (\d+)", done.stderr)
        found = {"instructions": int(collected.group(1))} if collected else {}
    if done.returncode != 0 or "instructions" not in found:
        raise RuntimeError(f"valgrind of {app} {load} failed:\n{done.stderr[-2000:]}")
    return found


def per_request(requests: int, jobs: int, cache: bool = False) -> dict[str, dict[str, float]]:
    runs = [(name, n) for name in APPS for n in (requests, 3 * requests)]
    with ThreadPoolExecutor(jobs) as pool:
        found = list(pool.map(lambda run: counts(*APPS[run[0]], run[1], cache), runs))
    by_run = dict(zip(runs, found, strict=True))
    return {
        name: {
            counter: (by_run[(name, 3 * requests)][counter] - value) / (2 * requests)
            for counter, value in by_run[(name, requests)].items()
        }
        for name in APPS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje-front-instructions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=500, help="N: runs of N and 3N")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind processes at once")
    parser.add_argument(
        "--cache", action="store_true", help="cachegrind: cache misses and mispredicts too"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on PATH (Debian: apt-get install valgrind)")
    tool = "cachegrind" if args.cache else "callgrind"
    print(f"{tool}, {args.requests} and {3 * args.requests} requests per app, in process ...")
    costs = per_request(args.requests, args.jobs, args.cache)
    for name, cost in costs.items():
        extra = "".join(f", {v:,.0f} {k}" for k, v in cost.items() if k != "instructions")
        print(f"  {name:<11} {cost['instructions']:>10,.0f} instructions per request{extra}")
    instructions = {name: cost["instructions"] for name, cost in costs.items()}
    layer = instructions["no-op"] - instructions["bare no-op"]
    print(f"  the front layer (no-op - bare no-op): {layer:,.0f} instructions")
    floor, noop, search = instructions["floor"], instructions["no-op"], instructions["search"]
    print(f"  no-op / floor, as req/s: {floor / noop:.3f}x (goal >= 0.9x)")
    print(f"  search / no-op, as req/s: {noop / search:.3f}x (goal >= 0.9x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

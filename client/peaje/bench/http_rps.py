"""What the HTTP front costs, as the goals of one run: requests/s of the API's routes against the
floors beneath them, in the same run, under the same load generator.

    python -m peaje.bench.http_rps [--url http://127.0.0.1:8000] [--duration 5]
    python -m peaje.bench.http_rps --restarts 12     # the no-op / floor goal on 12 fresh APIs

Prints four ratios (goal in brackets):
  native search / no-op          POST /v1/native/search, one resident target, vs GET /v1/noop [0.9]
  no-op / FastAPI floor          GET /v1/noop vs a one-route FastAPI app, same server command [0.9]
  server command / uvicorn       that FastAPI app under the API's server command (processes.
                                 api_command) vs plain ``uvicorn --loop uvloop --http httptools``
  protobuf / JSON (10k targets)  a 10,000-target resident search as peaje.v1 protobuf vs JSON [3]
then the in-process CPU cost of Server-Timing and of the Prometheus metrics, the serial costs
and the time breakdown of one grpc search at 1 and 10,000 targets.

Without --url it starts its own peaje-server and API (one uvicorn worker) on free 127.0.0.1
ports; the floor apps (peaje.bench.floor_apps) always run locally. Load comes from wrk (Debian's
``wrk``: 1 thread, --connections) when on PATH, else from an httpx asyncio client (which needs
more CPU per request, so it reports lower ceilings). A shared machine makes every figure noisy:
compare the ratios, which come from one run.

``--restarts N`` measures only the no-op / floor goal, N times, each time against a freshly
started API (one floor throughout, each pair back to back): how far one run's ratio strays
with the process (its memory layout, its CPU), which best-of-rounds within one process cannot
average out.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from peaje.bench.servers import start_local_stack
from peaje.processes import HOST, Service, api_command, free_port, http_ok
from peaje.v1 import peaje_pb2

JSON, PROTOBUF = "application/json", "application/x-protobuf"
SEARCH_BODY = {"targets": [66666]}  # resident range:100000, one target
BIG_TARGETS = list(range(0, 100_000, 10))  # 10,000 targets, resident range:100000
FLOOR_APP = "peaje.bench.floor_apps:fastapi_noop"
BARE_APP = "peaje.bench.floor_apps:asgi_noop"


@dataclass(frozen=True)
class Load:
    name: str
    server: str  # "api", "floor" (FLOOR_APP, api_command), "uvicorn" (plain), "bare"
    method: str
    path: str
    body: bytes | None = None
    content_type: str = JSON


def json_body(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


NOOP = "GET /v1/noop"
SEARCH = "POST /v1/native/search (1 target)"
FLOOR = "FastAPI no-op, same server command"
UVICORN = "FastAPI no-op, plain uvicorn+uvloop+httptools"
BIG_JSON = "POST /v1/native/search 10k targets, JSON"
BIG_PROTOBUF = "POST /v1/native/search 10k targets, protobuf"
BIG_PB_BODY = peaje_pb2.SearchRequest(targets=BIG_TARGETS).SerializeToString()
# Each goal's two rows side by side (search, no-op, floor, uvicorn; JSON, protobuf), and every
# other round runs the list backwards: a disturbance then falls on both rows of a pair alike.
LOADS = [
    Load(SEARCH, "api", "POST", "/v1/native/search", json_body(SEARCH_BODY)),
    Load(NOOP, "api", "GET", "/v1/noop"),
    Load(FLOOR, "floor", "GET", "/v1/noop"),
    Load(UVICORN, "uvicorn", "GET", "/v1/noop"),
    Load("bare ASGI no-op, same server command", "bare", "GET", "/v1/noop"),
    Load(
        "POST /v1/grpc/search (1 target)", "api", "POST", "/v1/grpc/search", json_body(SEARCH_BODY)
    ),
    Load(BIG_JSON, "api", "POST", "/v1/native/search", json_body({"targets": BIG_TARGETS})),
    Load(BIG_PROTOBUF, "api", "POST", "/v1/native/search", BIG_PB_BODY, PROTOBUF),
]
# (what, numerator, denominator, goal)
GOALS = [
    ("native search / no-op", SEARCH, NOOP, 0.9),
    ("no-op / FastAPI floor (same server command)", NOOP, FLOOR, 0.9),
    ("server command / plain uvicorn+uvloop+httptools", FLOOR, UVICORN, 0.8),
    ("protobuf / JSON, 10k-target resident search", BIG_PROTOBUF, BIG_JSON, 3.0),
]


# ---- the processes --------------------------------------------------------------------------


def start_app(stack: ExitStack, name: str, command: list[str]) -> str:
    """A floor app on a free port, stopped when `stack` closes; its URL once it answers."""
    log = Path(tempfile.mkstemp(prefix=f"peaje-{name}-", suffix=".log")[1])
    service = Service(name, command, log).start()
    stack.callback(service.stop)
    stack.callback(log.unlink, missing_ok=True)
    url = command[command.index("--port") + 1]
    url = f"http://{HOST}:{url}"
    service.wait_ready(lambda: http_ok(url + "/v1/noop"), "answering", 30)
    return url


def start_servers(stack: ExitStack, api_url: str | None) -> dict[str, str]:
    quiet = ("--log-level", "warning")
    plain = [sys.executable, "-m", "uvicorn", FLOOR_APP, "--host", HOST, "--port",
             str(free_port()), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
             *quiet]  # fmt: skip
    return {
        "api": api_url or start_local_stack(stack),
        "floor": start_app(stack, "floor", api_command(HOST, free_port(), FLOOR_APP, *quiet)),
        "uvicorn": start_app(stack, "uvicorn", plain),
        "bare": start_app(stack, "bare", api_command(HOST, free_port(), BARE_APP, *quiet)),
    }


# ---- load -----------------------------------------------------------------------------------


def wrk_rps(url: str, load: Load, duration: float, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        script = f"wrk.method = {json.dumps(load.method)}\n"
        if load.body is not None:
            (Path(tmp) / "body").write_bytes(load.body)
            script += (
                f'local f = assert(io.open("{tmp}/body", "rb"))\nwrk.body = f:read("*a")\n'
                f'f:close()\nwrk.headers["Content-Type"] = "{load.content_type}"\n'
                f'wrk.headers["Accept"] = "{load.content_type}"\n'
            )
        (Path(tmp) / "load.lua").write_text(script)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--latency",
             "-s", f"{tmp}/load.lua", url + load.path],
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


async def httpx_rps(url: str, load: Load, duration: float, connections: int) -> dict:
    latencies: list[float] = []
    bad = 0
    limits = httpx.Limits(max_connections=connections)
    headers = {"content-type": load.content_type, "accept": load.content_type}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop = time.monotonic() + duration

        async def user() -> None:
            nonlocal bad
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await client.request(
                    load.method, load.path, content=load.body, headers=headers
                )
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


def load_rps(url: str, load: Load, args: argparse.Namespace, use_wrk: bool) -> dict:
    """One row: `load` on `url` for args.duration seconds, by wrk or the httpx client."""
    if use_wrk:
        return wrk_rps(url, load, args.duration, args.connections)
    return asyncio.run(httpx_rps(url, load, args.duration, args.connections))


def warm(url: str, load: Load) -> None:
    """One request of `load`, answered 2xx (and the resident dataset built) before the clock."""
    headers = {"content-type": load.content_type, "accept": load.content_type}
    httpx.request(
        load.method, url + load.path, content=load.body, headers=headers
    ).raise_for_status()


def run_loads(urls: dict[str, str], args: argparse.Namespace, use_wrk: bool) -> dict[str, dict]:
    """Every load, `args.rounds` times, interleaved (a burst of outside load then hits every
    row alike) and every other round backwards; each row keeps its best round, the least
    disturbed on a shared machine."""
    rows: dict[str, dict] = {}
    for load in LOADS:
        warm(urls[load.server], load)
    for round_ in range(args.rounds):
        for load in LOADS if round_ % 2 == 0 else LOADS[::-1]:
            row = load_rps(urls[load.server], load, args, use_wrk)
            if load.name not in rows or row["rps"] > rows[load.name]["rps"]:
                rows[load.name] = row
    for name, row in rows.items():
        print(
            f"{name:<48} {row['rps']:>8.0f} req/s  p50 {row['p50_ms']:6.2f} ms  "
            f"p99 {row['p99_ms']:6.2f} ms  non-2xx {row['non_2xx']}",
            flush=True,
        )
    return rows


def restarts(n: int, args: argparse.Namespace, use_wrk: bool) -> dict:
    """The no-op / floor goal `n` times, each against a fresh API process (``peaje.api:app``
    under the server command, no stack: the stack around it changed nothing, measured) and the
    same floor, the API's row then the floor's."""
    noop, floor = (next(load for load in LOADS if load.name == name) for name in (NOOP, FLOOR))
    quiet = ("--log-level", "warning")
    pairs = []
    with ExitStack() as stack:
        floor_url = start_app(stack, "floor", api_command(HOST, free_port(), FLOOR_APP, *quiet))
        warm(floor_url, floor)
        for start in range(1, n + 1):
            with ExitStack() as one:
                api = start_app(one, "api", api_command(HOST, free_port(), "peaje.api:app", *quiet))
                warm(api, noop)
                pair = [load_rps(api, noop, args, use_wrk)["rps"],
                        load_rps(floor_url, floor, args, use_wrk)["rps"]]  # fmt: skip
            pairs.append(pair)
            print(f"  start {start:>3}: no-op {pair[0]:8.0f}  floor {pair[1]:8.0f} req/s  "
                  f"{pair[0] / pair[1]:.3f}x", flush=True)  # fmt: skip
    ratios = sorted(api / floor for api, floor in pairs)
    goal = next(target for _, num, den, target in GOALS if (num, den) == (NOOP, FLOOR))
    summary = {
        "pairs": pairs, "min": ratios[0], "median": statistics.median(ratios), "max": ratios[-1],
        "under_goal": sum(r < goal for r in ratios), "goal": goal,
    }  # fmt: skip
    print(f"no-op / floor over {n} fresh APIs: min {summary['min']:.3f}, median "
          f"{summary['median']:.3f}, max {summary['max']:.3f}; {summary['under_goal']} under "
          f"the goal of {goal:g}x")  # fmt: skip
    return summary


def goal_ratios(rows: dict[str, dict]) -> list[dict]:
    out = []
    for what, numerator, denominator, goal in GOALS:
        ratio = rows[numerator]["rps"] / rows[denominator]["rps"]
        out.append({"what": what, "ratio": ratio, "goal": goal, "met": ratio >= goal})
    return out


# ---- in-process costs: the ASGI apps driven directly, CPU time -------------------------------


def asgi_request(load: Load) -> tuple[Any, Any, Any, set[int]]:
    """(scope, receive, send, statuses) to drive an ASGI app with `load` in process: a function
    that makes each request's scope, a receive that gives the whole body, a send that keeps the
    statuses. The scope is made as uvicorn's httptools protocol makes it (its nine keys, then
    the request line's four), so the dict an app grows per request is sized as under the server
    command (a copy of a finished scope starts larger and resizes at other keys)."""
    headers = [(b"host", b"bench")]
    if load.body is not None:
        headers += [(b"content-type", load.content_type.encode()),
                    (b"content-length", str(len(load.body)).encode())]  # fmt: skip
    raw_path = load.path.encode()

    def scope() -> dict:
        made = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
                "http_version": "1.1", "server": (HOST, 2), "client": (HOST, 1),
                "scheme": "http", "root_path": "", "headers": headers, "state": {}}  # fmt: skip
        made["method"] = load.method
        made["path"] = load.path
        made["raw_path"] = raw_path
        made["query_string"] = b""
        return made

    statuses: set[int] = set()

    async def receive() -> dict:
        return {"type": "http.request", "body": load.body or b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    return scope, receive, send, statuses


async def asgi_cpu_us(app, load: Load, repeat: int) -> float:
    """CPU microseconds per request of `app` itself: no server, no socket, no load generator,
    so the figure holds on a loaded machine far better than req/s does."""
    scope, receive, send, statuses = asgi_request(load)
    for _ in range(max(10, repeat // 10)):  # warm: the resident dataset, caches
        await app(scope(), receive, send)
    start = time.process_time()
    for _ in range(repeat):
        await app(scope(), receive, send)
    elapsed = time.process_time() - start
    if statuses != {200}:
        raise RuntimeError(f"{load.name}: in-process answers {sorted(statuses)}")
    return elapsed / repeat * 1e6


def in_process_costs() -> dict[str, float]:
    """CPU us per request of the API and its FastAPI floor, in this process (uvloop); and of
    the API without its front layer (middleware.Front: Server-Timing ``app``, the Prometheus
    series and their route labels, the body reader, shedding), which measures in place what
    peaje's own layer costs."""
    import uvloop

    from peaje.api.app import create_app
    from peaje.api.middleware import Front
    from peaje.bench.floor_apps import fastapi_noop

    untimed = create_app()
    untimed.user_middleware[:] = [m for m in untimed.user_middleware if m.cls is not Front]
    apps = {"api": create_app(), "floor": fastapi_noop}
    chosen = [load for load in LOADS if load.server in apps and "grpc" not in load.path]

    async def measure() -> dict[str, float]:
        costs = {}
        for load in chosen:
            repeat = 200 if "10k" in load.name else 3000
            costs[load.name] = await asgi_cpu_us(apps[load.server], load, repeat)
            if load.name in (NOOP, SEARCH):
                costs[f"{load.name}, no front layer"] = await asgi_cpu_us(untimed, load, repeat)
        return costs

    return uvloop.run(measure())


def cpu_us(call, repeat: int = 20_000) -> float:
    call()
    start = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - start) / repeat * 1e6


def layer_costs() -> dict[str, float]:
    """CPU microseconds per request of what every engine request adds for observability: the
    Server-Timing entries (the route's ``engine``, the answer's stamp ``app``, peaje.api.timing)
    and the Prometheus observations (the front's requests counter and latency histogram, by
    route; the route's engine histogram)."""
    from peaje.api.app import create_app
    from peaje.api.metrics import ApiMetrics
    from peaje.api.timing import START, STATUS, stamp

    metrics = ApiMetrics()
    template = "/v1/{engine}/search"
    route = next(r for r in create_app().routes if getattr(r, "path", "") == template)
    start = time.perf_counter_ns()
    scope = {"route": route, "path_params": {"engine": "native"}}

    def server_timing() -> None:
        engine = f"engine;dur={123456 / 1e6:.3f}".encode()
        headers = [(b"content-type", b"application/json"), (b"server-timing", engine)]
        scope[START] = start
        scope.pop(STATUS, None)
        stamp(scope, 200, headers)

    def observations() -> None:
        metrics.engine_series("native", template).observe(1.2e-6)
        metrics.record(scope, 200, 85_000)

    return {"server_timing_us": cpu_us(server_timing), "metrics_us": cpu_us(observations)}


# ---- one request at a time, broken down -----------------------------------------------------


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
        for load in LOADS[:3]:  # the API's own JSON routes
            rows = []
            for i in range(samples + 5):
                start = time.perf_counter()
                response = client.request(
                    load.method, load.path, content=load.body, headers={"content-type": JSON}
                )
                rtt_ms = (time.perf_counter() - start) * 1e3
                data, timing = response.json(), server_timing(response)
                if i >= 5:
                    rows.append((rtt_ms, timing["app"], data.get("engine_ns", 0) / 1e6))
            rtt, app, engine = (statistics.median(column) for column in zip(*rows, strict=True))
            out[load.name] = {"round_trip_ms": rtt, "app_ms": app, "engine_ms": engine}
    return out


# ---- the run --------------------------------------------------------------------------------


def print_in_process(costs: dict[str, float]) -> dict[str, float]:
    print("\nthe same ratios in process (ASGI app driven directly, CPU us per request):")
    for what, numerator, denominator, _goal in GOALS:
        if numerator in costs and denominator in costs:
            ratio = costs[denominator] / costs[numerator]  # req/s ratio = inverse cost ratio
            print(f"  {what:<50} {ratio:6.2f}x  ({costs[numerator]:.1f} vs "
                  f"{costs[denominator]:.1f} us)")  # fmt: skip
    for name in (NOOP, SEARCH):
        untimed = costs[f"{name}, no front layer"]
        print(f"  {name}: {costs[name]:.1f} us, {untimed:.1f} without the front layer "
              f"(timing, metrics, body, shedding: {costs[name] - untimed:.1f} us)")  # fmt: skip
    return costs


def print_rest(results: dict, url: str, samples: int) -> None:
    costs = results["layer_costs"]
    print(
        f"\nobservability per engine request (in-process CPU): Server-Timing "
        f"{costs['server_timing_us']:.2f} us, Prometheus metrics {costs['metrics_us']:.2f} us"
    )
    results["serial"] = serial_costs(url, samples)
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
        row = breakdown(url, n, samples)
        results["breakdown"].append(row)
        print(
            f"{n:>8} {row['round_trip_ms']:>11.3f} {row['app_ms']:>8.3f} "
            f"{row['engine_ms']:>8.3f} {row['server_ms']:>8.3f} {row['front_ms']:>8.3f} "
            f"{row['grpc_network_ms']:>9.3f} {row['http_client_side_ms']:>12.3f}"
        )
    print(
        "front = app - engine (routing, JSON, validation, response); grpc net = engine -"
        " server (protobuf + loopback + the API's gRPC client, PEAJE_GRPC_CLIENT); http"
        " client = round trip - app."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje-http-rps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help="an API already running (default: start one)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; best kept")
    parser.add_argument("--samples", type=int, default=200, help="breakdown samples per size")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator (auto: wrk when on PATH)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--restarts", type=int, metavar="N", help="only the no-op / floor goal, on N fresh APIs"
    )
    args = parser.parse_args(argv)
    if args.restarts is not None:
        if args.restarts < 1 or args.url:
            parser.error("--restarts takes N >= 1 and starts its own APIs (no --url)")
        use_wrk = args.client == "wrk" or (args.client == "auto" and bool(shutil.which("wrk")))
        summary = restarts(args.restarts, args, use_wrk)
        if args.json:
            args.json.write_text(json.dumps({"restarts": summary}, indent=2))
        return 0

    with ExitStack() as stack:
        urls = start_servers(stack, args.url)
        use_wrk = args.client == "wrk" or (args.client == "auto" and bool(shutil.which("wrk")))
        client = f"wrk -t1 -c{args.connections}" if use_wrk else f"httpx, {args.connections}"
        command = " ".join(api_command(HOST, 0)[1:])
        print(f"load: {client}, {args.duration:g} s per row; server command: {command}")
        results: dict = {"url": urls["api"], "load": run_loads(urls, args, use_wrk)}
        results["goals"] = goal_ratios(results["load"])
        print("\ngoals (ratios of req/s from this run):")
        for goal in results["goals"]:
            verdict = "met" if goal["met"] else "NOT met"
            what, ratio, target = goal["what"], goal["ratio"], goal["goal"]
            print(f"  {what:<50} {ratio:6.2f}x  (goal >= {target:g}x: {verdict})")
        results["in_process_us"] = print_in_process(in_process_costs())
        results["layer_costs"], results["breakdown"] = layer_costs(), []
        print_rest(results, urls["api"], args.samples)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

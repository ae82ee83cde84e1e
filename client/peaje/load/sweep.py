"""The lesson under load: requests/s and latency as concurrent users grow (1, 4, 16, 64), for
native work done inside the API process versus the same work behind peaje-server.

    http-native   the API runs the search in its own process: its CPU and GIL are shared
    http-nanobind, http-cython  the same in-process work through the other two bindings
    http-grpc     the API forwards to peaje-server: the work runs apart from the API
    grpc-direct   peaje-server alone: the ceiling without the HTTP front

Every point is one bounded Locust run of the ``sweep`` workload (workloads.py) on one stack
started for the sweep; CPU per process is sampled alongside, so the table says what limited
each path. Writes results/load-sweep-<timestamp>/{sweep.json, sweep.md, sweep.png} and each
point's own run directory.

    python -m peaje.load.sweep [--users 1 4 16 64] [--duration 10s] [--profile sweep-heavy]
    (make load-sweep SWEEP_PROFILE=sweep-heavy)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from peaje.load.runner import (
    PARTS,
    LoadConfig,
    load_run,
    parse_duration,
    results_dir,
    was_interrupted,
)
from peaje.load.targets import LoadTargets
from peaje.load.workloads import SWEEP
from peaje.processes import results_root
from peaje.remote import resolve_async_client
from peaje.runs import sigterm_as_interrupt, write_manifest

SWEEP_SCHEMA = "peaje.load.sweep/1"
PATHS = ("http-native", "http-nanobind", "http-cython", "http-grpc", "grpc-direct")
USERS = (1, 4, 16, 64)
# More users buying less than this much more throughput: the path has saturated.
SATURATION_GAIN = 1.10
BUSY_CORE = 90.0  # % of one core


def point(path: str, users: int, summary: dict, run_dir: Path) -> dict:
    rows = summary["paths"]
    r = rows[0] if rows else {"rps": 0.0, "requests": 0, "errors": 0}
    cpu = summary["cpu_percent"]
    return {
        "path": path,
        "users": users,
        "rps": r["rps"],
        "p50_us": r.get("p50_us"),
        "p95_us": r.get("p95_us"),
        "p99_us": r.get("p99_us"),
        "p99_9_us": r.get("p99_9_us"),
        "requests": r["requests"],
        "errors": r["errors"],
        **{f"{part}_p50_us": r.get(f"{part}_p50_us") for part in PARTS},
        "cpu_percent": {
            role: cpu[role]["mean"]
            for role in ("api", "server", "generator", "others", "niced", "machine")
            if isinstance(cpu.get(role), dict) and cpu[role]
        },
        "generator_bound": summary["generator"]["bound"],
        "ok": summary["ok"],
        "run_dir": run_dir.name,
    }


def limit_of(p: dict, cores: int) -> str:
    """The most likely limit at one point, from the CPU each process used."""
    cpu = p["cpu_percent"]
    ours = {role: cpu[role] for role in ("api", "server", "generator") if role in cpu}
    busiest = max(ours, key=ours.get) if ours else None
    detail = f"busiest of ours: {busiest} at {ours[busiest]}% of a core" if busiest else ""
    if p["generator_bound"]:
        return "load generator (one Locust process at a full core)"
    if cpu.get("api", 0) >= BUSY_CORE:
        return "API process: one core (event loop + GIL)"
    if cpu.get("machine", 0) - cpu.get("niced", 0) >= BUSY_CORE * cores:
        others = cpu.get("others", 0)
        return f"all {cores} cores busy, {others}% of a core by other work; {detail}"
    return f"latency-bound, no core saturated; {detail}"


def saturation(points: list[dict], cores: int) -> dict:
    """Per path: the user count past which throughput stops growing, the peak, and why."""
    result = {}
    for path in {p["path"] for p in points}:
        series = sorted((p for p in points if p["path"] == path), key=lambda p: p["users"])
        peak = max(series, key=lambda p: p["rps"])
        knee = series[-1]
        for i, p in enumerate(series):
            if all(q["rps"] < SATURATION_GAIN * p["rps"] for q in series[i + 1 :]):
                knee = p
                break
        result[path] = {
            "saturates_at_users": knee["users"],
            "peak_rps": peak["rps"],
            "peak_users": peak["users"],
            "limited_by": limit_of(peak, cores),
        }
    return result


def breakdown(p: dict) -> str:
    parts = [p.get(f"{part}_p50_us") for part in PARTS]
    return " / ".join("-" if v is None else f"{v:,}" for v in parts)


def markdown(sweep: dict) -> str:
    lines = [
        f"# peaje concurrency sweep, {sweep['created']}",
        "",
        f"Workload `{sweep['workload']}`, {sweep['duration_s']}s per point, "
        f"{sweep['cores']} cores. CPU in % of one core (mean over the run); `others` is what "
        "the rest of the machine took meanwhile at normal priority, `niced` at low priority "
        "(it yields to ours). app / engine / queue / server: medians of the time each answer "
        "reports in the API process, in the engine call until its answer is in the API, that "
        "answer's wait for the event loop (grpc on the cpp client), and in peaje-server.",
        "",
        "| path | users | req/s | p50 µs | p99 µs | app / engine / queue / server p50 µs "
        "| API CPU | server CPU | Locust CPU | others | niced | machine | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in sweep["points"]:
        cpu = p["cpu_percent"]
        lines.append(
            f"| {p['path']} | {p['users']} | {p['rps']:,.0f} | {p['p50_us'] or 0:,} | "
            f"{p['p99_us'] or 0:,} | {breakdown(p)} | {cpu.get('api', '-')} | "
            f"{cpu.get('server', '-')} | "
            f"{cpu.get('generator', '-')} | {cpu.get('others', '-')} | {cpu.get('niced', '-')} | "
            f"{cpu.get('machine', '-')} "
            f"| {p['errors']} |"
        )
    lines += ["", "| path | saturates at (users) | peak req/s | limited by |", "|---|---|---|---|"]
    for path in sweep["paths"]:
        s = sweep["saturation"].get(path)
        if s:
            lines.append(
                f"| {path} | {s['saturates_at_users']} | {s['peak_rps']:,.0f} "
                f"(at {s['peak_users']}) | {s['limited_by']} |"
            )
    return "\n".join(lines)


def plot(sweep: dict, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_rps, ax_lat) = plt.subplots(1, 2, figsize=(11, 4.2))
    for index, path in enumerate(sweep["paths"]):
        color = f"C{index}"
        series = sorted((p for p in sweep["points"] if p["path"] == path), key=lambda p: p["users"])
        users = [p["users"] for p in series]
        ax_rps.plot(users, [p["rps"] for p in series], marker="o", color=color, label=path)
        ax_lat.plot(users, [p["p50_us"] or 0 for p in series], marker="o", color=color,
                    label=f"{path} p50")  # fmt: skip
        ax_lat.plot(users, [p["p99_us"] or 0 for p in series], marker="x", linestyle="--",
                    color=color, label=f"{path} p99")  # fmt: skip
    for ax in (ax_rps, ax_lat):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sweep["users"], [str(u) for u in sweep["users"]])
        ax.set_xlabel("concurrent users")
        ax.grid(True, alpha=0.3)
    ax_rps.set_ylabel("requests/s")
    ax_rps.set_title("throughput")
    ax_rps.legend()
    ax_lat.set_yscale("log")
    ax_lat.set_ylabel("latency (µs)")
    ax_lat.set_title("latency (HDR, µs)")
    ax_lat.legend(fontsize=7)
    fig.suptitle(f"peaje: {sweep['workload']} under concurrency ({sweep['cores']} cores)")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)


def run_points(args: argparse.Namespace, outdir: Path, points: list[dict]) -> tuple[bool, int]:
    """Every (path, users) point on one stack; stops early on Ctrl-C. (interrupted, cores)"""
    cores = 0
    need_api = any(p.startswith("http-") for p in args.paths)
    with LoadTargets(args.host, args.grpc_target, api=need_api) as targets:
        for path in args.paths:
            for users in args.users:
                run_dir = outdir / f"{path}-u{users}"
                config = LoadConfig(
                    duration_s=args.duration, users=users, paths=(path,), profile=args.profile,
                    processes=args.processes,
                    extra={"host": targets.host, "grpc_target": targets.grpc_target},
                )  # fmt: skip
                try:
                    summary = load_run(config, targets, run_dir, progress=lambda _: None)
                except KeyboardInterrupt:  # between two runs
                    return True, cores
                cores = summary["cpu_percent"].get("cores", cores)
                if was_interrupted(summary):
                    print("sweep: interrupted; writing the points measured so far")
                    return True, cores
                points.append(point(path, users, summary, run_dir))
                p = points[-1]
                print(
                    f"sweep: {path:<12} {users:>3} users  {p['rps']:>8,.0f} req/s  "
                    f"p50 {p['p50_us'] or 0:>7,} µs  p99 {p['p99_us'] or 0:>8,} µs  "
                    f"cpu {p['cpu_percent']}" + ("" if p["ok"] else "  FAILED")
                )
        targets.save_logs(outdir)
    return False, cores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje-load-sweep",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, nargs="+", default=list(USERS))
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    parser.add_argument("--duration", type=parse_duration, default=10, help="per point")
    parser.add_argument("--profile", choices=[w.tags[0] for w in SWEEP], default="sweep")
    parser.add_argument("--processes", type=int, default=0, help="Locust --processes per point")
    parser.add_argument("--host", help="an existing API (default: start one)")
    parser.add_argument("--grpc-target", help="an existing peaje-server (default: start one)")
    parser.add_argument("--results", type=Path, default=results_root())
    args = parser.parse_args(argv)

    outdir = results_dir(args.results, "load-sweep")
    write_manifest(outdir, kind="load-sweep")
    points: list[dict] = []
    with sigterm_as_interrupt():
        interrupted, cores = run_points(args, outdir, points)
    if not points:
        return 130 if interrupted else 1
    sweep = {
        "schema": SWEEP_SCHEMA,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": next(w.name for w in SWEEP if args.profile in w.tags),
        "duration_s": args.duration,
        "cores": cores,
        "users": args.users,
        "paths": args.paths,
        # the API's grpc client for http-grpc (PEAJE_GRPC_CLIENT, as the API resolves it)
        "grpc_client": resolve_async_client(os.environ.get("PEAJE_GRPC_CLIENT") or "auto"),
        "points": points,
        "saturation": saturation(points, cores),
        "files": {"table": "sweep.md", "plot": "sweep.png"},
    }
    (outdir / "sweep.json").write_text(json.dumps(sweep, indent=1) + "\n")
    (outdir / "sweep.md").write_text(markdown(sweep) + "\n")
    plot(sweep, outdir / "sweep.png")
    print()
    print(markdown(sweep))
    print(f"\nsweep: wrote {outdir}/sweep.md, sweep.json, sweep.png")
    failed = [f"{p['path']} u={p['users']}" for p in points if not p["ok"]]
    if failed:
        print(f"sweep: FAILED points: {', '.join(failed)}", file=sys.stderr)
    return 130 if interrupted else 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

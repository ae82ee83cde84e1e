"""Headless load runs: ``peaje load`` (``python -m peaje.load.runner``, ``make load``).

Starts peaje-server and the API on free 127.0.0.1 ports (or aims at --host/--grpc-target),
runs Locust headless for a bounded time, and writes under results/load-<timestamp>/:

    locust_stats.csv, locust_failures.csv, ...   Locust's CSV (ms, as Locust rounds them)
    locust.html                                  Locust's HTML report
    latency.json                                 µs HDR histograms per (path, request)
    summary.json / summary.md                    per-path table: req/s, p50..p99.9 in µs, errors

The run stops by itself; the exit status is non-zero when any request failed, any chosen path
served nothing, or the µs histograms disagree with Locust's own request count.

    peaje load --duration 30s --users 8                  # the 6 JSON paths, one Locust process
    peaje load --paths all --users 9                     # every path, protobuf variants too
    peaje load --duration 30s --users 8 --workers 2      # master + 2 worker processes
    peaje load --paths http-native,grpc-direct --rate 400
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from peaje.load import latency
from peaje.load.cpu import GENERATOR_BUSY_PERCENT, CpuWatch
from peaje.load.targets import LoadTargets
from peaje.load.workloads import PROFILES
from peaje.processes import Service, free_port, results_root
from peaje.runs import markdown_table, run_dir, sigterm_as_interrupt, write_manifest

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Path -> user class in LOCUSTFILE, which is not imported here: Locust monkey-patches the standard
# library on import. tests/load/test_profiles.py checks the two agree.
PATH_CLASSES = {
    "http-python": "PythonHttpUser",
    "http-native": "NativeHttpUser",
    "http-nanobind": "NanobindHttpUser",
    "http-cython": "CythonHttpUser",
    "http-grpc": "GrpcHttpUser",
    "grpc-direct": "GrpcUser",
    "http-python-protobuf": "PythonProtobufHttpUser",
    "http-native-protobuf": "NativeProtobufHttpUser",
    "http-grpc-protobuf": "GrpcProtobufHttpUser",
}
# What `peaje load` runs unless --paths says otherwise: one JSON path per engine and the direct
# gRPC user (six, so the default 8 users give each at least one); `--paths all` adds the
# protobuf-body variants.
DEFAULT_PATHS = tuple(p for p in PATH_CLASSES if not p.endswith("-protobuf"))
SUMMARY_SCHEMA = "peaje.load.run/1"
# A target rate counts as reached at this fraction of it.
RATE_REACHED = 0.95


@dataclass
class LoadConfig:
    duration_s: int = 30
    users: int = 8
    spawn_rate: float = 0.0  # users started per second; 0: all of them in the first second
    paths: tuple[str, ...] = DEFAULT_PATHS
    profile: str = "mix"  # the workload tag, one of workloads.PROFILES
    processes: int = 0  # Locust's --processes (forked workers); 0: one process
    workers: int = 0  # explicit master + N worker processes
    rate: float = 0.0  # total target calls per second; 0: closed loop, as fast as answered
    timeout_s: float = 10.0
    extra: dict = field(default_factory=dict)

    @property
    def effective_spawn_rate(self) -> float:
        return self.spawn_rate or float(self.users)


def parse_duration(text: str) -> int:
    """'30', '30s', '2m', '1m30s' -> seconds."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30s, 2m)")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


# ---- running Locust -------------------------------------------------------------------------


def locust_command(config: LoadConfig, targets: LoadTargets, outdir: Path) -> list[str]:
    """The options every Locust process of the run shares."""
    user_rate = config.rate / config.users if config.rate else 0.0
    return [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE),
        "--host", targets.host or "", "--tags", config.profile,
        "--peaje-grpc-target", targets.grpc_target or "",
        "--peaje-user-rate", f"{user_rate:g}", "--peaje-timeout", f"{config.timeout_s:g}",
        "--loglevel", "WARNING",
        *[PATH_CLASSES[p] for p in config.paths],
    ]  # fmt: skip


def master_options(config: LoadConfig, outdir: Path, port: int) -> list[str]:
    options = [
        "--headless", "-u", str(config.users), "-r", f"{config.effective_spawn_rate:g}",
        "-t", f"{config.duration_s}s", "--stop-timeout", "5", "--only-summary",
        "--csv", str(outdir / "locust"), "--html", str(outdir / "locust.html"),
        "--peaje-latency-out", str(outdir / "latency.json"),
    ]  # fmt: skip
    if config.processes or config.workers:
        options += ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
    if config.processes:
        options += ["--processes", str(config.processes), "--master-port", str(port)]
    if config.workers:
        options += ["--master", "--expect-workers", str(config.workers)]
    return options


def read_progress(outdir: Path) -> str:
    """The latest aggregated row of Locust's stats history, as one line."""
    history = outdir / "locust_stats_history.csv"
    try:
        rows = list(csv.DictReader(history.open()))
    except (OSError, csv.Error):
        return ""
    rows = [r for r in rows if r.get("Name") == "Aggregated"]
    if not rows:
        return ""
    row = rows[-1]
    return (
        f"users {row.get('User Count', '?')}  requests {row.get('Total Request Count', '?')}  "
        f"failures {row.get('Total Failure Count', '?')}  "
        f"now {float(row.get('Requests/s') or 0):.0f} req/s"
    )


def run_locust(config: LoadConfig, targets: LoadTargets, outdir: Path, *, progress=print):
    """Run Locust to completion; returns (exit code, CPU summary, interrupted).

    Locust runs in its own session, so a Ctrl-C reaches only this runner, which then asks
    Locust to stop (SIGTERM: it still writes its CSV, HTML and our histograms) and waits for it.
    Locust is killed if it overstays its run time by a minute.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    port = free_port() if (config.processes or config.workers) else 0
    common = locust_command(config, targets, outdir)
    commands = [[*common, *master_options(config, outdir, port)]]
    worker = [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    commands += [worker] * config.workers
    log = outdir / "locust.log"
    services = [
        Service("locust" if i == 0 else f"locust-worker-{i}", command, log, cwd=outdir)
        for i, command in enumerate(commands)
    ]
    procs: list[subprocess.Popen] = []
    interrupted = False
    watch = CpuWatch(targets.pids, lambda: [p.pid for p in procs if p.poll() is None]).start()
    try:
        for service in services:
            procs.append(service.start().process)
        deadline = time.monotonic() + config.duration_s + 60
        started = time.monotonic()
        next_report = started + 7  # Locust flushes its CSV every 5 s
        while procs[0].poll() is None and time.monotonic() < deadline:
            try:
                if time.monotonic() >= next_report and not interrupted:
                    elapsed = time.monotonic() - started
                    progress(f"load: {elapsed:4.0f}s/{config.duration_s}s  {read_progress(outdir)}")
                    next_report += 5
                time.sleep(0.2)
            except KeyboardInterrupt:
                if interrupted:
                    break  # a second Ctrl-C: stop waiting
                interrupted = True
                progress("load: interrupted; stopping Locust (it writes what it has)")
                procs[0].send_signal(signal.SIGTERM)
                deadline = min(deadline, time.monotonic() + 20)
        if procs[0].poll() is None:
            progress("load: Locust did not stop in time; killing it")
    finally:
        for process in procs:  # workers quit with the master; make sure of it
            try:
                process.wait(10 if process is procs[0] else 5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        watch.stop()
    return procs[0].returncode, watch.summary(), interrupted


# ---- the summary ----------------------------------------------------------------------------


def row(series: latency.Series, seconds: float) -> dict:
    h = series.histogram
    p = latency.percentiles_us(series)
    return {
        "requests": series.count,
        "errors": series.errors,
        "rps": round(series.count / seconds, 1) if seconds > 0 else 0.0,
        "mean_us": round(h.get_mean_value(), 1) if series.count else None,
        "p50_us": p["p50"],
        "p95_us": p["p95"],
        "p99_us": p["p99"],
        "p99_9_us": p["p99.9"],
        "max_us": h.get_max_value() if series.count else None,
    }


# The parts of an answer's time it reports (Server-Timing, server_ns), in the tables' order.
PARTS = ("app", "engine", "queue", "server")


def parts_p50(recorder: latency.LatencyRecorder, path: str) -> dict:
    """Medians of the time each answer reports: in the API process (app), the engine call until
    its answer is in the API (engine), that answer's wait for the event loop (queue: grpc on
    the cpp client) and in peaje-server's core (server). wall - app is the wire, the client and
    the wait for the API's event loop; app - engine - queue is the HTTP front's own work;
    engine - server is gRPC's wire and stubs, seen from the API."""
    result = {}
    for part in PARTS:
        series = recorder.parts.get((path, part))
        result[f"{part}_p50_us"] = (
            int(series.histogram.get_value_at_percentile(50)) if series and series.count else None
        )
    return result


def summarize(
    config: LoadConfig, outdir: Path, exit_code: int, cpu: dict, *, interrupted: bool = False
) -> dict:
    problems = ["interrupted before the end of the run"] if interrupted else []
    latency_path = outdir / "latency.json"
    if not latency_path.exists():
        recorder, document = latency.LatencyRecorder(), {"locust": {}, "start": 0, "stop": 0}
        problems.append("Locust wrote no latency file (see locust.log)")
    else:
        recorder, document = latency.read(latency_path)
    seconds = (document.get("stop") or 0) - (document.get("start") or 0)
    by_path = recorder.by_path()
    paths = [
        {"path": p, **row(by_path[p], seconds), **parts_p50(recorder, p)}
        for p in config.paths
        if p in by_path
    ]
    # Locust's own (ms-bucketed) median beside ours, to show what its rounding hides.
    locust_names = document.get("locust", {}).get("per_name", {})
    requests = [
        {
            "path": p,
            "name": n,
            **row(s, seconds),
            "locust_p50_ms": locust_names.get(f"{p} {n}", {}).get("p50_ms"),
        }
        for (p, n), s in sorted(recorder.series.items())
    ]
    for p in config.paths:
        if p not in by_path or by_path[p].count == 0:
            problems.append(f"path {p} served no requests")
    errors = sum(s.errors for s in recorder.series.values())
    if errors:
        problems.append(f"{errors} requests failed (see locust_failures.csv)")
    locust_view = document.get("locust", {})
    if locust_view.get("requests") != recorder.total_count:
        problems.append(
            f"µs histograms hold {recorder.total_count} samples, Locust counted "
            f"{locust_view.get('requests')}"
        )
    if exit_code != 0:
        problems.append(f"Locust exited with {exit_code}")
    log = outdir / "locust.log"
    if log.exists() and "Uncaught exception" in (text := log.read_text(errors="replace")):
        # Locust logs an exception in an event listener and carries on: a silent wrong number.
        problems.append(f"{text.count('Uncaught exception')} uncaught exceptions (locust.log)")
    achieved = round(recorder.total_count / seconds, 1) if seconds > 0 else 0.0
    generator = {
        "processes": len(cpu.get("generator_processes", [])),
        "busiest_process_cpu_mean": cpu.get("generator_busiest_mean", 0.0),
        "busy_threshold": GENERATOR_BUSY_PERCENT,
        "bound": cpu.get("generator_bound", False),
        "target_rps": config.rate or None,
        "achieved_rps": achieved,
        "rate_reached": (achieved >= RATE_REACHED * config.rate) if config.rate else None,
    }
    return {
        "schema": SUMMARY_SCHEMA,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {k: v for k, v in asdict(config).items() if k != "extra"} | config.extra,
        "window_s": round(seconds, 3),
        "paths": paths,
        "requests": requests,
        "locust": {
            "exit_code": exit_code,
            "requests": locust_view.get("requests"),
            "failures": locust_view.get("failures"),
        },
        "histogram_count": recorder.total_count,
        "generator": generator,
        "cpu_percent": {k: v for k, v in cpu.items() if not k.startswith("generator_")},
        "files": {
            "csv": "locust_stats.csv",
            "failures_csv": "locust_failures.csv",
            "html": "locust.html",
            "latency": "latency.json",
            "log": "locust.log",
        },
        "ok": not problems,
        "problems": problems,
    }


def fmt_us(value) -> str:
    return "-" if value is None else f"{value:,}"


def table(rows: list[dict], key: str = "path") -> str:
    """A Markdown table of per-path (or per-request) rows."""
    per_request = key != "path"
    head = [key, "req/s", "p50 µs", "p95 µs", "p99 µs", "p99.9 µs", "requests", "errors"]
    head += ["Locust's p50 (ms)"] if per_request else [f"{part} p50" for part in PARTS]
    lines = []
    for r in rows:
        label = f"{r['path']}: {r['name']}" if per_request else r[key]
        micros = [fmt_us(r[k]) for k in ("p50_us", "p95_us", "p99_us", "p99_9_us")]
        cells = [label, f"{r['rps']:,.1f}", *micros, f"{r['requests']:,}", str(r["errors"])]
        if per_request:
            cells.append(fmt_us(r.get("locust_p50_ms")))
        else:
            cells += [fmt_us(r.get(f"{part}_p50_us")) for part in PARTS]
        lines.append(cells)
    return markdown_table(head, lines)


def generator_note(summary: dict) -> str:
    g, cpu = summary["generator"], summary["cpu_percent"]
    verdict = "BOUND: it, not the target, set the pace" if g["bound"] else "not the bottleneck"
    parts = [
        f"load generator: {g['processes']} process(es), busiest at "
        f"{g['busiest_process_cpu_mean']}% of a core ({verdict})"
    ]
    if g["target_rps"]:
        state = "reached" if g["rate_reached"] else "NOT reached"
        parts.append(f"target rate {g['target_rps']:g}/s {state} ({g['achieved_rps']:g}/s)")
    else:
        parts.append(f"closed loop, {g['achieved_rps']:g} req/s in total")
    roles = [f"{r} {v['mean']}%" for r, v in cpu.items() if isinstance(v, dict) and v]
    if roles:
        parts.append(f"mean CPU ({cpu.get('cores')} cores, 100% = one core): " + ", ".join(roles))
    return "\n".join(f"- {p}" for p in parts)


def markdown(summary: dict) -> str:
    c = summary["config"]
    return "\n".join(
        [
            f"# peaje load run, {summary['created']}",
            "",
            f"{c['users']} users, {c['duration_s']}s, profile `{c['profile']}`, "
            f"window {summary['window_s']}s. Latencies from µs HDR histograms of every sample. "
            "app, engine, queue and server (µs) are medians of what each answer reports: time "
            "in the API process, in the engine call until its answer is in the API, that "
            "answer's wait for the event loop (grpc on the cpp client), and in peaje-server's "
            "core (Server-Timing, server_ns). p50 - app: the wire, the client, and the wait for "
            "the API's event loop; app - engine - queue: the HTTP front's own work.",
            "",
            table(summary["paths"]),
            "",
            generator_note(summary),
            "",
            "## Per request",
            "",
            table(summary["requests"], key="name"),
            "",
            *(f"**problem:** {p}" for p in summary["problems"]),
        ]
    )


def write_summary(summary: dict, outdir: Path) -> None:
    (outdir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (outdir / "summary.md").write_text(markdown(summary) + "\n")


def results_dir(base: Path, kind: str) -> Path:
    """results/<kind>-<UTC stamp>/ (peaje.load.results finds the newest by that name)."""
    return run_dir(base, f"{kind}-{{stamp}}")


def load_run(config: LoadConfig, targets: LoadTargets, outdir: Path, *, progress=print) -> dict:
    """One Locust run against started targets -> its summary (also written to outdir)."""
    exit_code, cpu, interrupted = run_locust(config, targets, outdir, progress=progress)
    summary = summarize(config, outdir, exit_code, cpu, interrupted=interrupted)
    write_summary(summary, outdir)
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="peaje load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=parse_duration, default=30, help="e.g. 30s, 2m")
    parser.add_argument("--users", type=int, default=8, help="concurrent users, over all paths")
    parser.add_argument("--spawn-rate", type=float, default=0.0, help="users/s (default: all)")
    parser.add_argument(
        "--paths",
        default=",".join(DEFAULT_PATHS),
        help=f"comma-separated, of: {', '.join(PATH_CLASSES)}; or 'all'",
    )
    parser.add_argument("--profile", choices=PROFILES, default="mix")
    parser.add_argument("--processes", type=int, default=0, help="Locust --processes N (fork)")
    parser.add_argument("--workers", type=int, default=0, help="master + N worker processes")
    parser.add_argument("--rate", type=float, default=0.0, help="target total calls/s")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-call timeout (s)")
    parser.add_argument("--host", help="an existing API (default: start one)")
    parser.add_argument("--grpc-target", help="an existing peaje-server (default: start one)")
    parser.add_argument("--results", type=Path, default=results_root(), help="results root")
    args = parser.parse_args(argv)
    if args.paths.strip() == "all":
        args.paths = ",".join(PATH_CLASSES)
    args.paths = tuple(p.strip() for p in args.paths.split(",") if p.strip())
    unknown = [p for p in args.paths if p not in PATH_CLASSES]
    if unknown or not args.paths:
        parser.error(f"unknown path(s) {unknown}; choose from {', '.join(PATH_CLASSES)}")
    if args.processes and args.workers:
        parser.error("give --processes or --workers, not both")
    if args.users < len(args.paths) or args.duration < 1:
        parser.error("--users must be at least the number of paths, --duration at least 1s")
    return args


def was_interrupted(summary: dict) -> bool:
    return any(p.startswith("interrupted") for p in summary["problems"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with sigterm_as_interrupt():
        try:
            return run_main(args)
        except KeyboardInterrupt:  # while the stack was starting or stopping
            print("load: interrupted", file=sys.stderr)
            return 130


def run_main(args: argparse.Namespace) -> int:
    config = LoadConfig(
        duration_s=args.duration,
        users=args.users,
        spawn_rate=args.spawn_rate,
        paths=args.paths,
        profile=args.profile,
        processes=args.processes,
        workers=args.workers,
        rate=args.rate,
        timeout_s=args.timeout,
    )
    outdir = results_dir(args.results, "load")
    write_manifest(outdir, kind="load")
    need_api = any(p.startswith("http-") for p in args.paths)
    api = (args.host or "starting one") if need_api else "not needed"
    print(f"load: API {api}, gRPC {args.grpc_target or 'starting peaje-server'}")
    with LoadTargets(args.host, args.grpc_target, api=need_api) as targets:
        config.extra = {"host": targets.host, "grpc_target": targets.grpc_target}
        print(
            f"load: {config.users} users on {', '.join(config.paths)} for {config.duration_s}s "
            f"-> {outdir}"
        )
        summary = load_run(config, targets, outdir)
        targets.save_logs(outdir)
    print()
    print(markdown(summary).split("\n## Per request")[0].rstrip())
    print(f"\nload: wrote {outdir}/summary.md, summary.json, locust.html, locust_*.csv")
    if not summary["ok"]:
        for problem in summary["problems"]:
            print(f"load: FAILED: {problem}", file=sys.stderr)
        failures = outdir / "locust_failures.csv"
        if failures.exists():
            print(failures.read_text()[:2000], file=sys.stderr)
        return 130 if was_interrupted(summary) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

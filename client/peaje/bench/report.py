"""The toll report: one command that answers "native extension or native service?".

Starts peaje-server (TCP, Unix socket) and Toxiproxy rungs, runs the pyperf matrix in worker
processes, the Google Benchmark of the core, cold starts, memory and (on demand) a flamegraph,
fits the cost model, and writes results/<timestamp>/{report.md, report.html, results.json,
manifest.json, raw/, plots/}. Prints the headline table and the break-even points.

    peaje report                     quick profile (make demo): a few minutes on 2 cores
    peaje report --full              every size, repeat and batch, more worker processes
    peaje report --profile tiny      the whole pipeline in seconds (tests)
    peaje report --flamegraph native-copy
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from peaje.bench import cppbench, flamegraph
from peaje.bench.analysis import Report, analyse, load_matrix
from peaje.bench.paths import SEARCH_PATHS, target_values
from peaje.bench.profiles import PROFILES, Profile
from peaje.bench.servers import BenchServers
from peaje.processes import results_root
from peaje.runs import run_dir, sigterm_as_interrupt, write_manifest


def log(message: str) -> None:
    print(f"report: {message}", file=sys.stderr, flush=True)


# ---- running ----------------------------------------------------------------------------------


def run_matrix(profile: Profile, targets: dict[str, str], out: Path, verbose: bool) -> None:
    """pyperf's own output goes to raw/pyperf.log (and the terminal with --verbose)."""
    command = [
        sys.executable,
        "-m",
        "peaje.bench.suite",
        "--case-profile",
        profile.name,
        *profile.pyperf_args,
        "-o",
        str(out),
    ]
    for transport, target in targets.items():
        command += ["--grpc-target", f"{transport}={target}"]
    log_path = out.with_suffix(".log")
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            for line in process.stdout:
                log_file.write(line)
                if verbose:
                    print(line, end="", file=sys.stderr)
        except BaseException:
            process.kill()
            raise
        finally:
            process.wait()
    if process.returncode != 0:
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-30:])
        raise RuntimeError(f"the pyperf matrix failed (log: {log_path}):\n{tail}")


def warm_server(profile: Profile, targets: dict[str, str]) -> None:
    """A few calls of every size over every transport before the matrix, so the first rows do
    not pay for the server's first large messages (allocator, buffers) on their own."""
    from peaje.reference import dataset
    from peaje.remote import GrpcEngine

    for target in targets.values():
        with GrpcEngine(target, timeout=60) as engine:
            for size in (profile.main_size, *profile.model_sizes):
                values = list(dataset(f"range:{size}"))
                for _ in range(3):
                    engine.search(values, [size // 2], mode="copy")
                    engine.search(f"range:{size}", [size // 2], mode="resident")
                    engine.noop()


def run_python(module: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"python -m {module} {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)


def run_coldstart(profile: Profile, targets: dict[str, str]) -> dict[str, dict[str, float]]:
    """Median per phase over fresh processes; grpc paths get a dataset the server never saw."""
    base = random.randrange(100, 10_000) * 100
    out = {}
    for i, path in enumerate(profile.paths):
        if path.startswith("grpc") and "tcp" not in targets:
            continue
        runs = []
        for run in range(profile.coldstart_runs):
            args = [path, "--step", str(base + run * len(profile.paths) + i)]
            if "tcp" in targets:
                args += ["--grpc-target", targets["tcp"]]
            runs.append(run_python("peaje.bench.coldstart", *args))
        out[path] = {phase: statistics.median(r[phase] for r in runs) for phase in runs[0]}
    return out


def run_memory(profile: Profile, servers: BenchServers) -> dict:
    tcp = servers.targets.get("tcp")
    args = ["layout", "--size", str(profile.memory_size)]
    if tcp:
        args += ["--server-pid", str(servers.server_pid), "--grpc-target", tcp]
    layout = run_python("peaje.bench.memory", *args)
    peak = {}
    for path in ("none", *profile.paths):
        if path.startswith("grpc") and not tcp:
            continue
        args = ["peak", path, "--size", str(profile.main_size)]
        if tcp:
            args += ["--grpc-target", tcp]
        peak[path] = run_python("peaje.bench.memory", *args)["peak_rss_bytes"]

    return {"size": profile.memory_size, "bytes_per_element": layout, "peak_rss_bytes": peak}


def measure_server_ns(profile: Profile, targets: dict[str, str], calls: int = 30) -> list[dict]:
    """Client time vs the server's own server_ns for the grpc search paths (TCP)."""
    if "tcp" not in targets:
        return []
    from peaje.reference import dataset
    from peaje.remote import GrpcEngine

    rows = []
    spec = f"range:{profile.main_size}"
    target = target_values(profile.main_size, 1)
    with GrpcEngine(targets["tcp"], timeout=30) as engine:
        for path, values, mode in (
            ("grpc-resident", spec, "resident"),
            ("grpc-inline", list(dataset(spec)), "copy"),
        ):
            for repeat in [k for k in profile.repeats if k <= 1000]:
                client, server = [], []
                engine.search_timed(values, target, mode=mode, repeat=repeat)
                for _ in range(calls if path == "grpc-resident" else max(5, calls // 5)):
                    started = time.perf_counter_ns()
                    _, server_ns = engine.search_timed(values, target, mode=mode, repeat=repeat)
                    client.append(time.perf_counter_ns() - started)
                    server.append(server_ns)
                rows.append(
                    {
                        "path": path,
                        "repeat": repeat,
                        "client_ns": statistics.median(client),
                        "server_ns": statistics.median(server),
                    }
                )
    return rows


# Calls per row, rounds and warm-up of the remote toll's decomposition, per profile.
RPC_DECOMPOSITION = {"tiny": (40, 4, 10), "quick": (400, 10, 100)}


def run_rpc_decomposition(profile: Profile, notes: list[str]) -> list[dict]:
    """The remote toll per client against its wire floor (peaje.bench.rpc_latency, its own
    server and echo process)."""
    from peaje.bench import rpc_latency

    calls, rounds, warmup = RPC_DECOMPOSITION.get(profile.name, (2000, 20, 200))
    log(f"the remote toll decomposed ({calls} calls per client) ...")
    try:
        return rpc_latency.run(calls, rounds, warmup)
    except Exception as e:  # a missing piece (ghz, the C++ client) is a note, not a failed report
        notes.append(f"remote toll decomposition skipped: {type(e).__name__}: {e}")
        return []


# ---- load results (the load issue's sweep), when present --------------------------------------


def run_http_encodings(notes: list[str]) -> list[dict]:
    """JSON vs protobuf bodies through the HTTP front, per batch size (its own API process)."""
    from peaje.bench import http_encodings

    log("HTTP bodies: JSON vs protobuf per batch size ...")
    try:
        return http_encodings.run(samples=15)
    except Exception as e:  # a missing piece of the stack is a note, not a failed report
        notes.append(f"HTTP bodies (JSON vs protobuf) skipped: {type(e).__name__}: {e}")
        return []


def run_bindings(profile: Profile, notes: list[str]) -> dict | None:
    """The "Which binding?" rows on pybind11, nanobind and Cython, with perf where it can
    record (not on the tiny profile, which stays quick)."""
    from peaje.bench import bindings

    log("Which binding? pybind11 / nanobind / Cython rows (peaje.bench.bindings) ...")
    tiny = profile.name == "tiny"
    try:
        return bindings.run(rounds=8 if tiny else 25, profile=not tiny)
    except Exception as e:  # a binding that is not built is a note, not a failed report
        notes.append(f"Which binding? skipped: {type(e).__name__}: {e}")
        return None


def run_load_sweep(profile: Profile, results_root: Path, log_path: Path) -> list[str]:
    """The load issue's sweep, short, on a stack of its own; a failure is a note, not a crash."""
    command = [
        sys.executable,
        "-m",
        "peaje.load.sweep",
        *profile.load_sweep_args,
        "--results",
        str(results_root),
    ]
    with open(log_path, "w") as log_file:
        done = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        return [f"load sweep failed (exit {done.returncode}); see raw/{log_path.name}"]
    return []


def latest_sweep(results_root: Path) -> dict | None:
    sweeps = sorted(results_root.glob("load-sweep-*/sweep.json"))
    for path in reversed(sweeps):
        try:
            sweep = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if sweep.get("points"):
            sweep["source"] = str(path.relative_to(results_root.parent))
            return sweep
    return None


# ---- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="peaje report", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="quick",
        help="tiny (tests), quick (make demo, default) or full",
    )
    parser.add_argument(
        "--full",
        action="store_const",
        const="full",
        dest="profile",
        help="the full profile (every size, repeat and batch)",
    )
    parser.add_argument(
        "--out", type=Path, default=results_root(), help="results root (default %(default)s)"
    )
    parser.add_argument("--no-grpc", action="store_true", help="in-process rows only")
    parser.add_argument(
        "--flamegraph",
        action="append",
        default=[],
        metavar="PATH",
        choices=sorted(SEARCH_PATHS),
        help="py-spy --native SVG of a path",
    )
    parser.add_argument("--no-load", action="store_true", help="skip the profile's load sweep")
    parser.add_argument("--verbose", action="store_true", help="show pyperf's output")
    parser.add_argument(
        "--reanalyse",
        type=Path,
        metavar="RUN_DIR",
        help="re-fit and re-render an earlier run's report; measure nothing",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reanalyse:
        return reanalyse(args.reanalyse)
    # SIGTERM unwinds like Ctrl-C, so the servers this run started are always stopped.
    with sigterm_as_interrupt():
        try:
            report, outdir = run(PROFILES[args.profile], args)
        except KeyboardInterrupt:
            log("interrupted; the processes it started are stopped")
            return 130
    write_report(report, outdir)
    return 0


def run(profile: Profile, args: argparse.Namespace) -> tuple[Report, Path]:
    """Every measurement of the profile, then the analysis: the Report and its directory."""
    outdir = run_dir(args.out, f"{{stamp}}-{profile.name}")
    (outdir / "raw").mkdir()
    started = time.monotonic()
    run_manifest = write_manifest(outdir, profile=profile.name)
    notes: list[str] = []
    measurements = measure(profile, args, outdir, notes)
    measurements["http_encodings"] = run_http_encodings(notes)
    measurements["bindings"] = run_bindings(profile, notes)
    measurements["rpc_decomposition"] = run_rpc_decomposition(profile, notes)
    if profile.load_sweep_args and not args.no_load:
        log("short load sweep (peaje.load.sweep) ...")
        notes += run_load_sweep(profile, args.out, outdir / "raw" / "load_sweep.log")
    talk = run_talk(profile, outdir, notes)
    cpp_raw, cpp_o0_raw = measurements.pop("cpp_raw"), measurements.pop("cpp_o0_raw")
    cpp = cppbench.per_item_ns(cpp_raw) if cpp_raw else None
    measured = load_matrix(outdir / "raw" / "pyperf.json")
    report = Report(
        profile=profile,
        manifest=run_manifest,
        measured=measured,
        analysis=analyse(profile, measured, cpp, measurements["server_ns"]),
        cpp_floor=cpp,
        cpp_floor_O0=cppbench.per_item_ns(cpp_o0_raw) if cpp_o0_raw else None,
        load_sweep=latest_sweep(args.out),
        notes=notes,
        talk=talk,
        **measurements,
    )
    report.manifest["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report.manifest["duration_s"] = round(time.monotonic() - started, 1)
    return report, outdir


def measure(profile: Profile, args: argparse.Namespace, outdir: Path, notes: list[str]) -> dict:
    """The runs that need the servers: memory, the pyperf matrix, the core's floor, cold starts,
    server_ns and flamegraphs. The servers are stopped whatever happens."""
    servers = BenchServers(latencies_ms=() if args.no_grpc else profile.latencies_ms)
    try:
        if not args.no_grpc:
            servers.start()
            notes += servers.notes
        else:
            notes.append("gRPC rows skipped: --no-grpc")
        targets = dict(servers.targets)
        log("memory (first, on a fresh server) ...")
        memory = run_memory(profile, servers)
        warm_server(profile, targets)
        log(f"profile {profile.name}: pyperf matrix ({len(targets)} gRPC transports) ...")
        run_matrix(profile, targets, outdir / "raw" / "pyperf.json", args.verbose)
        log("Google Benchmark of the core ...")
        cpp_raw = cppbench.run(outdir / "raw" / "core_bench.json", profile.cpp_min_time)
        if cpp_raw is None:
            notes.append(f"C++ floor skipped: {cppbench.CORE_BENCH_BIN} is missing")
        cpp_o0_raw = cppbench.run(
            outdir / "raw" / "core_bench_O0.json",
            profile.cpp_min_time,
            cppbench.CORE_BENCH_O0_BIN,
            cppbench.TALK_FILTER,
        )
        log("cold starts, server_ns ...")
        coldstart = run_coldstart(profile, targets)
        server_ns = measure_server_ns(profile, targets)
        if servers.server_pid:
            from peaje.bench.memory import peak_rss

            memory["server_peak_rss_bytes"] = peak_rss(servers.server_pid)
        flames = record_flamegraphs(args.flamegraph, outdir, targets, notes)
    finally:
        servers.stop()
    return {"cpp_raw": cpp_raw, "cpp_o0_raw": cpp_o0_raw, "coldstart": coldstart,
            "memory": memory, "server_ns": server_ns, "flamegraphs": flames}  # fmt: skip


def run_talk(profile: Profile, outdir: Path, notes: list[str]):
    """The seed talk's own experiment, as `make talk` runs it (peaje.talk), servers stopped."""
    from peaje.talk import section

    log("the talk's table (peaje.talk.suite) ...")
    try:
        return section.measure(profile.name, outdir / "raw")
    except (OSError, subprocess.CalledProcessError) as e:
        notes.append(f"the talk's run failed ({e}); raw/talk/ has what it wrote")
        return None


def record_flamegraphs(paths, outdir: Path, targets: dict[str, str], notes: list[str]):
    flames = []
    for path in paths:
        log(f"flamegraph of {path} (py-spy record --native) ...")
        svg = outdir / f"flame-{path}.svg"
        try:
            flamegraph.record(path, svg, 5.0, targets.get("tcp"), 1)
            flames.append(svg.name)
        except (OSError, subprocess.CalledProcessError) as e:
            notes.append(f"flamegraph of {path} failed: {e}")
    return flames


def write_report(report: Report, outdir: Path) -> None:
    from peaje.bench import plots, render

    (outdir / "manifest.json").write_text(json.dumps(report.manifest, indent=1) + "\n")
    report.plots = plots.draw_all(report, outdir / "plots")
    (outdir / "results.json").write_text(json.dumps(report.to_json(), indent=1, default=str) + "\n")
    (outdir / "report.md").write_text(render.markdown(report))
    (outdir / "report.html").write_text(render.html(report))
    print(render.headline_text(report))
    print(f"\nreport: {outdir / 'report.html'} (and report.md, results.json, plots/, raw/)")


def reanalyse(outdir: Path) -> int:
    """Fit, plot and render again from a run's measurements, measuring nothing."""
    report = Report.from_json(json.loads((outdir / "results.json").read_text()))
    write_report(report, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

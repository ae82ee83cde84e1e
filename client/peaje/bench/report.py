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
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from peaje.bench import cppbench, flamegraph, manifest, model
from peaje.bench.paths import SEARCH_PATHS, Case, target_values
from peaje.bench.profiles import PROFILES, Profile
from peaje.bench.servers import BenchServers
from peaje.processes import results_root


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


def load_matrix(path: Path) -> list[dict]:
    import pyperf

    rows = []
    for bench in pyperf.BenchmarkSuite.load(str(path)).get_benchmarks():
        case = Case.parse(bench.get_name())
        values = bench.get_values()
        rows.append(
            {
                "name": case.name,
                "kind": case.kind,
                "path": case.path,
                "label": case.label,
                "transport": case.transport,
                "size": case.size,
                "repeat": case.repeat,
                "targets": case.targets,
                "median_s": bench.median(),
                "mean_s": bench.mean(),
                "stdev_s": bench.stdev() if len(values) > 1 else 0.0,
                "values": len(values),
            }
        )
    return rows


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


# ---- analysis ---------------------------------------------------------------------------------


def analyse(profile: Profile, rows: list[dict], cpp: dict | None, server_ns: list[dict]) -> dict:
    measured = {Case.parse(r["name"]): r["median_s"] for r in rows}
    fits = model.fit_all(measured)
    size = profile.main_size

    def time_of(kind: str, path: str, repeat: int = 1, targets: int = 1, via: str = "") -> float:
        case = Case(kind, path, size if kind != "noop" else 0, repeat, targets, via)
        return measured.get(case, float("nan"))

    search_labels = [
        lbl
        for lbl in (
            c.label
            for c in measured
            if c.kind == "search" and c.size == size and c.transport in ("", "tcp")
        )
    ]
    labels = [p for p in dict.fromkeys(search_labels)]
    order = {
        label: i for i, label in enumerate([*SEARCH_PATHS, *(f"{p} (tcp)" for p in SEARCH_PATHS)])
    }
    labels.sort(key=lambda label: order.get(label, 99))

    def case_of(label: str, repeat: int, targets: int = 1, kind: str = "search") -> Case:
        return Case.of_label(kind, label, size, repeat, targets)

    headline = []
    for repeat in profile.repeats:
        row = {"repeat": repeat}
        for label in labels:
            row[label] = measured.get(case_of(label, repeat))
        headline.append(row)

    break_even = []
    for label in labels:
        if label == "python" or label not in fits or "python" not in fits:
            continue
        pairs = {
            r["repeat"]: (r["python"], r[label])
            for r in headline
            if r.get("python") and r.get(label)
        }
        modelled = model.repeat_break_even(fits, label, size)
        entry = {
            "path": label,
            "model_repeat": modelled.value,
            "model_text": modelled.text(),
            "measured_from_repeat": model.measured_crossover(pairs),
            "interpolated_repeat": model.interpolated_crossover(pairs),
        }
        if any(c.kind == "batch" and c.label == label for c in measured):
            batched = model.batch_break_even(fits, label, size)
            batch_pairs = {
                c.targets: (measured[case_of("python", 1, c.targets, c.kind)], t)
                for c, t in measured.items()
                if c.label == label
                and c.searches == c.targets
                and c.size == size
                and case_of("python", 1, c.targets, c.kind) in measured
            }
            entry.update(
                model_batch=batched.value,
                model_batch_text=batched.text(),
                measured_batch_from=model.measured_crossover(batch_pairs),
            )
        break_even.append(entry)

    rungs = []
    native_noop = time_of("noop", "native")
    rungs.append(
        {
            "rung": "in-process (pybind11)",
            "noop_s": native_noop,
            "search_s": time_of("search", "native-resident"),
        }
    )
    for via in sorted(
        {c.transport for c in measured if c.kind == "noop" and c.transport}, key=rung_order
    ):
        rungs.append(
            {
                "rung": f"gRPC {via}",
                "transport": via,
                "noop_s": time_of("noop", "grpc", via=via),
                "search_s": time_of("search", "grpc-resident", via=via),
            }
        )
    for rung in rungs:
        rung["equivalents"] = model.hop_equivalents(rung["noop_s"] * 1e9, fits, size)

    bytes_dict = {}
    for c, t in measured.items():
        if c.kind == "bytes-dict":
            bytes_dict.setdefault(c.size, {})[c.label] = t

    talk = []
    for loops in (10, 1000, 10000, 100000):
        talk.append(
            {
                "loops": loops,
                "python_s": measured.get(case_of("python", loops)),
                "copy_s": measured.get(case_of("native-copy", loops)),
                "resident_s": measured.get(case_of("native-resident", loops)),
            }
        )

    breakdown = stacked_breakdown(measured, labels, case_of, cpp, server_ns, size)
    residuals = [
        {
            "name": c.name,
            "measured_ns": t * 1e9,
            "model_ns": fits[c.label].predict_ns(c),
            "rel_error": fits[c.label].predict_ns(c) / (t * 1e9) - 1,
        }
        for c, t in measured.items()
        if c.kind in ("search", "batch") and c.label in fits
    ]
    return {
        "main_size": size,
        "labels": labels,
        "headline": headline,
        "fits": {label: fit.as_dict(size) for label, fit in fits.items()},
        "residuals": residuals,
        "break_even": break_even,
        "ladder": rungs,
        "bytes_dict": bytes_dict,
        "talk": talk,
        "breakdown": breakdown,
    }


def rung_order(transport: str) -> tuple[int, float]:
    """unix, tcp, then the latency rungs by added milliseconds."""
    if transport in ("unix", "tcp"):
        return (0 if transport == "unix" else 1, 0.0)
    digits = "".join(ch for ch in transport if ch.isdigit() or ch == ".")
    return (2, float(digits or 0))


def stacked_breakdown(measured, labels, case_of, cpp, server_ns, size) -> list[dict]:
    """Where one call's time goes, per path, at repeat 1 and 1000 (measured pieces only).

    crossing: a no-op call on the same path (pybind11 or RPC); core: the C++ floor for the
    searches (Google Benchmark) or, remote, the server's own server_ns; conversion: the rest
    (arguments, copies, serialization, results)."""
    floor = None
    if cpp:
        key = f"BM_SearchRepeat/{size}/1000"
        floor = cpp.get(key, {}).get("real_ns")  # wall time, as pyperf measures the rows
    noop_native = measured.get(Case("noop", "native"))
    noop_grpc = measured.get(Case("noop", "grpc", transport="tcp"))
    server = {(r["path"], r["repeat"]): r for r in server_ns}
    out = []
    measured_repeats = {c.repeat for c in measured if c.kind == "search" and c.size == size}
    second = max((k for k in measured_repeats if 1 < k <= 1000), default=None)
    for repeat in (1, second) if second else (1,):
        for label in labels:
            total = measured.get(case_of(label, repeat))
            if total is None:
                continue
            total_ns = total * 1e9
            path = label.partition(" (")[0]
            if path == "python":
                parts = {"interpreter (the search in Python)": total_ns}
            elif path.startswith("native"):
                crossing = (noop_native or 0) * 1e9
                core = (floor or 0) * repeat
                parts = {
                    "crossing (no-op call)": crossing,
                    "core (C++ floor)": core,
                    "conversion (engine wrapper, args, copy, results)": max(
                        0.0, total_ns - crossing - core
                    ),
                }
            else:
                crossing = (noop_grpc or 0) * 1e9
                s = server.get((path, repeat))
                core = s["server_ns"] if s else 0.0
                parts = {
                    "crossing (no-op RPC)": crossing,
                    "core (server_ns)": core,
                    "conversion (engine wrapper, serialize, validate, results)": max(
                        0.0, total_ns - crossing - core
                    ),
                }
            out.append({"label": label, "repeat": repeat, "total_ns": total_ns, "parts": parts})
    return out


# ---- load results (the load issue's sweep), when present --------------------------------------


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


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    if args.reanalyse:
        return reanalyse(args.reanalyse)
    profile = PROFILES[args.profile]
    # SIGTERM unwinds like Ctrl-C, so the servers this run started are always stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    outdir = args.out / f"{stamp}-{profile.name}"
    (outdir / "raw").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run_manifest = manifest.collect()
    run_manifest["profile"] = profile.name
    notes: list[str] = []

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
        flames = []
        for path in args.flamegraph:
            log(f"flamegraph of {path} (py-spy record --native) ...")
            svg = outdir / f"flame-{path}.svg"
            try:
                flamegraph.record(path, svg, 5.0, targets.get("tcp"), 1)
                flames.append(svg.name)
            except (OSError, subprocess.CalledProcessError) as e:
                notes.append(f"flamegraph of {path} failed: {e}")
    finally:
        servers.stop()

    if profile.load_sweep_args and not args.no_load:
        log("short load sweep (peaje.load.sweep) ...")
        notes += run_load_sweep(profile, args.out, outdir / "raw" / "load_sweep.log")

    rows = load_matrix(outdir / "raw" / "pyperf.json")
    cpp = cppbench.per_item_ns(cpp_raw) if cpp_raw else None
    results = {
        "schema": "peaje.report/1",
        "profile": profile.name,
        "manifest": run_manifest,
        "cases": rows,
        "cpp_floor": cpp,
        "cpp_floor_O0": cppbench.per_item_ns(cpp_o0_raw) if cpp_o0_raw else None,
        "coldstart": coldstart,
        "memory": memory,
        "server_ns": server_ns,
        "flamegraphs": flames,
        "load_sweep": latest_sweep(args.out),
        "notes": notes,
        **analyse(profile, rows, cpp, server_ns),
    }
    results["manifest"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["manifest"]["duration_s"] = round(time.monotonic() - started, 1)

    (outdir / "manifest.json").write_text(json.dumps(run_manifest, indent=1) + "\n")
    write_report(results, outdir)
    return 0


def write_report(results: dict, outdir: Path) -> None:
    from peaje.bench import plots, render

    results["plots"] = plots.draw_all(results, outdir / "plots")
    (outdir / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    (outdir / "report.md").write_text(render.markdown(results))
    (outdir / "report.html").write_text(render.html(results))
    print(render.headline_text(results))
    print(f"\nreport: {outdir / 'report.html'} (and report.md, results.json, plots/, raw/)")


def reanalyse(outdir: Path) -> int:
    """Fit, plot and render again from a run's measurements, measuring nothing."""
    results = json.loads((outdir / "results.json").read_text())
    profile = PROFILES[results["profile"]]
    results.update(analyse(profile, results["cases"], results["cpp_floor"], results["server_ns"]))
    write_report(results, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`peaje talk`: the talk's experiment on this machine, printed as the talk's compare_to table.

peaje talk [--full | --profile tiny|quick|full] [-o DIR]   # make talk
peaje talk segfault                                          # make talk-segfault
peaje talk flamegraph COLUMN                                 # make talk-flamegraph
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from peaje.talk.columns import BUILDS, extension
from peaje.talk.results import TalkRun
from peaje.talk.suite import PROFILES
from peaje.talk.table import render_markdown, render_text


def run_suite(profile: str, out_dir: Path, clock: str = "cpu", quiet: bool = False) -> TalkRun:
    """Run the pyperf script into out_dir/talk.json and load it. Progress goes to stderr, or
    (quiet) to out_dir/pyperf.log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / "talk.json"
    raw.unlink(missing_ok=True)
    command = [sys.executable, "-m", "peaje.talk.suite", "--talk-profile", profile]
    command += ["--clock", clock]
    command += [*PROFILES[profile].pyperf_args, "-o", str(raw)]
    if quiet:
        with open(out_dir / "pyperf.log", "w") as log:
            subprocess.run([*command, "--quiet"], check=True, stdout=log, stderr=log)
    else:
        subprocess.run(command, check=True, stdout=sys.stderr)
    return TalkRun.load(raw, profile, clock)


def compile_flags(build: str) -> str:
    """The compiler and flags recorded in the module's own debug info (DW_AT_producer)."""
    path = extension(build).__file__
    try:
        out = subprocess.run(
            ["readelf", "--debug-dump=info", path], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (readelf missing)"
    match = re.search(r"DW_AT_producer\s*:.*?:\s*(.+)", out)
    if not match:
        return "unknown (no debug info)"
    flags = [f for f in match.group(1).split() if f.startswith(("-O", "-g")) or f[0].isupper()]
    return " ".join(flags)


def machine_header(run: TalkRun, load_start: float, load_end: float | None = None) -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = f"load average {load_start:.1f} at start"
    if load_end is not None:
        load += f", {load_end:.1f} at end"
    lines = [
        f"The talk (SegmentationFault Fest, PyConES 2022) on this machine: profile {run.profile}, "
        f"{cpu}, {os.cpu_count()} cores, {load} (a shared machine: read the ratios).",
        f"CPython {platform.python_version()}, Cython 3.3.1 (the talk: 0.29.32, pyperf 2.4.1); "
        + CLOCK_NOTES[run.clock],
    ]
    lines += [f"-{b} build: {compile_flags(b)} (the last -O wins)" for b in BUILDS]
    return lines


CLOCK_NOTES = {
    "cpu": "clock: the benchmark thread's CPU time, so other processes' load does not count "
    "(--clock wall: perf_counter, as the talk).",
    "wall": "clock: perf_counter (wall time), as the talk.",
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="peaje talk", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--full", action="store_true", help="pyperf's default rigor")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("-o", "--output", type=Path, help="directory (default results/talk-*)")
    parser.add_argument("--json", action="store_true", help="print results.json instead")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "segfault":
        from peaje.talk import segfault

        return segfault.main(argv[1:])
    if argv and argv[0] == "flamegraph":
        from peaje.talk import flamegraph

        return flamegraph.main(argv[1:])
    args = parse(argv)
    profile = "full" if args.full else args.profile
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.output or Path("results") / f"talk-{stamp}-{profile}"
    load_start = os.getloadavg()[0]
    run = run_suite(profile, out_dir, args.clock)
    header = machine_header(run, load_start, os.getloadavg()[0])
    (out_dir / "results.json").write_text(json.dumps(run.as_dict(), indent=2) + "\n")
    (out_dir / "table.md").write_text(render_markdown(run, header) + "\n")
    from peaje.talk.plot import talk_vs_ours  # matplotlib: only when there is a run to draw

    talk_vs_ours(run, out_dir)
    if args.json:
        print(json.dumps(run.as_dict(), indent=2))
    else:
        print(render_text(run, header))
        print(f"\n(pyperf JSON, results.json, table.md and talk_vs_ours.svg in {out_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

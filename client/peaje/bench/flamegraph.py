"""Flamegraphs as the talk made them: ``py-spy record --native`` over one path's steady loop,
saved as SVG next to the report.

    python -m peaje.bench.flamegraph native-copy -o flame-native-copy.svg [--seconds 5]

A grpc path without --grpc-target gets a peaje-server of its own for the recording.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from peaje.bench.paths import SEARCH_PATHS, Case, Engines, prepare


def workload(path: str, seconds: float, grpc_target: str | None, repeat: int) -> None:
    """The loop py-spy samples: one path at the talk's size, called for `seconds`."""
    engines = Engines({"tcp": grpc_target} if grpc_target else {})
    via = "tcp" if SEARCH_PATHS[path][0] == "grpc" else ""
    call = prepare(Case("search", path, 100_000, repeat, 1, via), engines)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        call()
    engines.close()


def record(path: str, out: Path, seconds: float, grpc_target: str | None, repeat: int) -> Path:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [
        sys.executable,
        "-m",
        "peaje.bench.flamegraph",
        path,
        "--run",
        "--seconds",
        str(seconds),
        "--repeat",
        str(repeat),
    ]
    if grpc_target:
        command += ["--grpc-target", grpc_target]
    subprocess.run(
        [
            py_spy,
            "record",
            "--native",
            "--rate",
            "500",
            "--format",
            "flamegraph",
            "-o",
            str(out),
            "--",
            *command,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", choices=sorted(SEARCH_PATHS))
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--grpc-target", help="a running peaje-server, for grpc paths")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)  # the sampled child
    args = parser.parse_args(argv)
    if args.run:
        workload(args.path, args.seconds, args.grpc_target, args.repeat)
        return 0
    out = args.output or Path(f"flame-{args.path}.svg")
    if args.path.startswith("grpc") and not args.grpc_target:
        from peaje.bench.servers import BenchServers

        with BenchServers() as servers:  # the client side is sampled; the server runs apart
            if "tcp" not in servers.targets:
                print("\n".join(servers.notes), file=sys.stderr)
                return 1
            print(record(args.path, out, args.seconds, servers.targets["tcp"], args.repeat))
        return 0
    print(record(args.path, out, args.seconds, args.grpc_target, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())

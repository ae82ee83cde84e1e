"""Flamegraphs of the talk's columns as the talk made them: `py-spy record --native --rate 1000`
over a steady loop of one column's benchmark function; the -O0 -g build keeps native symbols
(Cython's __pyx_* functions, talk::binsearch_*, the vector conversion) in the picture.

    peaje talk flamegraph value-O0 -o results/talk-flame-value-O0.svg [--seconds 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from peaje.talk.columns import COLUMNS, check


def workload(column: str, loops: int, seconds: float) -> None:
    """The loop py-spy samples: the column's benchmark function, called for `seconds`."""
    call = check(COLUMNS[column], loops)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        call()


def record(column: str, loops: int, seconds: float, out: Path, rate: int = 1000) -> Path:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    child = [sys.executable, "-m", "peaje.talk.flamegraph", column, "--run"]
    child += ["--loops", str(loops), "--seconds", str(seconds)]
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [py_spy, "record", "--native", "--rate", str(rate), "--format", "flamegraph"]
        + ["-o", str(out), "--", *child],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="peaje talk flamegraph", description=__doc__.split("\n")[0]
    )
    parser.add_argument("column", choices=sorted(COLUMNS))
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--loops", type=int, help="loops per call (default: the column's largest)")
    parser.add_argument("--rate", type=int, default=1000, help="samples per second (the talk's)")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)  # the sampled child
    args = parser.parse_args(argv)
    loops = args.loops or max(COLUMNS[args.column].loops)
    if args.run:
        workload(args.column, loops, args.seconds)
        return 0
    out = args.output or Path("results") / f"talk-flame-{args.column}.svg"
    print(record(args.column, loops, args.seconds, out, args.rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The talk's benchmarks as a pyperf script: one benchmark per column and loop count, each value
one call of the talk's benchmark function (LOOPS searches), timed in pyperf's worker processes.

    python -m peaje.talk.suite --talk-profile quick -o talk.json   # pyperf's options apply
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import pyperf

from peaje.talk.columns import COLUMNS, Column, check


@dataclass(frozen=True)
class Profile:
    name: str
    loops: tuple[int, ...]  # the loop counts run (each column keeps only those it runs at)
    pyperf_args: tuple[str, ...]  # () is pyperf's own default rigor
    columns: tuple[str, ...] = tuple(COLUMNS)


PROFILES = {
    # The tests' run: the rows the talk's shape is checked on, one worker process each.
    "tiny": Profile(
        "tiny",
        (10, 100000),
        ("--processes", "1", "--values", "3", "--warmups", "1", "--min-time", "0.01"),
    ),
    # make talk: every row of the talk, under 3 minutes on 2 cores.
    "quick": Profile(
        "quick",
        (10, 1000, 10000, 100000),
        ("--processes", "2", "--values", "3", "--warmups", "1", "--min-time", "0.05"),
    ),
    # make demo: every row of the talk at one worker process each.
    "demo": Profile(
        "demo",
        (10, 1000, 10000, 100000),
        ("--processes", "1", "--values", "3", "--warmups", "1", "--min-time", "0.02"),
    ),
    # make talk TALK_ARGS=--full: pyperf's default rigor (20 processes x 3 values).
    "full": Profile("full", (10, 1000, 10000, 100000), ()),
}


def benchmark_name(column: str, loops: int) -> str:
    return f"talk/{column}/loops={loops}"


def parse_name(name: str) -> tuple[str, int]:
    _, column, loops = name.split("/")
    return column, int(loops.removeprefix("loops="))


def cells(profile: Profile) -> list[tuple[Column, int]]:
    return [
        (COLUMNS[name], loops)
        for name in profile.columns
        for loops in COLUMNS[name].loops
        if loops in profile.loops
    ]


_prepared: dict[str, object] = {}
# cpu: the benchmark thread's CPU time, so the other processes of a shared machine do not
# count in a cell (they still cost caches); wall: perf_counter, pyperf's and the talk's clock.
CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def time_cell(outer_loops: int, column: str, loops: int, clock: str) -> float:
    """pyperf's time function: seconds for `outer_loops` calls of one benchmark function."""
    name = benchmark_name(column, loops)
    call = _prepared.get(name)
    if call is None:
        call = _prepared[name] = check(COLUMNS[column], loops)
    now = CLOCKS[clock]
    started = now()
    for _ in range(outer_loops):
        call()
    return now() - started


def main(argv: list[str] | None = None) -> int:
    runner = pyperf.Runner(
        add_cmdline_args=lambda cmd, args: cmd.extend(
            ["--talk-profile", args.talk_profile, "--clock", args.clock]
        ),
        program_args=("-m", "peaje.talk.suite"),
    )
    runner.argparser.add_argument("--talk-profile", choices=sorted(PROFILES), default="quick")
    runner.argparser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    args = runner.parse_args(argv)
    for column, loops in cells(PROFILES[args.talk_profile]):
        runner.bench_time_func(
            benchmark_name(column.name, loops),
            time_cell,
            column.name,
            loops,
            args.clock,
            metadata={"talk_column": column.name, "talk_loops": loops, "talk_clock": args.clock},
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

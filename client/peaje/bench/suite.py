"""The benchmark matrix as a pyperf script: one pyperf benchmark per case, each timed in pyperf's
worker processes (warm-ups, calibrated loops, several processes), written as pyperf JSON.

The report runs it; it can also be run alone (pyperf's own options apply):

    python -m peaje.bench.suite --case-profile quick --grpc-target tcp=127.0.0.1:50051 -o out.json
"""

from __future__ import annotations

import sys
import time

import pyperf

from peaje.bench.paths import Case, Engines, check, prepare
from peaje.bench.profiles import PROFILES, cases

_engines: Engines | None = None
_prepared: dict[str, object] = {}


def time_case(loops: int, name: str) -> float:
    """pyperf's time function: seconds for `loops` calls; set-up happens before the clock."""
    call = _prepared.get(name)
    if call is None:
        case = Case.parse(name)
        check(case, _engines)
        call = _prepared[name] = prepare(case, _engines)
    started = time.perf_counter()
    for _ in range(loops):
        call()
    return time.perf_counter() - started


def forward_args(cmd: list[str], args) -> None:
    cmd += ["--case-profile", args.case_profile]
    for target in args.grpc_target:
        cmd += ["--grpc-target", target]


def main(argv: list[str] | None = None) -> int:
    global _engines
    runner = pyperf.Runner(
        add_cmdline_args=forward_args,
        program_args=("-m", "peaje.bench.suite"),
    )
    runner.argparser.add_argument("--case-profile", choices=sorted(PROFILES), default="quick")
    runner.argparser.add_argument(
        "--grpc-target",
        action="append",
        default=[],
        metavar="TRANSPORT=TARGET",
        help="a running peaje-server per transport, e.g. tcp=127.0.0.1:50051",
    )
    args = runner.parse_args(argv)
    targets = dict(t.split("=", 1) for t in args.grpc_target)
    _engines = Engines(targets)
    for case in cases(PROFILES[args.case_profile], tuple(targets)):
        runner.bench_time_func(
            case.name,
            time_case,
            case.name,
            metadata={"peaje_kind": case.kind, "peaje_path": case.label},
        )
    _engines.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

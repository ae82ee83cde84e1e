"""The floor: the Google Benchmark of the core alone (tests/bench/core_bench.cpp), run as a
subprocess with JSON output and read back as nanoseconds per item (CPU time)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from peaje.processes import find_repo

CORE_BENCH_BIN = Path(
    os.environ.get(
        "PEAJE_CORE_BENCH_BIN",
        (find_repo() or Path.cwd()) / "build" / "cmake" / "tests" / "bench" / "peaje_core_bench",
    )
)


# The same benchmark with the core at -O0, as the seed talk built it (tests/bench/CMakeLists.txt).
CORE_BENCH_O0_BIN = CORE_BENCH_BIN.with_name("peaje_core_bench_O0")
TALK_FILTER = "BM_SearchRepeat/100000/|BM_CopyAndValidate/100000$"


def run(
    out_json: Path, min_time: str, binary: Path = CORE_BENCH_BIN, only: str = ""
) -> dict | None:
    """Runs the benchmark into `out_json`; None when the binary has not been built."""
    if not binary.is_file():
        return None
    subprocess.run(
        [
            str(binary),
            f"--benchmark_filter={only or '.'}",
            f"--benchmark_min_time={min_time}",
            f"--benchmark_out={out_json}",
            "--benchmark_out_format=json",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return json.loads(out_json.read_text())


def per_item_ns(raw: dict) -> dict[str, dict[str, float]]:
    """{benchmark name: {cpu_ns, real_ns}} per item processed (one search, one element...)."""
    out = {}
    for bench in raw.get("benchmarks", []):
        if bench.get("run_type", "iteration") != "iteration" or "items_per_second" not in bench:
            continue
        items_per_iteration = bench["items_per_second"] * bench["cpu_time"] / _to_s(bench)
        scale = _unit_ns(bench["time_unit"]) / items_per_iteration
        out[bench["name"]] = {
            "cpu_ns": bench["cpu_time"] * scale,
            "real_ns": bench["real_time"] * scale,
        }
    return out


def _unit_ns(unit: str) -> float:
    return {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def _to_s(bench: dict) -> float:
    return 1e9 / _unit_ns(bench["time_unit"])

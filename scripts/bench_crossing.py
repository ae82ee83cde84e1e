"""Times one crossing of each data mode through two builds of peaje._native, alternated in one
run (before/after a change to the crossing layer): python scripts/bench_crossing.py A.so B.so"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import importlib.util, json, sys, timeit, array
spec = importlib.util.spec_from_file_location("_native", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
values = list(range(100_000)); buf = array.array("q", values); arr = m.SortedArray(values)
cases = {
    "resident, 1 target": lambda: arr.search([66666]),
    "lazy, 1 target": lambda: m.search_lazy(values, [66666]),
    "buffer, 1 target": lambda: m.search_buffer(buf, [66666]),
    "copy, 100k values": lambda: m.search_copy(values, [66666]),
    "resident, 1000 targets": (lambda t=list(range(0, 100_000, 100)): arr.search(t)),
}
out = {}
for name, fn in cases.items():
    n = 200 if "copy" in name else 20_000
    out[name] = min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e9
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for label in ("before", "after"):
            path = getattr(args, label)
            result = json.loads(subprocess.check_output([sys.executable, "-c", CHILD, path]))
            for case, ns in result.items():
                runs[label].setdefault(case, []).append(ns)
    print(f"{'case':<24} {'before ns':>10} {'after ns':>10} {'after/before':>12}")
    for case in runs["before"]:
        before = statistics.median(runs["before"][case])
        after = statistics.median(runs["after"][case])
        print(f"{case:<24} {before:>10.1f} {after:>10.1f} {after / before:>12.3f}")


if __name__ == "__main__":
    main()

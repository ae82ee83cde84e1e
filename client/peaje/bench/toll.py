"""The in-process toll table: python vs each in-process engine (native = pybind11, nanobind,
cython) in each data mode, per repeat.

The talk's experiment: search target 66666 in range:100000, the batch run `repeat` times inside
one call. Copy mode pays to convert the whole list on every call, so it loses to Python at small
repeat and wins past a crossover; lazy, buffer and resident remove the copy.

    python -m peaje.bench.toll [--repeats 1 10 100] [--samples 7]
"""

from __future__ import annotations

import argparse
import array
import sys
from dataclasses import dataclass

import peaje
from peaje.bench.timing import Timing, format_ns, time_call
from peaje.inprocess import BINDINGS

REPEATS = (1, 10, 100, 1000, 10000, 100000)
MODES = ("copy", "lazy", "buffer", "resident")
# One table per in-process engine: python, then the engine in each data mode.
TABLES = {name: ("python", *(f"{name}-{mode}" for mode in MODES)) for name in BINDINGS}
PATHS = ("python", *(path for paths in TABLES.values() for path in paths[1:]))


@dataclass(frozen=True)
class Row:
    repeat: int
    timings: dict[str, Timing]

    def ratio(self, path: str) -> float:
        """How many times faster than python (>1 means the native path wins)."""
        return self.timings["python"].median_ns / self.timings[path].median_ns


def measure(spec: str, target: int, repeats, samples: int, progress=None) -> list[Row]:
    python = peaje.engine("python")
    python.search(spec, [0])  # validates the spec early
    values = list(peaje.reference.dataset(spec))
    buffer = array.array("q", values)
    targets = [target]
    calls = {"python": lambda k: python.search(values, targets, repeat=k)}
    for name in BINDINGS:
        engine = peaje.engine(name)
        data = {
            "copy": values,
            "lazy": values,
            "buffer": buffer,
            "resident": engine.SortedArray(spec),
        }
        for mode in MODES:
            calls[f"{name}-{mode}"] = lambda k, s=engine.search, v=data[mode], m=mode: s(
                v, targets, mode=m, repeat=k
            )
    rows = []
    for k in repeats:
        expected = calls["python"](k)
        timings = {}
        for path, call in calls.items():
            if call(k) != expected:
                raise AssertionError(f"{path} disagrees with python at repeat={k}")
            timings[path] = time_call(lambda call=call, k=k: call(k), samples=samples)
            if progress:
                progress(f"repeat={k:<7} {path:<16} {format_ns(timings[path].median_ns)}")
        rows.append(Row(k, timings))
    return rows


def crossover(rows: list[Row], path: str) -> int | None:
    """The smallest measured repeat from which `path` beats python at every larger repeat."""
    winning = None
    for row in reversed(rows):
        if row.ratio(path) > 1.0:
            winning = row.repeat
        else:
            break
    return winning


def render_table(rows: list[Row], name: str) -> list[str]:
    """One engine's table: python and the engine in each data mode, its copy toll, crossovers."""
    paths = TABLES[name]
    header = f"{'repeat':>7} | " + " | ".join(f"{p:>22}" for p in paths)
    lines = [f"{name} ({BINDINGS[name].library})", header, "-" * len(header)]
    for row in rows:
        cells = [f"{format_ns(row.timings['python'].median_ns):>22}"]
        for path in paths[1:]:
            t = format_ns(row.timings[path].median_ns)
            cells.append(f"{t + f' ({row.ratio(path):.3g}x)':>22}")
        lines.append(f"{row.repeat:>7} | " + " | ".join(cells))
    lines.append("")
    first, copy, resident = rows[0], f"{name}-copy", f"{name}-resident"
    copy_toll = first.timings[copy].median_ns - first.timings[resident].median_ns
    lines.append(
        f"copy-mode toll at repeat={first.repeat}: {format_ns(copy_toll)} per call "
        f"({1 / first.ratio(copy):.3g}x python's time)"
    )
    for path in paths[1:]:
        k = crossover(rows, path)
        lines.append(
            f"{path:<18} beats python from repeat={k}"
            if k is not None
            else f"{path:<18} never beats python in this range"
        )
    return lines


def render(rows: list[Row], spec: str, target: int) -> str:
    lines = [
        f"In-process toll: search [{target}] in {spec}, batch run `repeat` times per call",
        "(median per call; x = speed-up over python, <1 means slower than python)",
    ]
    for name in TABLES:
        lines += ["", *render_table(rows, name)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="range:100000", help="dataset spec (default %(default)s)")
    parser.add_argument("--target", type=int, default=66666)
    parser.add_argument("--repeats", type=int, nargs="+", default=list(REPEATS))
    parser.add_argument("--samples", type=int, default=7, help="timed samples per cell")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    rows = measure(
        args.spec, args.target, args.repeats, args.samples, None if args.quiet else progress
    )
    print(render(rows, args.spec, args.target))
    return 0


if __name__ == "__main__":
    sys.exit(main())

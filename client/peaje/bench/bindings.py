"""Which binding? The same core, through the same crossing, behind pybind11 (native), nanobind
and Cython: each row timed on every binding in the same run, and the issue's three goal ratios.

Rows (per call unless said): the binding's own no-op; the scalar ``SortedArray.find``; one
target through ``SortedArray.search`` and through the engine (``engine.search(array, [t])``);
copy mode per element; lazy mode per probe; buffer mode per call; bytes dict per entry.
``bisect.bisect_left`` on a Python list of the same 100,000 ints is the pure-Python anchor.

Timed with ``timeit`` on the call expression itself (no lambda between), best of ``--rounds``
rounds, the bindings interleaved in each round so drift on a shared machine hits all alike.

    python -m peaje.bench.bindings [--rounds 25] [--json out.json]
"""

from __future__ import annotations

import argparse
import array
import bisect
import json
import math
import sys
import textwrap
import timeit
from typing import Any

import peaje
from peaje.inprocess import BINDINGS

SIZE = 100_000
TARGET = 66_666  # the talk's target in the talk's SEARCH_LIST (range:100000)
SMALL = 1_000  # copy per element: (copy at SIZE - copy at SMALL) / (SIZE - SMALL)
LAZY_TARGETS = 100  # lazy per probe: one call of this many targets / (targets x probes)
ENTRIES = (10, 1_000)  # bytes dict per entry: the slope between these sizes
MIN_SAMPLE_S = 0.002  # short samples: on a shared machine, some escape preemption

ROWS = (
    "no-op",
    "find (scalar)",
    "SortedArray.search, 1 target",
    "engine.search, 1 target (resident)",
    "copy, per element",
    "lazy, per probe",
    "buffer, per call",
    "bytes dict, per entry",
)
# The anchors (2-core VM, Python 3.11, each built -O3) and nanobind's published page.
PUBLISHED_NS = {
    "no-op": {"native": 31.0, "nanobind": 14.0, "cython": 14.0},
    "find (scalar)": {"native": 114.0, "nanobind": 47.0, "cython": 49.0},
}
PUBLISHED_BISECT_NS = 203.0
NANOBIND_PAGE = {"native": 180.0, "nanobind": 61.0}  # nanobind's benchmark page: call overhead
GOAL_NOOP, GOAL_FIND, GOAL_ENGINE = 0.6, 0.3, 1.25


def bytes_dict_input(entries: int) -> dict:
    from peaje.bench.paths import bytes_dict_input as mix

    return mix(entries)


def probes(size: int) -> int:
    """Items one leftmost binary search reads: ceil(log2(n + 1)) halvings and the final check."""
    return math.ceil(math.log2(size + 1)) + 1


def statements(name: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The raw timed statements of one binding: key -> (expression, its globals)."""
    engine = peaje.engine(name)
    values = list(range(SIZE))
    g: dict[str, Any] = {
        "noop": engine.noop,
        "array": engine.SortedArray(values),
        "search": engine.search,
        "to_bytes_dict": engine.to_bytes_dict,
        "values": values,
        "small": values[:SMALL],
        "buffer": array.array("q", values),
        "one": [TARGET],
        "many": [(i * 7919) % SIZE for i in range(LAZY_TARGETS)],
        **{f"entries{n}": bytes_dict_input(n) for n in ENTRIES},
    }
    out = {
        "noop": "noop()",
        "find": f"array.find({TARGET})",
        "array.search": "array.search(one, 1)",
        "engine.search": "search(array, one)",
        "copy.big": "search(values, one, mode='copy')",
        "copy.small": "search(small, one, mode='copy')",
        "lazy": "search(values, many, mode='lazy')",
        "buffer": "search(buffer, one, mode='buffer')",
        **{f"bytes{n}": f"to_bytes_dict(entries{n})" for n in ENTRIES},
    }
    return {key: (stmt, g) for key, stmt in out.items()}


def calibrated(stmt: str, g: dict[str, Any]) -> tuple[timeit.Timer, int]:
    """A timer for `stmt` and the executions that make one sample last about MIN_SAMPLE_S."""
    timer = timeit.Timer(stmt, globals=g)
    number = 1
    while (elapsed := timer.timeit(number)) < MIN_SAMPLE_S / 4:
        number *= 4
    return timer, max(1, int(number * MIN_SAMPLE_S / elapsed))


def measure(rounds: int = 25) -> dict[str, Any]:
    """Best-of-`rounds` ns for every raw statement of every binding, and bisect's."""
    timers = {
        name: {key: calibrated(*stmt) for key, stmt in statements(name).items()}
        for name in BINDINGS
    }
    bisect_g = {"bisect_left": bisect.bisect_left, "values": list(range(SIZE))}
    timers["bisect"] = {"bisect": calibrated(f"bisect_left(values, {TARGET})", bisect_g)}
    best: dict[str, dict[str, float]] = {name: {} for name in timers}
    for _ in range(rounds):
        for key in timers["native"] | timers["bisect"]:
            for name, by_key in timers.items():  # interleaved: one key on every binding in turn
                if key in by_key:
                    timer, number = by_key[key]
                    ns = timer.timeit(number) / number * 1e9
                    best[name][key] = min(best[name].get(key, math.inf), ns)
    bisect_ns = best.pop("bisect")["bisect"]
    return {"raw_ns": best, "bisect_ns": bisect_ns, "rounds": rounds}


def rows(raw_ns: dict[str, float]) -> dict[str, float]:
    """One binding's rows (ns) from its raw timings."""
    return {
        "no-op": raw_ns["noop"],
        "find (scalar)": raw_ns["find"],
        "SortedArray.search, 1 target": raw_ns["array.search"],
        "engine.search, 1 target (resident)": raw_ns["engine.search"],
        "copy, per element": (raw_ns["copy.big"] - raw_ns["copy.small"]) / (SIZE - SMALL),
        "lazy, per probe": raw_ns["lazy"] / (LAZY_TARGETS * probes(SIZE)),
        "buffer, per call": raw_ns["buffer"],
        "bytes dict, per entry": (raw_ns[f"bytes{ENTRIES[1]}"] - raw_ns[f"bytes{ENTRIES[0]}"])
        / (ENTRIES[1] - ENTRIES[0]),
    }


def goals(table: dict[str, dict[str, float]], bisect_ns: float) -> list[dict[str, Any]]:
    """The issue's three goals, as measured ratios against their limits."""
    noop = table["native"]["no-op"]
    out = [
        {
            "goal": f"{name} no-op / pybind11 no-op",
            "ratio": table[name]["no-op"] / noop,
            "limit": GOAL_NOOP,
        }
        for name in BINDINGS
        if name != "native"
    ]
    fastest = min(BINDINGS, key=lambda name: table[name]["find (scalar)"])
    out.append(
        {
            "goal": f"fastest find ({fastest}) / bisect.bisect_left",
            "ratio": table[fastest]["find (scalar)"] / bisect_ns,
            "limit": GOAL_FIND,
        }
    )
    out += [
        {
            "goal": f"{name}: engine.search / SortedArray.search (1 target)",
            "ratio": table[name]["engine.search, 1 target (resident)"]
            / table[name]["SortedArray.search, 1 target"],
            "limit": GOAL_ENGINE,
        }
        for name in BINDINGS
    ]
    for goal in out:
        goal["met"] = goal["ratio"] <= goal["limit"]
    return out


# ---- where the time goes: perf over a steady loop of one row on one binding ---------------------

PROFILED = {"no-op": "noop", "find (scalar)": "find"}  # row -> statement key
PERF_SECONDS = 1.0


def loop_forever(name: str, key: str) -> None:
    """The profiled child: announce readiness, then run one statement until killed."""
    stmt, g = statements(name)[key]
    timer = timeit.Timer(stmt, globals=g)
    print("ready", flush=True)
    while True:
        timer.timeit(100_000)


def perf_shares(name: str, key: str) -> dict[str, float] | None:
    """% of samples per place (the binding's module, libpython's symbols, libc/libstdc++)
    while `key` runs on `name` in a loop; None when perf cannot record here."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which("perf") is None:
        return None
    code = f"from peaje.bench.bindings import loop_forever; loop_forever({name!r}, {key!r})"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with tempfile.NamedTemporaryFile(suffix=".perf") as data:
            record = ["perf", "record", "-q", "-F", "2999", "-o", data.name, "-p", str(child.pid)]
            done = subprocess.run(
                [*record, "--", "sleep", str(PERF_SECONDS)], capture_output=True, timeout=60
            )
            if done.returncode != 0:
                return None
            report = subprocess.run(
                ["perf", "report", "-i", data.name, "--stdio", "--no-children",
                 "--sort", "dso,sym", "--percent-limit", "0.5"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
    finally:
        child.kill()
        child.wait()
    return group_shares(report.stdout, BINDINGS[name].module.rsplit(".", 1)[1])


def group_shares(perf_report: str, module: str) -> dict[str, float]:
    """perf report lines -> % per place: the binding's module (its dispatch: stripped builds
    show addresses only), CPython's symbols by name, the C/C++ runtime (malloc, free, new)."""
    out: dict[str, float] = {}
    for line in perf_report.splitlines():
        parts = line.split()
        if len(parts) < 4 or not parts[0].endswith("%") or line.lstrip().startswith("#"):
            continue
        share, dso, symbol = float(parts[0].rstrip("%")), parts[1], parts[3]
        if dso.startswith(module):
            place = f"{module} (the binding's own code)"
        elif dso.startswith("libpython"):
            place = f"CPython {symbol}"
        elif dso.startswith(("libc", "libstdc++", "ld-linux")):
            place = "C/C++ runtime (malloc, free, TLS)"
        else:
            place = f"{dso} {symbol}"
        out[place] = out.get(place, 0.0) + share
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def profiles() -> dict[str, dict[str, dict[str, float]]]:
    """row -> binding -> place -> %, for the rows in PROFILED ({} without perf)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for row, key in PROFILED.items():
        for name in BINDINGS:
            shares = perf_shares(name, key)
            if shares is None:
                return {}
            out.setdefault(row, {})[name] = shares
    return out


def share(shares: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in shares.items() if k.startswith(prefix))


def difference_text(result: dict[str, Any]) -> str:
    """What makes the difference, from this run's perf shares (or why there are none)."""
    perf = result.get("perf") or {}
    if not perf:
        return (
            "Where the time goes was not profiled this run (perf unavailable, or the tiny "
            "profile): `python -m peaje.bench.bindings` records it with perf where perf can."
        )
    noop, find = perf["no-op"], perf["find (scalar)"]

    def own(shares: dict[str, float], name: str) -> float:
        return share(shares, BINDINGS[name].module.rsplit(".", 1)[1])

    return (
        f"What makes the difference, measured (perf record, {PERF_SECONDS:g} s over a steady "
        "loop of each row on each binding; % of samples). The no-op spends "
        f"{own(noop['native'], 'native'):.0f}% of its time in pybind11's own code against "
        f"{own(noop['nanobind'], 'nanobind'):.0f}% in nanobind's and "
        f"{own(noop['cython'], 'cython'):.0f}% in Cython's: all three are vectorcall "
        "(METH_FASTCALL) functions, but pybind11's one generic dispatcher loads the "
        "arguments into a function_call record, walks the overload chain and applies a "
        "return-value policy, where nanobind's and Cython's generated per-function code makes a "
        "few type checks (the rest of their profile is the interpreter's own loop: "
        f"{share(noop['nanobind'], 'CPython _PyEval'):.0f}% / "
        f"{share(noop['cython'], 'CPython _PyEval'):.0f}%). On `find`, pybind11 also pays "
        "for type lookup: its methods are instancemethod objects, so each `array.find` builds "
        f"a bound method (PyMethod_New {share(find['native'], 'CPython PyMethod_New'):.1f}%, "
        f"_PyType_Lookup {share(find['native'], 'CPython _PyType_Lookup'):.1f}%), which "
        "CPython's method call skips for nanobind's and Cython's method descriptors "
        f"({share(find['nanobind'], 'CPython PyMethod_New'):.1f}% / "
        f"{share(find['cython'], 'CPython PyMethod_New'):.1f}%). Building the result (an int "
        "from PyLong_FromLong, the allocator behind it) costs the same order on all three: "
        f"{share(find['native'], 'CPython _PyObject_Malloc'):.0f}% / "
        f"{share(find['nanobind'], 'CPython _PyObject_Malloc'):.0f}% / "
        f"{share(find['cython'], 'CPython _PyObject_Malloc'):.0f}% in _PyObject_Malloc. The "
        "search itself (the core, inlined into each module) is the same code in all three."
    )


def run(rounds: int = 25, profile: bool = True) -> dict[str, Any]:
    """Everything the section shows, JSON-ready: rows per binding, bisect, the goals."""
    measured = measure(rounds)
    table = {name: rows(raw) for name, raw in measured["raw_ns"].items()}
    return {
        "schema": "peaje.bindings/1",
        "libraries": {name: b.library for name, b in BINDINGS.items()},
        "rows": table,
        "bisect_ns": measured["bisect_ns"],
        "raw_ns": measured["raw_ns"],
        "rounds": rounds,
        "goals": goals(table, measured["bisect_ns"]),
        "perf": profiles() if profile else {},
    }


def table_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the section's table: ns per binding, the fastest marked, published
    anchors as ratios to pybind11 beside ours."""
    names = list(result["rows"])
    header = ["row", *(result["libraries"][n] for n in names), "ours vs pybind11", "published"]
    out = []
    for row in ROWS:
        cells = {n: result["rows"][n][row] for n in names}
        fastest = min(cells, key=lambda n: cells[n])
        shown = [f"**{cells[n]:.3g} ns**" if n == fastest else f"{cells[n]:.3g} ns" for n in names]
        ours = " / ".join(f"{cells[n] / cells['native']:.2f}" for n in names if n != "native")
        published = PUBLISHED_NS.get(row)
        anchor = (
            " / ".join(f"{published[n] / published['native']:.2f}" for n in names if n != "native")
            if published
            else ""
        )
        out.append([row, *shown, ours, anchor])
    return header, out


def goal_lines(result: dict[str, Any]) -> list[str]:
    return [
        f"{g['goal']}: {g['ratio']:.2f}x (goal <= {g['limit']}x) {'met' if g['met'] else 'NOT met'}"
        for g in result["goals"]
    ]


def render(result: dict[str, Any]) -> str:
    from peaje.runs import markdown_table

    header, body = table_rows(result)
    bisect_ns = result["bisect_ns"]
    return "\n".join(
        [
            f"Which binding? best of {result['rounds']} rounds, ns; fastest per row in bold;",
            "ratios are nanobind / Cython against pybind11 (published: the issue's anchors).",
            "",
            markdown_table(header, body),
            "",
            f"bisect.bisect_left on a list of {SIZE:,} ints: {bisect_ns:.3g} ns "
            f"(published {PUBLISHED_BISECT_NS:.0f} ns); nanobind's own page: "
            f"{NANOBIND_PAGE['nanobind']:.0f} ns vs {NANOBIND_PAGE['native']:.0f} ns = "
            f"{NANOBIND_PAGE['nanobind'] / NANOBIND_PAGE['native']:.2f}x",
            "",
            "Goals (one run):",
            *(f"  {line}" for line in goal_lines(result)),
            "",
            textwrap.fill(difference_text(result), 100),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25, help="best of this many rounds")
    parser.add_argument("--json", help="also write the result here")
    parser.add_argument("--no-perf", action="store_true", help="skip the perf profiles")
    args = parser.parse_args(argv)
    result = run(args.rounds, profile=not args.no_perf)
    print(render(result))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

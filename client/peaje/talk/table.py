"""The talk's compare_to table with ours beside it: for each of the talk's rows, its published
line, then ours at -O0 and at -O3; the crossovers; one line per row on what differs and why."""

from __future__ import annotations

import math

from peaje.talk.binarysearch import recursion_depth
from peaje.talk.published import STAGE_TITLES, TALK_ROWS, TalkRow
from peaje.talk.results import TalkRun, talk_crossover

BUILD_NOTES = (
    "Changed from the talk, and only this: it passed high = len(list), one past the end, so a "
    "target above the maximum read out of bounds; here high = len(list) - 1 in every column.",
    "The benchmark functions return the last index found (checked: 66666) and the C++ lives in "
    "its own translation unit, so -O3 cannot drop or hoist the repeated searches.",
    "Kept: 32-bit int, the recursion, the loop in Cython, Cython's list -> vector<int> conversion "
    "(by value and by reference: every call; by pointer: once per benchmark call).",
)


def fmt_time(seconds: float | None) -> str:
    """pyperf's style: three significant digits and a unit."""
    if seconds is None or math.isnan(seconds):
        return "-"
    for unit, scale in (("sec", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(python_s: float | None, other_s: float | None) -> str:
    if not python_s or not other_s:
        return ""
    if other_s <= python_s:
        return f"{python_s / other_s:.2f}x faster"
    return f"{other_s / python_s:.2f}x slower"


def cell(python_s: float | None, other_s: float | None) -> str:
    ratio = fmt_ratio(python_s, other_s)
    return f"{fmt_time(other_s)}: {ratio}" if ratio else fmt_time(other_s)


def measured_rows(run: TalkRun) -> list[TalkRow]:
    """The talk's rows this run measured (the tiny profile runs some of them)."""
    return [r for r in TALK_ROWS if run.time(f"{r.stage}-O0", r.loops) is not None]


HEADERS = ["stage", "loops", "build", "Python", "Cython", "C++"]
CLOCK_TEXT = {
    "cpu": "clock: the benchmark thread's CPU time (other processes' load left out)",
    "wall": "clock: perf_counter (wall time), as the talk",
}


def compare_rows(run: TalkRun) -> list[list[str]]:
    rows = []
    for r in measured_rows(run):
        title = STAGE_TITLES[r.stage]
        rows.append(
            [
                title,
                f"{r.loops:,}",
                "talk -O0",
                fmt_time(r.python_s),
                f"{fmt_time(r.cython_s)}: {r.cython_ratio}",
                f"{fmt_time(r.cpp_s)}: {r.cpp_ratio}",
            ]
        )
        python = run.time("python", r.loops)
        for build in ("O0", "O3"):
            rows.append(
                [
                    "",
                    "",
                    f"ours -{build}",
                    fmt_time(python),
                    cell(python, run.time(f"cython-{build}", r.loops)),
                    cell(python, run.time(f"{r.stage}-{build}", r.loops)),
                ]
            )
    return rows


def peaje_rows(run: TalkRun) -> list[list[str]]:
    """peaje's own native engine at the same loop counts: int64, Release, no conversion."""
    rows = []
    for loops in sorted({k for (_, k) in run.cells}):
        python = run.time("python", loops)
        row = [f"{loops:,}", fmt_time(python)]
        row += [cell(python, run.time(c, loops)) for c in ("peaje-resident", "peaje-buffer")]
        rows.append(row)
    return rows


PEAJE_HEADERS = ["loops", "Python", "peaje resident (SortedArray)", "peaje buffer (array('q'))"]


def fmt_crossover(loops: float | None) -> str:
    if loops is None:
        return "never"
    if math.isnan(loops):
        return "-"
    if loops <= 10:  # the talk's smallest count: faster from the first row
        return "from the first loop"
    return f"≈ {loops:,.0f} loops"


CROSSOVER_HEADERS = ["column", "talk", "ours -O0", "ours -O3"]


def crossover_rows(run: TalkRun) -> list[list[str]]:
    rows = []
    for kind, title in (("cython", "Cython"), *STAGE_TITLES.items()):
        rows.append(
            [
                title,
                fmt_crossover(talk_crossover(kind)),
                fmt_crossover(run.crossover(f"{kind}-O0")),
                fmt_crossover(run.crossover(f"{kind}-O3")),
            ]
        )
    return rows


def per_call(run: TalkRun, build: str) -> dict[str, float]:
    """Costs read off the run: a list -> vector<int> conversion, one vector copy, a search."""
    out = {}
    reference, value = run.time(f"reference-{build}", 10), run.time(f"value-{build}", 10)
    if reference:
        out["convert"] = reference / 10
    if reference and value:
        # Cython 3 moves its converted vector into the first call; each recursive call copies.
        out["copy"] = max(0.0, (value - reference) / 10 / (recursion_depth() - 1))
    pointer = run.line(f"pointer-{build}")
    if pointer and len(run.points(f"pointer-{build}")) > 1:
        out["search"], out["fixed"] = pointer.per_loop_s, pointer.fixed_s
    return out


def _both(run: TalkRun, column: str, loops: int) -> str:
    python = run.time("python", loops)
    return " / ".join(
        fmt_ratio(python, run.time(f"{column}-{b}", loops)) or "-" for b in ("O0", "O3")
    )


def _cpp_reason(run: TalkRun, r: TalkRow) -> str:
    o0, o3 = per_call(run, "O0"), per_call(run, "O3")
    python = run.line("python")
    if r.stage == "value":
        text = (
            f"each call converts 100,000 ints ({fmt_time(o0.get('convert'))} at -O0, "
            f"{fmt_time(o3.get('convert'))} at -O3), moves it into the first call (Cython 3's "
            f"generated code) and copies it at each of the {recursion_depth() - 1} recursive "
            f"calls ({fmt_time(o0.get('copy'))} a copy at -O0, {fmt_time(o3.get('copy'))} at -O3)"
        )
        if o0.get("copy") and o3.get("copy") and o0["copy"] < 1.5 * o3["copy"]:
            text += (
                "; -O3 barely helps the copies: each is a fresh 400 KB allocation, bound by memory"
            )
        return text
    if r.stage == "reference":
        return (
            f"no copies left, only the conversion on every call: {fmt_time(o0.get('convert'))} "
            f"at -O0, {fmt_time(o3.get('convert'))} at -O3, against one Python search of "
            f"{fmt_time(python.per_loop_s if python else None)}"
        )
    if "search" not in o0:
        return "one conversion per benchmark call, then LOOPS searches"
    share = o0["fixed"] / (o0["fixed"] + o0["search"] * r.loops)
    return (
        f"one conversion per benchmark call ({fmt_time(o0['fixed'])} at -O0, "
        f"{fmt_time(o3.get('fixed'))} at -O3; {share:.0%} of this row at -O0), then a C++ "
        f"search costs {fmt_time(o0['search'])} at -O0, {fmt_time(o3.get('search'))} at -O3 "
        f"(the talk: ≈ 0.12 us) against Python's {fmt_time(python.per_loop_s if python else None)}"
        " (the talk: ≈ 3.0 us)"
    )


def difference_lines(run: TalkRun) -> list[str]:
    """One line per row of the talk's table: ours against the talk's, and why."""
    lines = []
    for r in measured_rows(run):
        python = run.time("python", r.loops)
        lines.append(
            f"{STAGE_TITLES[r.stage]}, {r.loops:,} loops: Python {fmt_time(python)} vs the "
            f"talk's {fmt_time(r.python_s)} (this CPU and CPython {run.python_version}); "
            f"Cython {_both(run, 'cython', r.loops)} (-O0 / -O3) vs {r.cython_ratio}; "
            f"C++ {_both(run, r.stage, r.loops)} vs {r.cpp_ratio}: {_cpp_reason(run, r)}."
        )
    return lines


def cython_line(run: TalkRun) -> str | None:
    """Why our Cython column sits where it does against Python, at each build."""
    ratios = {}
    for build in ("O0", "O3"):
        pairs = [
            (run.time("python", k), run.time(f"cython-{build}", k))
            for k in (10, 1000, 10000, 100000)
        ]
        logs = [math.log(p / c) for p, c in pairs if p and c]
        if logs:
            ratios[build] = math.exp(sum(logs) / len(logs))  # geometric mean of python / cython
    if len(ratios) < 2:
        return None
    o0 = fmt_ratio(1.0, 1.0 / ratios["O0"])
    o3 = fmt_ratio(1.0, 1.0 / ratios["O3"])
    return (
        f"Cython over its rows: {o0} than Python at -O0, {o3} at -O3 (the talk: about 1.5x "
        "faster at -O0). It works on the same Python ints as the interpreter, through Cython's "
        "helper functions, which -O0 leaves as calls instead of inlining them (even Py_DECREF "
        "and Py_SIZE: make talk-flamegraph COLUMN=cython-O0), while CPython "
        f"{run.python_version} specialises int arithmetic and comparisons in its own "
        "(optimised) interpreter loop."
    )


def aligned(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A plain-text table: columns padded to their widest cell, ' | ' between them."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    out = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("-+-".join("-" * w for w in widths))
    for row in rows:
        out.append(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return out


def markdown(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def render_text(run: TalkRun, header: list[str]) -> str:
    """What `peaje talk` prints."""
    lines = [*header, ""]
    lines.append("The talk's compare_to table (pyperf medians; ratio vs Python of the same row):")
    lines += aligned(HEADERS, compare_rows(run))
    lines += ["", "Crossover with Python (t = fixed + per loop x loops, fitted per column):"]
    lines += aligned(CROSSOVER_HEADERS, crossover_rows(run))
    lines += ["", "peaje's own native engine at the same loops (int64, -O3 Release):"]
    lines += aligned(PEAJE_HEADERS, peaje_rows(run))
    lines += ["", "What differs, row by row, and why:"]
    lines += [f"- {line}" for line in difference_lines(run)]
    if cython_line(run):
        lines.append(f"- {cython_line(run)}")
    lines += ["", *[f"Note: {n}" for n in BUILD_NOTES]]
    return "\n".join(lines)


def render_markdown(run: TalkRun, header: list[str]) -> str:
    lines = [*header, ""]
    lines += markdown(HEADERS, compare_rows(run))
    lines += ["", "Crossover with Python:", ""]
    lines += markdown(CROSSOVER_HEADERS, crossover_rows(run))
    lines += ["", "peaje's own native engine at the same loops:", ""]
    lines += markdown(PEAJE_HEADERS, peaje_rows(run))
    lines += ["", *[f"- {line}" for line in difference_lines(run)]]
    if cython_line(run):
        lines.append(f"- {cython_line(run)}")
    lines += ["", *[f"- {n}" for n in BUILD_NOTES]]
    return "\n".join(lines)

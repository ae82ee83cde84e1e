"""The talk's section of the toll report, from the same code as `peaje talk`: the same run
(peaje.talk.suite), the same table, crossovers, peaje's rows and notes, and the plot
(peaje.talk.plot, drawn by the report's figures as PLOT). The report calls `measure` while it
measures and `fill` with its own section object (anything with .text(str),
.table(header, rows) and .image(name, alt))."""

from __future__ import annotations

from pathlib import Path

from peaje.talk import table
from peaje.talk.results import TalkRun

PLOT = "talk_vs_ours"

# The report's profile -> the talk's: tiny stays tiny (the tests); the demo runs every row of
# the talk at one pyperf process; the full report at make talk's rigor.
REPORT_PROFILES = {"tiny": "tiny", "quick": "demo", "full": "quick"}


def measure(report_profile: str, raw_dir: Path) -> TalkRun:
    from peaje.talk.cli import run_suite

    return run_suite(REPORT_PROFILES.get(report_profile, "demo"), raw_dir / "talk", quiet=True)


def fill(section, run: TalkRun) -> None:
    section.text(
        "The seed talk (*SegmentationFault Fest*, PyConES 2022) row by row: its Python, Cython "
        "and C++ through Cython (by value, by reference, by pointer), built -O0 -g as the talk "
        "built them and -O3 (`bindings/talk/`), at the talk's loop counts; the talk's published "
        "figure first in each row, then ours. pyperf medians of one benchmark call (LOOPS "
        f"searches); {table.CLOCK_TEXT[run.clock]}; ratio against Python in the same row. "
        '`make talk` prints the same table; README, "The talk".'
    )
    section.table(table.HEADERS, table.compare_rows(run))
    section.text("Crossover with Python (t = fixed + per loop x loops, fitted per column):")
    section.table(table.CROSSOVER_HEADERS, table.crossover_rows(run))
    section.text(
        "peaje's own native engine beside them, at the same loop counts: the array kept native "
        "(resident, a SortedArray) or read in place (buffer, array('q')), int64, -O3 Release."
    )
    section.table(table.PEAJE_HEADERS, table.peaje_rows(run))
    section.image(PLOT, "the talk's numbers against ours: time per call vs loops, per column")
    lines = table.difference_lines(run)
    if table.cython_line(run):
        lines.append(table.cython_line(run))
    section.text("\n".join(f"- {line}" for line in [*lines, *table.BUILD_NOTES]))

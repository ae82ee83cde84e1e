"""The talk's run as typed results: pyperf medians per column and loop count, the fitted
t = fixed + per_loop x loops per column, and the crossover with Python (ours and the talk's)."""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyperf

from peaje.talk.columns import ALL_LOOPS
from peaje.talk.published import talk_time
from peaje.talk.suite import parse_name


@dataclass(frozen=True)
class Cell:
    column: str
    loops: int
    median_s: float
    stdev_s: float
    min_s: float  # the least-disturbed value: what the tests' wide ratios compare on a busy box
    values: int


@dataclass(frozen=True)
class Line:
    """t(loops) = fixed_s + per_loop_s x loops, fitted to a column's points (relative error)."""

    fixed_s: float
    per_loop_s: float

    @classmethod
    def fit(cls, points: dict[int, float]) -> Line:
        if len(points) == 1:  # one point (by value, by reference): every loop pays it all
            ((loops, t),) = points.items()
            return cls(0.0, t / loops)
        x = np.array(sorted(points), dtype=float)
        y = np.array([points[int(k)] for k in x])
        a = np.stack([np.ones_like(x), x], axis=1) / y[:, None]  # weighted by 1/t
        fixed, per = np.linalg.lstsq(a, np.ones_like(x), rcond=None)[0]
        if fixed < 0:  # no negative fixed cost: refit the slope alone
            fixed, per = 0.0, float(np.sum(x / y) / np.sum((x / y) ** 2))
        return cls(float(fixed), float(per))

    def crossover(self, python: Line) -> float | None:
        """Loops from which this line stays below Python's: 0.0 from the first, None if never
        (a column whose every loop costs more than a Python search falls behind for good)."""
        if self.per_loop_s >= python.per_loop_s:
            return None
        return max(0.0, (self.fixed_s - python.fixed_s) / (python.per_loop_s - self.per_loop_s))


@dataclass
class TalkRun:
    profile: str
    cells: dict[tuple[str, int], Cell]
    clock: str = "cpu"
    python_version: str = field(default_factory=platform.python_version)
    source: str = ""

    @classmethod
    def load(cls, path: Path, profile: str, clock: str = "cpu") -> TalkRun:
        suite = pyperf.BenchmarkSuite.load(str(path))
        cells = {}
        for bench in suite.get_benchmarks():
            clock = bench.get_metadata().get("talk_clock", clock)
            column, loops = parse_name(bench.get_name())
            values = bench.get_values()
            stdev = bench.stdev() if len(values) > 1 else 0.0
            cells[(column, loops)] = Cell(
                column, loops, bench.median(), stdev, min(values), len(values)
            )
        return cls(profile, cells, clock, source=str(path))

    def time(self, column: str, loops: int) -> float | None:
        cell = self.cells.get((column, loops))
        return cell.median_s if cell else None

    def points(self, column: str) -> dict[int, float]:
        return {k: c.median_s for (name, k), c in self.cells.items() if name == column}

    def line(self, column: str) -> Line | None:
        points = self.points(column)
        return Line.fit(points) if points else None

    def crossover(self, column: str) -> float | None:
        line, python = self.line(column), self.line("python")
        if line is None or python is None:
            return math.nan
        return line.crossover(python)

    def as_dict(self) -> dict:
        return {
            "profile": self.profile,
            "clock": self.clock,
            "python": self.python_version,
            "cells": [vars(c) for c in self.cells.values()],
        }

    @classmethod
    def from_dict(cls, doc: dict) -> TalkRun:
        cells = [Cell(**c) for c in doc["cells"]]
        return cls(
            doc["profile"],
            {(c.column, c.loops): c for c in cells},
            doc.get("clock", "cpu"),
            doc.get("python", platform.python_version()),
        )


def talk_points(column: str) -> dict[int, float]:
    """The talk's published series for a column kind (python, cython, value, ...)."""
    out = {k: talk_time(column, k) for k in ALL_LOOPS}
    return {k: t for k, t in out.items() if t is not None}


def talk_crossover(kind: str) -> float | None:
    return Line.fit(talk_points(kind)).crossover(Line.fit(talk_points("python")))

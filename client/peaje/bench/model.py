"""The cost model: per path, ``t = fixed + per_element * n_copied + per_search * searches``.

``n_copied`` counts the elements converted on each call (the whole list for copying paths,
plus the targets); ``searches = repeat * targets``. A binary search's cost grows with the
depth of the tree, so the fit uses ``searches * ceil(log2(n + 1))`` and reports
``per_search`` at the report's main size. The fit is a least-squares solve weighted by
1/t (numpy), so a 400 ns point counts as much as a 40 ms one: it minimises relative error;
a cost that fits below zero is dropped and the rest refitted (costs are not negative).
From the fits come the break-even points and the batching calculator.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from peaje.bench.paths import PYTHON, Case, Series


@dataclass(frozen=True)
class Fit:
    series: Series
    fixed_ns: float
    per_element_ns: float
    per_probe_ns: float
    points: int
    max_rel_error: float  # the worst |model - measured| / measured over the fitted points

    def per_search_ns(self, size: int) -> float:
        return self.per_probe_ns * depth(size)

    def predict_ns(self, case: Case) -> float:
        return (
            self.fixed_ns
            + self.per_element_ns * case.n_copied
            + self.per_probe_ns * case.searches * depth(case.size)
        )

    def as_dict(self, size: int) -> dict:
        """The JSON form (the report's results.json): the series by its label."""
        fields = {**asdict(self), "per_search_ns": self.per_search_ns(size)}
        return {**fields, "series": self.series.label, "path": self.series.label}

    @classmethod
    def from_dict(cls, series: Series, fields: dict) -> Fit:
        names = ("fixed_ns", "per_element_ns", "per_probe_ns", "points", "max_rel_error")
        return cls(series, *(fields[n] for n in names))


def depth(size: int) -> int:
    return max(1, math.ceil(math.log2(size + 1)))


def fit_path(series: Series, points: list[tuple[Case, float]]) -> Fit | None:
    """Least squares over one series' (case, seconds) points; None with fewer than 2 points."""
    if len(points) < 2:
        return None
    columns = {
        "fixed": np.ones(len(points)),
        "element": np.array([c.n_copied for c, _ in points], dtype=float),
        "probe": np.array([c.searches * depth(c.size) for c, _ in points], dtype=float),
    }
    # A regressor that does not vary is indistinguishable from `fixed`: leave it out (0).
    used = ["fixed"] + [k for k in ("element", "probe") if np.ptp(columns[k]) > 0]
    t = np.array([s * 1e9 for _, s in points])
    while True:  # costs are not negative: drop a regressor that fits below zero, refit
        a = np.column_stack([columns[k] for k in used]) / t[:, None]
        solution, *_ = np.linalg.lstsq(a, np.ones(len(points)), rcond=None)
        coef = dict(zip(used, solution, strict=True))
        negative = [k for k in used if coef[k] < 0]
        if not negative or len(used) == 1:
            break
        used.remove(min(negative, key=coef.get))
    fit = Fit(
        series=series,
        fixed_ns=max(0.0, float(coef.get("fixed", 0.0))),
        per_element_ns=float(coef.get("element", 0.0)),
        per_probe_ns=float(coef.get("probe", 0.0)),
        points=len(points),
        max_rel_error=0.0,
    )
    errors = [abs(fit.predict_ns(c) - s * 1e9) / (s * 1e9) for c, s in points]
    return replace(fit, max_rel_error=max(errors))


def fit_all(measured: dict[Case, float]) -> dict[Series, Fit]:
    """One fit per series over its search and batch cases (seconds per call)."""
    by_series: dict[Series, list[tuple[Case, float]]] = {}
    for case, seconds in measured.items():
        if case.kind in ("search", "batch"):
            by_series.setdefault(case.series, []).append((case, seconds))
    fits = {series: fit_path(series, points) for series, points in sorted(by_series.items())}
    return {series: fit for series, fit in fits.items() if fit is not None}


@dataclass(frozen=True)
class BreakEven:
    series: Series
    value: float | None  # None: never, in the model; <= 1: from the first call
    meaning: str

    def text(self) -> str:
        if self.value is None:
            return "never (its per-search cost is not below python's)"
        if self.value <= 1:
            return "from the first call (its fixed cost is already below python's)"
        return f"{self.value:,.0f}"


def repeat_break_even(fits: dict[Series, Fit], series: Series, size: int) -> BreakEven:
    """The repeat (one target, `size` values) from which `series` beats python, in the model."""
    py, fit = fits[PYTHON], fits[series]

    def fixed_and_slope(f: Fit) -> tuple[float, float]:
        slope = f.per_search_ns(size)
        return f.predict_ns(f.series.case("search", size)) - slope, slope

    (a_py, s_py), (a, s) = fixed_and_slope(py), fixed_and_slope(fit)
    meaning = f"repeat at which {series.label} beats python ({size:,} values, 1 target)"
    if a + s < a_py + s_py:  # already ahead at repeat=1
        return BreakEven(series, 1.0, meaning)
    if s >= s_py:
        return BreakEven(series, None, meaning)
    return BreakEven(series, (a - a_py) / (s_py - s), meaning)


def batch_break_even(fits: dict[Series, Fit], series: Series, size: int) -> BreakEven:
    """Targets per call (repeat 1) from which one `series` call beats python searching them."""
    py, fit = fits[PYTHON], fits[series]
    per_target = lambda f: f.per_element_ns + f.per_probe_ns * depth(size)  # noqa: E731
    gap = fit.fixed_ns - py.fixed_ns
    saving = per_target(py) - per_target(fit)
    meaning = f"targets per call at which one {series.label} call beats python in-process"
    if gap <= saving:
        return BreakEven(series, 1.0, meaning)
    if saving <= 0:
        return BreakEven(series, None, meaning)
    return BreakEven(series, gap / saving, meaning)


def measured_crossover(rows: dict[int, tuple[float, float]]) -> int | None:
    """From {repeat: (python_s, path_s)}: the smallest repeat from which the path always wins."""
    winning = None
    for repeat in sorted(rows, reverse=True):
        python_s, path_s = rows[repeat]
        if path_s < python_s:
            winning = repeat
        else:
            break
    return winning


def interpolated_crossover(rows: dict[int, tuple[float, float]]) -> float | None:
    """Where, in log-log between two measured repeats, the path's line meets python's."""
    repeats = sorted(rows)
    for lo, hi in zip(repeats, repeats[1:], strict=False):
        d_lo = math.log(rows[lo][1]) - math.log(rows[lo][0])
        d_hi = math.log(rows[hi][1]) - math.log(rows[hi][0])
        if d_lo >= 0 > d_hi:
            frac = d_lo / (d_lo - d_hi)
            return math.exp(math.log(lo) + frac * (math.log(hi) - math.log(lo)))
    return None


def hop_equivalents(hop_ns: float, fits: dict[Series, Fit], size: int) -> dict[str, float]:
    """The batching calculator: one hop costs as much as this many in-process searches."""
    out = {}
    native_resident = Series("native-resident")
    if PYTHON in fits:
        out["python searches"] = hop_ns / fits[PYTHON].per_search_ns(size)
    if native_resident in fits:
        resident = fits[native_resident]
        out["native-resident calls"] = hop_ns / resident.predict_ns(
            native_resident.case("search", size)
        )
        if resident.per_probe_ns > 0:
            out["native searches in one call"] = hop_ns / resident.per_search_ns(size)
    return out

"""The cost model on synthetic measurements: it recovers known constants, keeps costs
non-negative, and its break-even arithmetic matches the definition."""

from __future__ import annotations

import pytest

from peaje.bench import model
from peaje.bench.paths import PYTHON, Case, Series

SIZES = (1_000, 100_000, 1_000_000)
REPEATS = (1, 10, 100, 1000, 10000)


def synthetic(path: str, fixed: float, per_element: float, per_probe: float, via: str = "") -> dict:
    truth = model.Fit(Series(path, via), fixed, per_element, per_probe, 0, 0.0)
    cases = [Case("search", path, n, k, 1, via) for n in SIZES for k in REPEATS]
    cases += [Case("batch", path, 100_000, 1, b, via) for b in (10, 1000)]
    return {c: truth.predict_ns(c) / 1e9 for c in cases}


def test_fit_recovers_known_constants() -> None:
    measured = synthetic("native-copy", 500.0, 4.0, 1.2)
    fit = model.fit_all(measured)[Series("native-copy")]
    assert fit.fixed_ns == pytest.approx(500.0, rel=1e-6)
    assert fit.per_element_ns == pytest.approx(4.0, rel=1e-6)
    assert fit.per_probe_ns == pytest.approx(1.2, rel=1e-6)
    assert fit.max_rel_error < 1e-9


def test_costs_never_fit_below_zero() -> None:
    measured = synthetic("python", 400.0, 0.0, 170.0)
    # Noise that would pull an unconstrained fixed cost below zero.
    noisy = {c: t * (0.7 if c.searches == 1 else 1.0) for c, t in measured.items()}
    fit = model.fit_all(noisy)[PYTHON]
    assert fit.fixed_ns >= 0 and fit.per_element_ns >= 0 and fit.per_probe_ns >= 0


def test_repeat_break_even_is_where_the_lines_meet() -> None:
    fits = model.fit_all(
        {**synthetic("python", 300.0, 100.0, 170.0), **synthetic("native-copy", 300.0, 4.0, 1.0)}
    )
    copy_series = Series("native-copy")
    k = model.repeat_break_even(fits, copy_series, 100_000).value
    python = fits[PYTHON].predict_ns(Case("search", "python", 100_000, round(k)))
    copy = fits[copy_series].predict_ns(Case("search", "native-copy", 100_000, round(k)))
    assert copy == pytest.approx(python, rel=0.01)
    assert model.repeat_break_even(fits, PYTHON, 100_000).value is None


def test_break_even_of_a_remote_copying_path_counts_its_copy() -> None:
    # grpc-inline carries every value: at 100k values and 40 ns each, ~4 ms per call.
    fits = model.fit_all(
        {
            **synthetic("python", 300.0, 100.0, 170.0),
            **synthetic("grpc-inline", 150_000.0, 40.0, 1.0, via="tcp"),
        }
    )
    k = model.repeat_break_even(fits, Series("grpc-inline", "tcp"), 100_000).value
    expected = (150_000 + 40 * 100_001 - 300 - 100) / ((170 - 1) * 17)
    assert k == pytest.approx(expected, rel=0.01)


def test_measured_crossover_needs_every_larger_repeat_to_win() -> None:
    rows = {1: (1.0, 5.0), 10: (2.0, 1.0), 100: (3.0, 4.0), 1000: (10.0, 2.0)}
    assert model.measured_crossover(rows) == 1000
    assert model.interpolated_crossover({1: (1.0, 10.0), 100: (100.0, 10.0)}) == pytest.approx(10)


def test_coldstart_reads_every_path_as_the_registry_defines_it() -> None:
    from peaje.bench.coldstart import engine_and_mode
    from peaje.bench.paths import SEARCH_PATHS

    for path, spec in SEARCH_PATHS.items():
        assert engine_and_mode(path) == (spec.engine, spec.mode), path

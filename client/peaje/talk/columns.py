"""The talk's columns as calls: each takes LOOPS and runs the talk's benchmark function once
(one pyperf value = one such call, as the talk's `runner.bench_func` timed it).

Columns: python; cython, value, reference, pointer at each build (-O0, -O3); and peaje's own
native engine with the array kept native (resident) or read in place (buffer), for comparison.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from peaje.talk import binarysearch

BUILDS = ("O0", "O3")
ALL_LOOPS = (10, 1000, 10000, 100000)
CONVERTING_LOOPS = (10,)  # by value and by reference: the talk ran them at 10 loops only
EXPECTED_INDEX = binarysearch.TARGET  # SEARCH_LIST is range(100000): the index is the value


@dataclass(frozen=True)
class Column:
    name: str  # "python", "cython-O0", "pointer-O3", "peaje-resident", ...
    kind: str  # python | cython | value | reference | pointer | peaje
    build: str  # "O0", "O3", or "" (python; peaje's Release build)
    loops: tuple[int, ...]
    title: str


_FUNCTIONS = {
    "cython": "benchmark_cython_binary_search",
    "value": "benchmark_native_by_value",
    "reference": "benchmark_native_by_reference",
    "pointer": "benchmark_native_by_pointer",
}
_TITLES = {
    "cython": "Cython",
    "value": "C++ by value",
    "reference": "C++ by reference",
    "pointer": "C++ by pointer",
}


def all_columns() -> list[Column]:
    out = [Column("python", "python", "", ALL_LOOPS, "Python")]
    for kind in ("cython", "value", "reference", "pointer"):
        loops = CONVERTING_LOOPS if kind in ("value", "reference") else ALL_LOOPS
        for build in BUILDS:
            out.append(Column(f"{kind}-{build}", kind, build, loops, f"{_TITLES[kind]} -{build}"))
    out.append(Column("peaje-resident", "peaje", "", ALL_LOOPS, "peaje native resident"))
    out.append(Column("peaje-buffer", "peaje", "", ALL_LOOPS, "peaje native buffer"))
    return out


COLUMNS = {c.name: c for c in all_columns()}


def extension(build: str):
    """The talk's compiled module for a build ("O0" or "O3")."""
    return importlib.import_module(f"peaje.talk._binarysearch_{build}")


def call_of(column: Column, loops: int) -> Callable[[], object]:
    """A zero-argument call running `column`'s benchmark function at `loops` once."""
    if column.kind == "python":
        return lambda: binarysearch.benchmark_binary_search(loops)
    if column.kind == "peaje":
        from peaje.bench.paths import Case, Engines, prepare

        path = "native-resident" if column.name.endswith("resident") else "native-buffer"
        run = prepare(Case("search", path, len(binarysearch.SEARCH_LIST), loops), Engines())
        return lambda: run()[0]
    function = getattr(extension(column.build), _FUNCTIONS[column.kind])
    return lambda: function(loops)


def check(column: Column, loops: int) -> Callable[[], object]:
    """call_of, after checking that it finds the talk's target where it is."""
    call = call_of(column, loops)
    found = call()
    if found != EXPECTED_INDEX:
        raise AssertionError(f"{column.name} at {loops} loops found {found}, not {EXPECTED_INDEX}")
    return call

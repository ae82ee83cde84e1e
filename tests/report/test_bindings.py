"""peaje.bench.bindings, the "Which binding?" rows: every row on every binding, the goals read
off the rows (not printed from constants), and perf's report parsed into places."""

from __future__ import annotations

from peaje.bench import bindings
from peaje.inprocess import BINDINGS

PERF_REPORT = """\
# Overhead  Shared Object                Symbol
# ........  ...........................  ......
#
    61.50%  libpython3.11.so.1.0         [.] _PyEval_EvalFrameDefault
    17.00%  libpython3.11.so.1.0         [.] PyObject_Vectorcall
     7.60%  _nanobind.cpython-311-x86_64-linux-gnu.so  [.] 0x000000000001fdec
     2.00%  _nanobind.cpython-311-x86_64-linux-gnu.so  [.] 0x0000000000020000
     1.00%  libc.so.6                    [.] malloc
"""


def test_every_row_on_every_binding_and_the_goals_follow_the_rows():
    result = bindings.run(rounds=1, profile=False)
    assert set(result["rows"]) == set(BINDINGS)
    for name, rows in result["rows"].items():
        assert set(rows) == set(bindings.ROWS), name
        assert all(ns > 0 for ns in rows.values()), (name, rows)
    goals = {g["goal"]: g for g in result["goals"]}
    nanobind = goals["nanobind no-op / pybind11 no-op"]
    assert (
        nanobind["ratio"] == result["rows"]["nanobind"]["no-op"] / result["rows"]["native"]["no-op"]
    )
    assert nanobind["met"] == (nanobind["ratio"] <= 0.6)
    assert len(goals) == 2 + 1 + len(BINDINGS)  # two no-ops, the fastest find, each engine
    header, table = bindings.table_rows(result)
    assert header[1:4] == ["pybind11", "nanobind", "Cython"] and len(table) == len(bindings.ROWS)
    assert all(sum("**" in cell for cell in row[1:4]) == 1 for row in table)  # one fastest
    assert "Goals (one run):" in bindings.render(result)


def test_perf_report_is_grouped_by_place():
    shares = bindings.group_shares(PERF_REPORT, "_nanobind")
    assert shares["_nanobind (the binding's own code)"] == 9.6
    assert shares["CPython _PyEval_EvalFrameDefault"] == 61.5
    assert shares["C/C++ runtime (malloc, free, TLS)"] == 1.0
    assert bindings.share(shares, "CPython") == 78.5

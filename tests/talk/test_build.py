"""The talk's modules are built by the normal build, at the flags the talk built them with, and
compute what the talk computed (with the one out-of-bounds fix)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from peaje.talk import binarysearch
from peaje.talk.cli import compile_flags
from peaje.talk.columns import COLUMNS, EXPECTED_INDEX, call_of, extension

MODULES = ("_binarysearch_O0", "_binarysearch_O3", "_bytesdict_first", "_bytesdict_fixed")


@pytest.mark.parametrize("name", [*MODULES, "_bytesdict_final"])
def test_module_is_built_and_installed(name):
    module = importlib.import_module(f"peaje.talk.{name}")
    assert module.__file__.endswith(".so")


@pytest.mark.parametrize(("build", "opt"), [("O0", "-O0"), ("O3", "-O3")])
def test_each_build_carries_its_flags_in_its_debug_info(build, opt):
    flags = compile_flags(build).split()
    levels = [f for f in flags if f.startswith("-O")]
    assert levels and levels[-1] == opt, flags  # the last -O is the one that counts
    assert "-g" in flags  # symbols for gdb and py-spy


@pytest.mark.parametrize("column", [c for c in COLUMNS if c != "python"])
def test_every_column_finds_the_talks_target(column):
    assert call_of(COLUMNS[column], 10)() == EXPECTED_INDEX


@pytest.mark.parametrize("build", ["O0", "O3"])
def test_both_builds_share_the_talks_list(build):
    module = extension(build)
    assert module.SEARCH_LIST == binarysearch.SEARCH_LIST
    assert module.TARGET == 66666


def test_python_column_stays_in_bounds_above_the_maximum():
    # The talk passed high = len(list): a target above the maximum indexed l[len(l)].
    values = binarysearch.SEARCH_LIST
    assert binarysearch.binary_search(values, len(values) + 5, 0, len(values) - 1) == -1
    with pytest.raises(IndexError):  # the talk's bound, to show what was fixed
        binarysearch.binary_search(values, len(values) + 5, 0, len(values))


def test_recursion_depth_matches_the_search():
    calls = 0
    original = binarysearch.binary_search

    def counting(*args):
        nonlocal calls
        calls += 1
        return original(*args)

    binarysearch.binary_search = counting
    try:
        assert counting(binarysearch.SEARCH_LIST, 66666, 0, 99999) == 66666
    finally:
        binarysearch.binary_search = original
    assert calls == binarysearch.recursion_depth()


def test_no_api_server_or_engine_code_imports_the_talk():
    # The talk's modules are a subject of study: loading the API and every engine leaves them out.
    code = (
        "import sys, peaje, peaje.api.app\n"
        "for name in ('python', 'native'):\n"
        "    peaje.engine(name).search([1, 2, 3], [2])\n"
        "print(sorted(m for m in sys.modules if m.startswith('peaje.talk')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

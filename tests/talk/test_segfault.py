"""The talk's BytesDict stages, each in a child process: the first ends by a signal or returns
garbage, the slides' fix returns a wrong dict, and peaje's to_bytes_dict the correct one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from peaje.talk.segfault import INPUTS, correct, describe, gdb_backtrace, run_command, run_demo

# A child that surely dies by SIGSEGV: the crash-reporting path, whatever the talk's stage did.
CRASHING = [sys.executable, "-X", "faulthandler", "-c", "import ctypes; ctypes.string_at(8)"]


@pytest.fixture(scope="module")
def demo():
    return run_demo()


def test_first_stage_crashes_or_returns_a_wrong_dict(demo):
    first = demo.child("first", "talk")
    if first.signal:
        assert "Fatal Python error" in first.trace  # faulthandler's report
        assert first.gdb  # the backtrace, or why there is none
    else:
        assert first.returncode == 0 and first.result != correct(INPUTS["talk"])


def test_the_slides_fix_returns_a_wrong_dict(demo):
    fixed = demo.child("fixed", "talk")
    assert fixed.returncode == 0
    assert fixed.result != correct(INPUTS["talk"])


def test_the_talks_final_code_cuts_bytes_at_the_first_nul(demo):
    assert demo.child("final", "talk").result == correct(INPUTS["talk"])
    got = demo.child("final", "nul").result
    assert got is not None and got[b"nul"] == b"before"


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_peaje_returns_the_correct_dict(demo, name):
    assert demo.peaje[name] == correct(INPUTS[name])


def test_correct_is_the_contracts_answer():
    assert correct(INPUTS["talk"]) == {
        b"barba": b"coa",
        b"aaa": b"value_aaa",
        b"bbb": b"value_bbb",
        b"ccc": b"value_ccc",
    }


def test_the_command_exits_0_and_explains_each_bug():
    done = subprocess.run(
        [sys.executable, "-m", "peaje", "talk", "segfault", "--no-gdb"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for bug in ("uninitialised pointer", "freed temporaries", "first NUL"):
        assert bug in done.stdout
    assert "equal to the correct dict" in done.stdout


def test_a_crashed_child_is_reported_with_its_signal_trace_and_backtrace():
    child = run_command("first", "talk", CRASHING)
    assert child.signal == "SIGSEGV" and child.result is None
    assert "Fatal Python error: Segmentation fault" in child.trace
    child.gdb = gdb_backtrace(CRASHING)
    assert "received signal SIGSEGV" in child.gdb and "#0 " in child.gdb
    text = "\n".join(describe(child))
    assert "killed by SIGSEGV" in text and "gdb -batch" in text

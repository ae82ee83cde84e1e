"""Local work is bounded like remote work: every in-process engine (and the python engine) takes
timeout=, stops soon after it passes with peaje.DeadlineExceeded, and a long call lets other
Python threads run, in every data mode (lazy mode too, which must hold the GIL to probe)."""

from __future__ import annotations

import array
import threading
import time

import pytest

import peaje
from peaje.inprocess import BINDINGS

LOCAL = ["python", *BINDINGS]
VALUES = list(range(100_000))
# About a billion searches' worth of work: minutes on any engine, were it not stopped.
TARGETS = list(range(0, 100_000, 100))  # 1000 targets
REPEAT = 1_000_000


def values_for(mode: str | None, engine) -> object:
    if mode == "buffer":
        return array.array("q", VALUES)
    if mode == "resident":
        return "range:100000"
    return VALUES


def cases():
    for name in LOCAL:
        modes = (None,) if name == "python" else ("copy", "lazy", "buffer", "resident")
        for mode in modes:
            yield pytest.param(name, mode, id=f"{name}-{mode or 'default'}")


@pytest.mark.parametrize(("name", "mode"), list(cases()))
def test_a_call_past_its_timeout_stops_with_deadline_exceeded(name, mode):
    with peaje.engine(name) as engine:
        values = values_for(mode, engine)
        assert engine.search(values, [5], mode=mode, timeout=5) == [5]  # a deadline not hit
        start = time.monotonic()
        with pytest.raises(peaje.DeadlineExceeded):
            engine.search(values, TARGETS, mode=mode, repeat=REPEAT, timeout=0.05)
        assert time.monotonic() - start < 2.0  # stopped, not run to the end


@pytest.mark.parametrize("name", LOCAL)
def test_the_engine_timeout_applies_and_a_call_may_override_it(name):
    with peaje.engine(name, timeout=0.05) as engine:
        with pytest.raises(peaje.DeadlineExceeded):
            engine.search(VALUES, TARGETS, repeat=REPEAT)
        assert engine.search(VALUES, [7], timeout=None) == [7]


@pytest.mark.parametrize("name", LOCAL)
def test_to_bytes_dict_has_a_deadline_too(name):
    with peaje.engine(name) as engine:
        entries = ((str(i), b"v") for i in range(10_000_000))
        with pytest.raises(peaje.DeadlineExceeded):
            engine.to_bytes_dict(entries, "strict", timeout=0.02)


@pytest.mark.parametrize("timeout", [-1, float("nan"), "1", True, [1]], ids=repr)
@pytest.mark.parametrize("name", LOCAL)
def test_a_bad_timeout_is_invalid_argument(name, timeout):
    with peaje.engine(name) as engine:
        with pytest.raises(peaje.InvalidArgument):
            engine.search(VALUES, [1], timeout=timeout)


@pytest.mark.parametrize("mode", ["lazy", "copy", "buffer", "resident"])
@pytest.mark.parametrize("name", list(BINDINGS))
def test_other_threads_run_while_a_long_call_runs(name, mode):
    """The API's /healthz is another thread's Python code: it must get the GIL."""
    ticks = 0
    done = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    with peaje.engine(name) as engine:
        values = values_for(mode, engine)
        engine.search(values, [1], mode=mode)  # a resident dataset is built before timing
        ticker = threading.Thread(target=tick)
        ticker.start()
        try:
            with pytest.raises(peaje.DeadlineExceeded):
                engine.search(values, TARGETS, mode=mode, repeat=REPEAT, timeout=0.5)
        finally:
            done.set()
            ticker.join()
    assert ticks >= 20, f"the other thread ran {ticks} times in 0.5 s"

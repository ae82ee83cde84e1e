"""What only the in-process face has: buffers, SortedArray, the GIL, hostile sequences; on every
in-process engine (native, nanobind, cython: peaje.inprocess)."""

from __future__ import annotations

import array
import ctypes
import threading
import time

import numpy as np
import pytest

import peaje
from peaje.inprocess import BINDINGS


@pytest.fixture(params=list(BINDINGS), scope="module")
def native(request):
    with peaje.engine(request.param) as engine:
        yield engine


@pytest.mark.parametrize(
    "buffer",
    [
        array.array("q", [1, 3, 5, 7]),
        np.array([1, 3, 5, 7], dtype=np.int64),
        memoryview(array.array("q", [1, 3, 5, 7])),
        np.array([1, 0, 3, 0, 5, 0, 7, 0], dtype=np.int64)[::2],  # strided: still zero-copy
        np.array([7, 5, 3, 1], dtype=np.int64)[::-1],  # negative stride
        "sorted-array",  # the engine's own SortedArray([1, 3, 5, 7])
    ],
    ids=["array", "numpy", "memoryview", "strided", "reversed", "sorted-array"],
)
def test_buffer_mode_reads_int64_buffers_in_place(native, buffer):
    if isinstance(buffer, str):
        buffer = native.SortedArray([1, 3, 5, 7])
    assert native.search(buffer, [5, 1, 7, 4], mode="buffer") == [2, 0, 3, -1]


@pytest.mark.parametrize(
    "buffer",
    [
        array.array("i", [1, 2, 3]),
        array.array("Q", [1, 2, 3]),
        array.array("d", [1.0, 2.0]),
        np.array([1, 2, 3], dtype=np.float64),
        np.array([1, 2, 3], dtype=np.uint64),
        np.zeros((2, 2), dtype=np.int64),
        b"\x00" * 16,
        [1, 2, 3],
        "range:10",
    ],
    ids=["int32", "uint64", "double", "np-float", "np-uint64", "2d", "bytes", "list", "spec"],
)
def test_buffer_mode_refuses_what_is_not_int64(native, buffer):
    with pytest.raises(peaje.InvalidArgument):
        native.search(buffer, [1], mode="buffer")


def test_buffer_stays_alive_and_unresizable_during_the_call(native):
    values = array.array("q", range(1000))
    assert native.search(values, [999], mode="buffer", repeat=10) == [999]
    values.append(1000)  # the export was released when the call returned
    assert native.search(values, [1000], mode="buffer") == [1000]


def test_sorted_array_is_a_sequence_and_a_buffer(native):
    values = native.SortedArray([1, 2, 2, 9])
    assert len(values) == 4 and values[0] == 1 and values[-1] == 9
    assert values.nbytes == 32
    assert memoryview(values).readonly and memoryview(values).format in ("q", "l")
    with pytest.raises(IndexError):
        values[4]
    assert values.search([2, 9, 3]) == [1, 3, -1]
    assert native.SortedArray("range:10:5").search([45]) == [9]
    assert peaje.engine("python").search(values, [9]) == [3]


def test_sorted_array_validates_once_at_build(native):
    with pytest.raises(peaje.InvalidArgument, match=r"values\[2\]"):
        native.SortedArray([1, 2, 0])


def test_spec_in_a_copy_mode_says_to_use_resident(native):
    with pytest.raises(peaje.InvalidArgument, match="resident"):
        native.search("range:10", [1], mode="copy")


def test_unknown_mode_is_invalid_argument(native):
    with pytest.raises(peaje.InvalidArgument, match="mode"):
        native.search([1], [1], mode="fast")


class ShrinkingInt:
    """An __index__ that empties the list being searched: the lazy probe must not over-read."""

    def __init__(self, victim: list, value: int) -> None:
        self.victim, self.value = victim, value

    def __index__(self) -> int:
        self.victim.clear()
        return self.value


def test_lazy_mode_survives_a_list_mutated_by_index(native):
    values: list = list(range(100))
    values[50] = ShrinkingInt(values, 50)
    with pytest.raises(peaje.InvalidArgument, match="changed size"):
        native.search(values, [10], mode="lazy")


def test_copy_mode_survives_a_list_mutated_during_conversion(native):
    values: list = list(range(100))
    values[3] = ShrinkingInt(values, 3)
    assert native.search(values, [2], mode="copy") == [2]  # converted items only, no over-read


def test_large_native_batches_release_the_gil(native):
    values = native.SortedArray("range:1000000")
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        started = time.perf_counter()
        values.search(list(range(0, 1000000, 7)), repeat=200)  # well over 0.1 s of searching
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
    during = [t for t in ticks if started <= t <= started + elapsed]
    # With the GIL held the ticker could not run at all during the search.
    assert elapsed > 0.1, f"the search took only {elapsed:.3f}s: too short to tell"
    assert len(during) >= 5


def test_noop_crossing(native):
    assert native.noop() is None
    assert native.noop is native.module.noop  # the binding's own compiled no-op, no wrapper


class Index:
    """An int-like object (numpy scalars and friends): converted through __index__."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_find_is_the_scalar_leftmost_search(native):
    values = native.SortedArray([1, 2, 2, 9])
    assert [values.find(t) for t in (1, 2, 9, 0, 3, 10)] == [0, 1, 3, -1, -1, -1]
    assert values.find(Index(9)) == 3 and values.find(np.int64(2)) == 1
    assert native.SortedArray([]).find(0) == -1
    for bad in (True, 2**63, -(2**63) - 1, 1.0, "1", None):
        with pytest.raises(peaje.InvalidArgument):
            values.find(bad)


def test_sorted_array_buffer_is_read_only(native):
    values = native.SortedArray([1, 2, 3])
    view = memoryview(values)
    assert view.tolist() == [1, 2, 3] and view.c_contiguous and view.strides == (8,)
    assert np.frombuffer(values, dtype=np.int64).tolist() == [1, 2, 3]
    assert view.readonly
    with pytest.raises((BufferError, TypeError)):  # a writable export is refused
        ctypes.c_int64.from_buffer(values)
    view.release()


def test_engine_search_is_the_compiled_method(native):
    """No Python frame between the caller and the crossing: the engine's search is the bound
    method of its module's compiled Engine, and it dispatches every mode itself."""
    assert type(native.search.__self__) is native.module.Engine
    values = [1, 3, 5]
    assert native.search(values, [3]) == native.search(values, [3], mode="copy") == [1]
    assert native.search(array.array("q", values), [5]) == [2]  # a buffer: buffer mode
    assert native.search(native.SortedArray(values), [1]) == [0]  # resident
    assert native.search("range:10", [4]) == [4] and native.resident("range:10") is not None


def test_a_deadline_stops_the_work(native):
    values = native.SortedArray("range:1000000")
    targets = list(range(0, 1000000, 7))
    for call in (
        lambda: values.search(targets, 1000, timeout=0.05),
        lambda: native.search(values, targets, repeat=1000, timeout=0.05),
        lambda: native.search(
            list(range(100000)), targets[:1000], mode="lazy", repeat=10**5, timeout=0.05
        ),
    ):
        started = time.perf_counter()
        with pytest.raises(peaje.DeadlineExceeded):
            call()
        assert time.perf_counter() - started < 5  # stopped near the deadline, not at the end
    with pytest.raises(peaje.DeadlineExceeded):
        peaje.engine(native.name, timeout=0.05).search(values, targets, repeat=1000)
    with pytest.raises(peaje.InvalidArgument, match="timeout"):
        native.search(values, [1], timeout="soon")

"""What only the in-process face has: buffers, SortedArray, the GIL, hostile sequences."""

from __future__ import annotations

import array
import threading
import time

import numpy as np
import pytest

import peaje
from peaje import _native
from peaje.native import SortedArray

native = peaje.engine("native")


@pytest.mark.parametrize(
    "buffer",
    [
        array.array("q", [1, 3, 5, 7]),
        np.array([1, 3, 5, 7], dtype=np.int64),
        memoryview(array.array("q", [1, 3, 5, 7])),
        np.array([1, 0, 3, 0, 5, 0, 7, 0], dtype=np.int64)[::2],  # strided: still zero-copy
        np.array([7, 5, 3, 1], dtype=np.int64)[::-1],  # negative stride
        SortedArray([1, 3, 5, 7]),
    ],
    ids=["array", "numpy", "memoryview", "strided", "reversed", "sorted-array"],
)
def test_buffer_mode_reads_int64_buffers_in_place(buffer):
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
def test_buffer_mode_refuses_what_is_not_int64(buffer):
    with pytest.raises(peaje.InvalidArgument):
        native.search(buffer, [1], mode="buffer")


def test_buffer_stays_alive_and_unresizable_during_the_call():
    values = array.array("q", range(1000))
    assert native.search(values, [999], mode="buffer", repeat=10) == [999]
    values.append(1000)  # the export was released when the call returned
    assert native.search(values, [1000], mode="buffer") == [1000]


def test_sorted_array_is_a_sequence_and_a_buffer():
    values = SortedArray([1, 2, 2, 9])
    assert len(values) == 4 and values[0] == 1 and values[-1] == 9
    assert values.nbytes == 32
    assert memoryview(values).readonly and memoryview(values).format in ("q", "l")
    with pytest.raises(IndexError):
        values[4]
    assert values.search([2, 9, 3]) == [1, 3, -1]
    assert SortedArray("range:10:5").search([45]) == [9]
    assert peaje.engine("python").search(values, [9]) == [3]


def test_sorted_array_validates_once_at_build():
    with pytest.raises(peaje.InvalidArgument, match=r"values\[2\]"):
        SortedArray([1, 2, 0])


def test_spec_in_a_copy_mode_says_to_use_resident():
    with pytest.raises(peaje.InvalidArgument, match="resident"):
        native.search("range:10", [1], mode="copy")


def test_unknown_mode_is_invalid_argument():
    with pytest.raises(peaje.InvalidArgument, match="mode"):
        native.search([1], [1], mode="fast")


class ShrinkingInt:
    """An __index__ that empties the list being searched: the lazy probe must not over-read."""

    def __init__(self, victim: list, value: int) -> None:
        self.victim, self.value = victim, value

    def __index__(self) -> int:
        self.victim.clear()
        return self.value


def test_lazy_mode_survives_a_list_mutated_by_index():
    values: list = list(range(100))
    values[50] = ShrinkingInt(values, 50)
    with pytest.raises(peaje.InvalidArgument, match="changed size"):
        native.search(values, [10], mode="lazy")


def test_copy_mode_survives_a_list_mutated_during_conversion():
    values: list = list(range(100))
    values[3] = ShrinkingInt(values, 3)
    assert native.search(values, [2], mode="copy") == [2]  # converted items only, no over-read


def test_large_native_batches_release_the_gil():
    values = SortedArray("range:1000000")
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


def test_noop_crossing():
    assert _native.noop() is None

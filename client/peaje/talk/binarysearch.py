"""The talk's Python column: its recursive binary search over SEARCH_LIST, LOOPS times.

As the talk wrote it, except high = len(list) - 1 (the talk passed len(list), one past the end:
a target above the maximum read out of range) and the benchmark returns the last index found.
"""

from __future__ import annotations

SEARCH_LIST = [i for i in range(100000)]
TARGET = 66666


def binary_search(l: list[int], value: int, low: int, high: int) -> int:  # noqa: E741
    if high >= low:
        mid = (high + low) // 2
        if l[mid] == value:
            return mid
        elif l[mid] > value:
            return binary_search(l, value, low, mid - 1)
        else:
            return binary_search(l, value, mid + 1, high)
    else:
        return -1


def benchmark_binary_search(loops: int = 10) -> int:
    found = -1
    high = len(SEARCH_LIST) - 1
    for _ in range(0, loops):
        found = binary_search(SEARCH_LIST, TARGET, 0, high)
    return found


def recursion_depth(size: int = len(SEARCH_LIST), value: int = TARGET) -> int:
    """Calls the talk's search makes for `value` in range(size): the by-value copies per search."""
    low, high, calls = 0, size - 1, 0
    while high >= low:
        calls += 1
        mid = (high + low) // 2
        if mid == value:
            return calls
        low, high = (low, mid - 1) if mid > value else (mid + 1, high)
    return calls + 1

# cython: language_level=3
"""The talk's binary search in Cython, and its C++ called from Cython (`cdef extern`), with the
loop in Cython as the talk had it. Compiled twice: -O0 -g (as the talk built it) and -O3.

One change from the talk: it passed high = len(list), one past the end, so a target above the
maximum read out of bounds; here high = len(list) - 1. The benchmark functions also return the
last index found (the talk's returned nothing), so their answer can be checked.
"""

from libcpp.vector cimport vector

cdef extern from "binarysearch.hpp" namespace "talk":
    int binsearch_by_value(vector[int] my_list, int value, int low, int high)
    int binsearch_by_reference(vector[int]& my_list, int value, int low, int high)
    int binsearch_by_pointer(vector[int]* my_list, int value, int low, int high)

SEARCH_LIST = [i for i in range(100000)]
TARGET = 66666


cdef int cython_binary_search(l: list, value: int, low: int, high: int):
    if high >= low:
        mid = (high + low) // 2
        if l[mid] == value:
            return mid
        elif l[mid] > value:
            return cython_binary_search(l, value, low, mid - 1)
        else:
            return cython_binary_search(l, value, mid + 1, high)
    else:
        return -1


cpdef int benchmark_cython_binary_search(loops: int = 10):
    cdef int found = -1
    cdef int high = len(SEARCH_LIST) - 1
    for i in range(0, loops):
        found = cython_binary_search(SEARCH_LIST, TARGET, 0, high)
    return found


cpdef int benchmark_native_by_value(loops=10):
    # SEARCH_LIST -> vector<int> on every call, then copied at every recursion level.
    cdef int found = -1
    cdef int high = len(SEARCH_LIST) - 1
    for i in range(0, loops):
        found = binsearch_by_value(SEARCH_LIST, TARGET, 0, high)
    return found


cpdef int benchmark_native_by_reference(loops=10):
    # SEARCH_LIST -> vector<int> on every call; the recursion shares it.
    cdef int found = -1
    cdef int high = len(SEARCH_LIST) - 1
    for i in range(0, loops):
        found = binsearch_by_reference(SEARCH_LIST, TARGET, 0, high)
    return found


cpdef int benchmark_native_by_pointer(loops=10):
    # SEARCH_LIST -> vector<int> once per benchmark call, then LOOPS searches on the pointer.
    cdef int found = -1
    cdef int high = len(SEARCH_LIST) - 1
    cdef vector[int] my_list = SEARCH_LIST
    for i in range(0, loops):
        found = binsearch_by_pointer(&my_list, TARGET, 0, high)
    return found

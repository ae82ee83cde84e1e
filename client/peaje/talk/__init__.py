"""The talk peaje starts from, *SegmentationFault Fest* (PyConES 2022), reproduced row by row:
its binary search in Python, Cython and C++ (three signatures, -O0 -g and -O3), and its
BytesDict segfault. A subject of study: the API, the server and the engines never import it.

    peaje talk                 # the talk's compare_to table beside ours (make talk)
    peaje talk segfault        # the BytesDict crash and wrong dict, in child processes
    peaje talk flamegraph COLUMN
"""

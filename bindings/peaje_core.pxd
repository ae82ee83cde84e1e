# The core's headers, declared for Cython: the Cython module calls the core, never re-writes it.
from libc.stdint cimport int64_t

cdef extern from "peaje/limits.hpp" namespace "peaje::limits" nogil:
    const int64_t kMaxDatasetSize

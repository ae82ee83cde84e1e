# cython: language_level=3, boundscheck=False, wraparound=False
# peaje._cython: the in-process face through Cython.
from peaje_core cimport kMaxDatasetSize

def noop():
    """A call that does nothing: the bare cost of crossing into C++."""

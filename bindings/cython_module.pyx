# cython: language_level=3, boundscheck=False, wraparound=False, embedsignature=True
# distutils: language = c++
# peaje._cython: the in-process face through Cython. A thin wrapper, as peaje._native is: the
# conversion of Python objects lives in bindings/crossing (declared in peaje_core.pxd), the
# engine's dispatch in bindings/face, the algorithms in core/.
from cpython.object cimport PyObject
from libc.stdint cimport int64_t

cimport peaje_core as core
from peaje_core cimport Deadline, Resident, SortedArray as CoreSortedArray


def search_copy(values, targets, repeat=1, timeout=None):
    """Convert values to a native array (validated), then search. The talk's path."""
    return core.search_copy(values, targets, repeat, core.deadline_from(timeout))


def search_lazy(values, targets, repeat=1, timeout=None):
    """Search by probing only O(log n) items of the sequence; order is trusted."""
    return core.search_lazy(values, targets, repeat, core.deadline_from(timeout))


def search_buffer(values, targets, repeat=1, timeout=None):
    """Zero-copy search over an int64 buffer; order is trusted."""
    return core.search_buffer(values, targets, repeat, core.deadline_from(timeout))


def to_bytes_dict(mapping, errors="strict", timeout=None):
    """Encode str/bytes-like keys and values into a dict[bytes, bytes]."""
    return core.to_bytes_dict(mapping, errors, core.deadline_from(timeout))


def check_sorted_values(values):
    """Raise InvalidArgument unless values are ascending int64."""
    core.check_sorted_values(values)


def noop():
    """A call that does nothing: the bare cost of crossing into C++."""


cdef class SortedArray:
    """An ascending int64 array owned by the native side."""

    cdef CoreSortedArray array

    def __init__(self, values):
        """Build from a sequence of int (validated once) or a dataset spec like 'range:N'."""
        self.array = core.sorted_array(values)

    @staticmethod
    def from_spec(spec):
        cdef SortedArray out = SortedArray.__new__(SortedArray)
        out.array = core.sorted_array_from_spec(spec)
        return out

    def search(self, targets, repeat=1, timeout=None):
        if timeout is None:
            return core.search_resident(self.array, targets, repeat, Deadline())
        return core.search_resident(self.array, targets, repeat, core.deadline_from(timeout))

    def search_packed(self, request, repeat=1, timeout=None):
        """Search the targets of a peaje.v1.SearchRequest's wire bytes; the answer is a
        peaje.v1.SearchResponse's wire bytes."""
        if timeout is None:
            return core.search_packed(self.array, request, repeat, Deadline())
        return core.search_packed(self.array, request, repeat, core.deadline_from(timeout))

    def find(self, target):
        """Index of the leftmost target, or -1."""
        return core.find(self.array, target)

    def __len__(self):
        return self.array.size()

    def __getitem__(self, Py_ssize_t i):
        cdef Py_ssize_t n = <Py_ssize_t>self.array.size()
        if i < 0:
            i += n
        if i < 0 or i >= n:
            raise IndexError("SortedArray index out of range")
        return self.array.data()[i]

    @property
    def nbytes(self):
        return self.array.nbytes()

    def __repr__(self):
        return f"SortedArray(len={self.array.size()})"

    def __getbuffer__(self, Py_buffer* view, int flags):
        core.get_buffer(self, self.array, view, flags)

    def __releasebuffer__(self, Py_buffer* view):
        core.release_buffer(view)


cdef const CoreSortedArray* unwrap(PyObject* obj) noexcept:
    if isinstance(<object>obj, SortedArray):
        return &(<SortedArray>obj).array
    return NULL


cdef class Engine:
    """An engine's compiled face: search dispatches its data mode in C++ (bindings/face), so the
    engine adds no Python frame to the crossing it measures."""

    takes_timeout = True  # every search and to_bytes_dict takes timeout=

    cdef object datasets  # spec -> SortedArray, the process's resident cache for this binding
    cdef object timeout  # the engine's deadline for a call that names none

    def __init__(self, datasets, timeout=None):
        self.datasets = datasets
        self.timeout = timeout

    def search(self, values, targets, *, mode=None, repeat=1, timeout=None):
        cdef Resident resident
        resident.unwrap = unwrap
        resident.datasets = <PyObject*>self.datasets
        return core.search(values, targets, mode, repeat,
                           self.timeout if timeout is None else timeout, resident)

    def to_bytes_dict(self, mapping, errors="strict", timeout=None):
        return core.to_bytes_dict(mapping, errors,
                                  core.deadline_from(self.timeout if timeout is None else timeout))


class limits:
    """Size caps shared by every face."""

    MAX_DATASET_SIZE = core.kMaxDatasetSize
    MAX_TARGETS = core.kMaxTargets
    MAX_REPEAT = core.kMaxRepeat
    MAX_SEARCHES_PER_CALL = core.kMaxSearchesPerCall
    SEARCHES_PER_SLICE = core.kSearchesPerSlice

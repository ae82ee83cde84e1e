# The core's and the crossing's headers, declared for Cython: the Cython module converts and
# calls through them, never re-writing a rule or an algorithm. Errors: every C++ exception is
# mapped in one place, crossing's raise_python_error (`except +raise_python_error`).
from libc.stdint cimport int64_t
from libcpp cimport bool as cbool
from cpython.object cimport PyObject

cdef extern from "peaje/limits.hpp" namespace "peaje::limits" nogil:
    const int64_t kMaxDatasetSize
    const int64_t kMaxTargets
    const int64_t kMaxRepeat
    const int64_t kMaxSearchesPerCall

cdef extern from "peaje/deadline.hpp" namespace "peaje" nogil:
    cdef cppclass Deadline:
        Deadline()
    const int64_t kSearchesPerSlice

cdef extern from "peaje/sorted_array.hpp" namespace "peaje" nogil:
    cdef cppclass SortedArray:
        SortedArray()
        size_t size()
        size_t nbytes()
        const int64_t* data "values().data"()

cdef extern from "crossing/crossing.hpp" namespace "peaje::crossing":
    void raise_python_error()
    Deadline deadline_from(object timeout) except +raise_python_error
    object search_copy(object values, object targets, object repeat,
                       const Deadline& deadline) except +raise_python_error
    object search_lazy(object values, object targets, object repeat,
                       const Deadline& deadline) except +raise_python_error
    object search_buffer(object values, object targets, object repeat,
                         const Deadline& deadline) except +raise_python_error
    object search_resident(const SortedArray& array, object targets, object repeat,
                           const Deadline& deadline) except +raise_python_error
    object search_packed(const SortedArray& array, object request, object repeat,
                         const Deadline& deadline) except +raise_python_error
    SortedArray sorted_array(object values) except +raise_python_error
    SortedArray sorted_array_from_spec(object spec) except +raise_python_error
    void check_sorted_values(object values) except +raise_python_error
    object to_bytes_dict(object mapping, object errors,
                         const Deadline& deadline) except +raise_python_error

cdef extern from "face/engine_face.hpp" namespace "peaje::face":
    ctypedef const SortedArray* (*UnwrapSortedArray)(PyObject* obj) noexcept
    cdef struct Resident:
        UnwrapSortedArray unwrap
        PyObject* datasets
    object search(object values, object targets, object mode, object repeat, object timeout,
                  const Resident& resident) except +raise_python_error
    int64_t find(const SortedArray& array, object target) except +raise_python_error
    int get_buffer(object owner, const SortedArray& array, Py_buffer* view, int flags) except -1
    void release_buffer(Py_buffer* view) noexcept

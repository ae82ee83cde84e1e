// The common face of peaje's in-process engines, shared by every binding module (pybind11,
// nanobind, Cython) on top of the crossing (../crossing): which data mode a call runs, the scalar
// SortedArray.find, and SortedArray's buffer export. CPython C API and core/ only.
// Same contract as crossing.hpp: GIL held, borrowed arguments, failures thrown.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>

#include "peaje/sorted_array.hpp"

namespace peaje::face {

enum class DataMode { kCopy, kLazy, kBuffer, kResident };

// The mode a call runs: `mode` names one (None, "copy", "lazy", "buffer", "resident"), or for
// None the one `values` implies: a dataset spec (str) or a SortedArray -> resident, a list or
// tuple -> copy, any other buffer -> buffer, anything else -> copy (which refuses it). A spec
// with another mode named -> InvalidArgument (a spec is resident data); so is an unknown mode.
DataMode data_mode(PyObject* values, PyObject* mode, bool is_sorted_array);

// This binding's SortedArray inside `obj`, or nullptr when `obj` is not one.
using UnwrapSortedArray = const SortedArray* (*)(PyObject* obj);  // must not throw

// What an engine's search needs of its binding: how to see its SortedArray in an object, and
// `datasets`, a callable spec -> SortedArray (the process's resident cache for this binding).
struct Resident {
  UnwrapSortedArray unwrap;
  PyObject* datasets;
};

// An engine's search(values, targets, mode, repeat, timeout), dispatched here once for every
// binding: the data mode is resolved (data_mode) and the crossing's function for it called. A
// SortedArray is searched as it is, a spec through `resident.datasets`, any other values in
// resident mode are built (and validated) into a SortedArray for this call. A new list[int].
PyObject* search(PyObject* values, PyObject* targets, PyObject* mode, PyObject* repeat,
                 PyObject* timeout, const Resident& resident);

// Index of the leftmost `target` in `array`, or -1; `target` is converted as a search target is.
std::int64_t find(const SortedArray& array, PyObject* target);

// bf_getbuffer / bf_releasebuffer of a SortedArray owned by `owner`: a read-only, 1-D,
// C-contiguous int64 ('q') view; a writable request -> BufferError. Return 0, or -1 with the
// Python error set; never throw.
int get_buffer(PyObject* owner, const SortedArray& array, Py_buffer* view, int flags) noexcept;
void release_buffer(Py_buffer* view) noexcept;

}  // namespace peaje::face

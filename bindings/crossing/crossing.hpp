// peaje::crossing: Python objects -> core types and back, shared by every binding module
// (pybind11 peaje._native, nanobind, Cython). CPython C API and core/ only, no binding library:
// each binding module is a thin wrapper that calls these functions and maps their errors once.
//
// Contract for callers (every function below):
// - Call with the GIL held (a function may release and retake it around native work).
// - Borrowed PyObject* arguments; a returned PyObject* is a NEW reference, never null.
// - Failures are thrown, never returned:
//     peaje::Error          (InvalidArgument, TooLarge, WrongType, Encode, DeadlineExceeded)
//     crossing::PythonError a Python exception is already set (e.g. raised by user code in
//                           __index__, or a UnicodeEncodeError carrying its positions): leave
//                           it set and return NULL to Python.
//     std::bad_alloc        out of memory.
//   Map them once per module with set_python_error() (exception_ptr) or, inside a catch
//   block, raise_python_error(): both leave a Python exception set and never throw.
//
//   pybind11:  py::register_exception_translator([](std::exception_ptr p) {
//                try { std::rethrow_exception(p); }
//                catch (const peaje::Error&) { crossing::set_python_error(p); }
//                catch (const crossing::PythonError&) {} });
//   nanobind:  nb::register_exception_translator(
//                [](const std::exception_ptr& p, void*) { crossing::set_python_error(p); });
//              (it handles every exception type, so register it last-wins for this module)
//   Cython:    cdef extern from "crossing.hpp" namespace "peaje::crossing":
//                  void raise_python_error()
//                  object search_copy(object, object, object, object) except +raise_python_error
//              (object arguments are passed borrowed, returned objects are taken as new refs)
//
// timeout: None (no deadline) or seconds as int/float; past it the call raises
// peaje.DeadlineExceeded and its work stops (checked every kSearchesPerSlice searches).
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <exception>
#include <string_view>

#include "peaje/deadline.hpp"
#include "peaje/sorted_array.hpp"

namespace peaje::crossing {

// Thrown when a Python exception is already set; carries nothing else.
struct PythonError {};

// ---- errors: map once per module -----------------------------------------------------------

// Sets the Python exception for `p`: peaje::Error -> peaje.errors.InvalidArgument / TooLarge /
// DeadlineExceeded or TypeError; PythonError -> leaves the set error; std::bad_alloc ->
// MemoryError; anything else -> RuntimeError without the C++ text. Never throws.
void set_python_error(std::exception_ptr p) noexcept;
// The same for the exception being handled: call it only inside a catch block.
void raise_python_error() noexcept;

// ---- arguments -----------------------------------------------------------------------------

// A deadline from a timeout argument: None -> never; a real number of seconds; anything else
// (bool, str, NaN, negative) -> InvalidArgument naming "timeout".
Deadline deadline_from(PyObject* timeout);

// ---- binary search: one function per data mode, named for what crosses -----------------------
// `values`, `targets`: any object (checked here); `repeat`: an int in [1, MAX_REPEAT]. Returns
// a new list[int]. Targets are converted first (their storage length for list/tuple, never
// __len__), the batch cap is checked before any target is converted when the length is known.

// copy: values become a native array on every call, validated (int64, ascending) while copied.
PyObject* search_copy(PyObject* values, PyObject* targets, PyObject* repeat,
                      const Deadline& deadline = {});
// lazy: no copy; the core probes O(log n) items in place. Order trusted; probed items checked.
PyObject* search_lazy(PyObject* values, PyObject* targets, PyObject* repeat,
                      const Deadline& deadline = {});
// buffer: zero-copy over a 1-D int64 buffer (any stride or alignment). Order trusted.
PyObject* search_buffer(PyObject* values, PyObject* targets, PyObject* repeat,
                        const Deadline& deadline = {});
// resident: the array already lives on the native side; only the targets cross.
PyObject* search_resident(const SortedArray& array, PyObject* targets, PyObject* repeat,
                          const Deadline& deadline = {});

// packed: the targets cross as the wire bytes of a peaje.v1.SearchRequest (`request`: bytes;
// its targets field, packed or not, decoded here with every bound checked, its other fields
// skipped: the caller reads them), and the answer is the wire bytes of the
// peaje.v1.SearchResponse{indices, server_ns = 0}, byte for byte what protobuf's
// SerializeToString writes. No Python int is made. Malformed wire -> InvalidArgument; the caps
// as check_batch (TooLarge) before any target is stored. Decoding and search run without the
// GIL for a big batch.
PyObject* search_packed(const SortedArray& array, PyObject* request, PyObject* repeat,
                        const Deadline& deadline = {});

// ---- resident data -------------------------------------------------------------------------

// A SortedArray from a dataset spec str ("range:N[:STEP]"), or from a sequence of int
// (validated once). A spec that is not valid text (a lone surrogate) -> InvalidArgument.
SortedArray sorted_array(PyObject* values);
SortedArray sorted_array_from_spec(PyObject* spec);
// The canonical form "range:N:STEP" of a spec str (the key of every resident cache), as a new
// str; a malformed spec raises as sorted_array_from_spec would, before anything is allocated.
PyObject* canonical_spec(PyObject* spec);
// Raises InvalidArgument unless `values` is a sequence of ascending int64.
void check_sorted_values(PyObject* values);

// ---- bytes dict ----------------------------------------------------------------------------

// A mapping (or iterable of pairs) of str / bytes-like to a new dict[bytes, bytes], in input
// order, later key wins. `errors`: "strict" | "surrogatepass" | "surrogateescape".
PyObject* to_bytes_dict(PyObject* mapping, PyObject* errors, const Deadline& deadline = {});

// ---- text ----------------------------------------------------------------------------------

// A str argument as UTF-8; refuses a non-str (InvalidArgument "<what> must be a str, got T")
// and a lone surrogate (InvalidArgument naming `what`). The view lives as long as `text`.
std::string_view utf8_argument(PyObject* text, std::string_view what);

}  // namespace peaje::crossing

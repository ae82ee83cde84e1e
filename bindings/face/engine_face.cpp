// The common face of the in-process engines (see engine_face.hpp).
#include "engine_face.hpp"

#include <string>
#include <string_view>

#include "crossing/crossing.hpp"
#include "peaje/error.hpp"
#include "peaje/text.hpp"

namespace peaje::face {
namespace {

struct ModeName {
  const char* name;
  DataMode mode;
};
constexpr ModeName kModes[] = {{"copy", DataMode::kCopy},
                               {"lazy", DataMode::kLazy},
                               {"buffer", DataMode::kBuffer},
                               {"resident", DataMode::kResident}};

DataMode parse_mode(PyObject* mode) {
  if (PyUnicode_Check(mode)) {
    for (const ModeName& m : kModes) {
      if (PyUnicode_CompareWithASCIIString(mode, m.name) == 0) return m.mode;
    }
  }
  const std::string shown = PyUnicode_Check(mode)
                                ? quoted(crossing::utf8_argument(mode, "mode"), 32)
                                : truncate_utf8(Py_TYPE(mode)->tp_name, 80);
  throw invalid_argument("mode must be one of copy, lazy, buffer, resident, got " + shown);
}

}  // namespace

DataMode data_mode(PyObject* values, PyObject* mode, bool is_sorted_array) {
  if (mode == Py_None) {
    if (is_sorted_array || PyUnicode_Check(values)) return DataMode::kResident;
    if (PyList_Check(values) || PyTuple_Check(values)) return DataMode::kCopy;
    return PyObject_CheckBuffer(values) ? DataMode::kBuffer : DataMode::kCopy;
  }
  const DataMode named = parse_mode(mode);
  if (named != DataMode::kResident && PyUnicode_Check(values)) {
    throw invalid_argument("dataset spec " +
                           quoted(crossing::utf8_argument(values, "dataset spec"), 64) +
                           " is resident data: use mode='resident'");
  }
  return named;
}

PyObject* search(PyObject* values, PyObject* targets, PyObject* mode, PyObject* repeat,
                 PyObject* timeout, const Resident& resident) {
  const SortedArray* array = resident.unwrap(values);
  const DataMode data = data_mode(values, mode, array != nullptr);
  const Deadline deadline = crossing::deadline_from(timeout);
  switch (data) {
    case DataMode::kCopy:
      return crossing::search_copy(values, targets, repeat, deadline);
    case DataMode::kLazy:
      return crossing::search_lazy(values, targets, repeat, deadline);
    case DataMode::kBuffer:
      return crossing::search_buffer(values, targets, repeat, deadline);
    case DataMode::kResident:
      break;
  }
  if (array != nullptr) return crossing::search_resident(*array, targets, repeat, deadline);
  if (!PyUnicode_Check(values)) {
    const SortedArray built = crossing::sorted_array(values);  // for this call; keep one to reuse
    return crossing::search_resident(built, targets, repeat, deadline);
  }
  PyObject* cached = PyObject_CallOneArg(resident.datasets, values);
  if (cached == nullptr) throw crossing::PythonError{};
  const SortedArray* dataset = resident.unwrap(cached);
  if (dataset == nullptr) {
    Py_DECREF(cached);
    throw Error(ErrorKind::kWrongType, "the resident cache did not return a SortedArray");
  }
  try {
    PyObject* found = crossing::search_resident(*dataset, targets, repeat, deadline);
    Py_DECREF(cached);
    return found;
  } catch (...) {
    Py_DECREF(cached);
    throw;
  }
}

std::int64_t find(const SortedArray& array, PyObject* target) {
  if (PyLong_CheckExact(target)) {
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(target, &overflow);
    if (overflow == 0) return array.search(value);
  }
  // Anything but an int64 int: converted (or refused) by the crossing's own rules for targets.
  static PyObject* const kOne = PyLong_FromLong(1);  // repeat=1 (a small int: never freed)
  PyObject* one = PyTuple_Pack(1, target);
  if (one == nullptr) throw crossing::PythonError{};
  PyObject* found = nullptr;
  try {
    found = crossing::search_resident(array, one, kOne);
  } catch (...) {
    Py_DECREF(one);
    throw;
  }
  Py_DECREF(one);
  const long long index = PyLong_AsLongLong(PyList_GET_ITEM(found, 0));
  Py_DECREF(found);
  return index;
}

int get_buffer(PyObject* owner, const SortedArray& array, Py_buffer* view, int flags) noexcept {
  view->obj = nullptr;
  if ((flags & PyBUF_WRITABLE) == PyBUF_WRITABLE) {
    PyErr_SetString(PyExc_BufferError, "SortedArray is read-only");
    return -1;
  }
  // shape[0] and strides[0], freed by release_buffer.
  auto* dims = static_cast<Py_ssize_t*>(PyMem_Malloc(2 * sizeof(Py_ssize_t)));
  if (dims == nullptr) {
    PyErr_NoMemory();
    return -1;
  }
  dims[0] = static_cast<Py_ssize_t>(array.size());
  dims[1] = sizeof(std::int64_t);
  view->buf = const_cast<std::int64_t*>(array.values().data());
  view->obj = Py_NewRef(owner);
  view->len = static_cast<Py_ssize_t>(array.nbytes());
  view->itemsize = sizeof(std::int64_t);
  view->readonly = 1;
  view->ndim = 1;
  view->format = (flags & PyBUF_FORMAT) ? const_cast<char*>("q") : nullptr;
  view->shape = (flags & PyBUF_ND) == PyBUF_ND ? dims : nullptr;
  view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? dims + 1 : nullptr;
  view->suboffsets = nullptr;
  view->internal = dims;
  return 0;
}

void release_buffer(Py_buffer* view) noexcept {
  PyMem_Free(view->internal);
  view->internal = nullptr;
}

}  // namespace peaje::face

// peaje._native: the in-process face. Converts Python objects to core types and back; the
// algorithms live in core/. One function per data mode, named for what crosses.
#include <pybind11/gil_safe_call_once.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "peaje/bytes_dict.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/search.hpp"
#include "peaje/sorted_array.hpp"

namespace py = pybind11;

namespace {

using peaje::invalid_argument;

// Batches at least this large release the GIL around the native loop; smaller ones would pay
// more for the release than they save.
constexpr std::int64_t kReleaseGilFromSearches = 256;

// The exception classes live in Python (peaje.errors) so the pure-Python engine shares them.
struct ErrorClasses {
  py::object invalid_argument;
  py::object too_large;
};

const ErrorClasses& error_classes() {
  PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<ErrorClasses> storage;
  return storage
      .call_once_and_store_result([] {
        py::module_ errors = py::module_::import("peaje.errors");
        return ErrorClasses{errors.attr("InvalidArgument"), errors.attr("TooLarge")};
      })
      .get_stored();
}

std::string type_name(PyObject* obj) { return Py_TYPE(obj)->tp_name; }

std::string short_repr(PyObject* obj) {
  constexpr std::size_t kShown = 80;
  PyObject* repr = PyObject_Repr(obj);
  if (repr == nullptr) {
    PyErr_Clear();
    return "<" + type_name(obj) + ">";
  }
  Py_ssize_t size = 0;
  const char* text = PyUnicode_AsUTF8AndSize(repr, &size);
  std::string out = text ? std::string(text, static_cast<std::size_t>(size)) : "<unprintable>";
  if (!text) PyErr_Clear();
  Py_DECREF(repr);
  if (out.size() > kShown) out = out.substr(0, kShown) + "...";
  return out;
}

std::string where(const char* what, std::size_t i) {
  return std::string(what) + "[" + std::to_string(i) + "]";
}

// int64 from a Python integer; bool, float, str and out-of-range integers are refused.
std::int64_t to_int64(PyObject* item, const char* what, std::size_t i) {
  if (PyLong_CheckExact(item)) {
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(item, &overflow);
    if (overflow != 0) throw invalid_argument(where(what, i) + " is outside int64");
    return value;
  }
  if (PyBool_Check(item)) {
    throw invalid_argument(where(what, i) + ": expected an int, got bool");
  }
  if (!PyIndex_Check(item)) {
    throw invalid_argument(where(what, i) + ": expected an int, got " + type_name(item));
  }
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(item));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0) throw invalid_argument(where(what, i) + " is outside int64");
  if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
  return value;
}

std::int64_t to_repeat(py::handle repeat) {
  return to_int64(repeat.ptr(), "repeat", 0);  // range is checked by core's check_batch
}

// Converts a sequence element by element. Items are re-read each step (never a cached pointer)
// because converting an __index__ object runs Python code that may mutate the sequence.
template <class OnItem>
void for_each_int64(py::handle seq_like, const char* what, OnItem&& on_item) {
  // The message is never shown (ours replaces it), so no string is built on the hot path.
  py::object seq =
      py::reinterpret_steal<py::object>(PySequence_Fast(seq_like.ptr(), "not a sequence"));
  if (!seq) {
    PyErr_Clear();
    throw invalid_argument(std::string(what) + " must be a sequence of int, got " +
                           type_name(seq_like.ptr()));
  }
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.ptr()); ++i) {
    py::object item = py::reinterpret_borrow<py::object>(PySequence_Fast_GET_ITEM(seq.ptr(), i));
    on_item(static_cast<std::size_t>(i), to_int64(item.ptr(), what, static_cast<std::size_t>(i)));
  }
}

Py_ssize_t sequence_length(py::handle seq_like, const char* what) {
  const Py_ssize_t n = PyObject_Length(seq_like.ptr());
  if (n < 0) {
    PyErr_Clear();
    throw invalid_argument(std::string(what) + " must be a sequence of int, got " +
                           type_name(seq_like.ptr()));
  }
  return n;
}

// Targets cross in every mode: converted to a native array, bounds-checked, never truncated.
std::vector<std::int64_t> convert_targets(py::handle targets, std::int64_t repeat) {
  const auto n = static_cast<std::size_t>(sequence_length(targets, "targets"));
  peaje::check_batch(n, repeat);
  std::vector<std::int64_t> out;
  out.reserve(n);
  for_each_int64(targets, "targets", [&](std::size_t, std::int64_t v) { out.push_back(v); });
  return out;
}

py::list to_pylist(std::span<const std::int64_t> indices) {
  py::list out(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), PyLong_FromLongLong(indices[i]));
  }
  return out;
}

// Runs the core loop over native memory, without the GIL when the batch is worth it.
py::list search_native(std::span<const std::int64_t> values,
                       const std::vector<std::int64_t>& targets, std::int64_t repeat) {
  std::vector<std::int64_t> out(targets.size());
  if (static_cast<std::int64_t>(targets.size()) * repeat >= kReleaseGilFromSearches) {
    py::gil_scoped_release release;
    peaje::search_many(values, targets, out, repeat);
  } else {
    peaje::search_many(values, targets, out, repeat);
  }
  return to_pylist(out);
}

// copy: the talk's path. The list becomes a fresh native array on every call, validated
// (int64, ascending) while copying, which costs almost nothing on top of the copy.
std::vector<std::int64_t> copy_sorted_values(py::handle values) {
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(sequence_length(values, "values")));
  for_each_int64(values, "values", [&](std::size_t i, std::int64_t v) {
    if (i > 0 && v < out.back()) {
      throw invalid_argument("values must be sorted ascending: " + where("values", i) + " = " +
                             std::to_string(v) + " is less than " + where("values", i - 1) + " = " +
                             std::to_string(out.back()));
    }
    out.push_back(v);
  });
  return out;
}

py::list search_copy(py::handle values, py::handle targets, py::handle repeat) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  const std::vector<std::int64_t> native_values = copy_sorted_values(values);
  return search_native(native_values, native_targets, k);
}

// lazy: no copy. The core probes list items in place, O(log n) per target; order is trusted
// (as bisect trusts it), but every probed item is still checked to be an int64.
py::list search_lazy(py::handle values, py::handle targets, py::handle repeat) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  PyObject* seq = values.ptr();
  const bool is_list = PyList_Check(seq);
  const bool is_tuple = PyTuple_Check(seq);
  const Py_ssize_t n = sequence_length(values, "values");
  auto at = [&](std::size_t i) -> std::int64_t {
    const auto pos = static_cast<Py_ssize_t>(i);
    if (is_list) {
      if (pos >= PyList_GET_SIZE(seq)) {
        throw invalid_argument("values changed size during the search");
      }
      PyObject* item = PyList_GET_ITEM(seq, pos);
      if (PyLong_CheckExact(item)) return to_int64(item, "values", i);
      py::object hold = py::reinterpret_borrow<py::object>(item);  // survives a mutation
      return to_int64(hold.ptr(), "values", i);
    }
    if (is_tuple) return to_int64(PyTuple_GET_ITEM(seq, pos), "values", i);
    py::object item = py::reinterpret_steal<py::object>(PySequence_GetItem(seq, pos));
    if (!item) throw py::error_already_set();
    return to_int64(item.ptr(), "values", i);
  };
  std::vector<std::int64_t> out(native_targets.size());
  for (std::int64_t pass = 0; pass < k; ++pass) {
    for (std::size_t t = 0; t < native_targets.size(); ++t) {
      out[t] = peaje::search_leftmost_by(static_cast<std::size_t>(n), at, native_targets[t]);
    }
  }
  return to_pylist(out);
}

// The buffer formats that mean a native-endian int64.
bool is_int64_format(const std::string& format, py::ssize_t itemsize) {
  if (itemsize != 8) return false;
  std::string f = format;
  if (!f.empty() && (f[0] == '@' || f[0] == '=' || f[0] == '<')) f = f.substr(1);
  return f == "q" || f == "l";
}

// buffer: zero-copy over array('q'), numpy int64 or a memoryview; the buffer stays exported
// (and so alive and unresizable) until the search returns. Order is trusted, as in lazy.
py::list search_buffer(py::handle values, py::handle targets, py::handle repeat) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  if (!PyObject_CheckBuffer(values.ptr())) {
    throw invalid_argument(
        "buffer mode needs an int64 buffer (array('q'), numpy int64, "
        "memoryview), got " +
        type_name(values.ptr()));
  }
  py::buffer_info info = py::reinterpret_borrow<py::buffer>(values).request();
  if (info.ndim != 1) {
    throw invalid_argument("values buffer must be 1-dimensional, got " + std::to_string(info.ndim) +
                           " dimensions");
  }
  if (!is_int64_format(info.format, info.itemsize)) {
    throw invalid_argument("values buffer must hold int64 (format 'q'), got format '" +
                           info.format + "' of " + std::to_string(info.itemsize) + " bytes");
  }
  const auto n = static_cast<std::size_t>(info.shape[0]);
  const py::ssize_t stride = info.strides[0];
  if (stride == static_cast<py::ssize_t>(sizeof(std::int64_t))) {
    return search_native({static_cast<const std::int64_t*>(info.ptr), n}, native_targets, k);
  }
  // A strided view (numpy a[::2]) is searched in place through its stride, still zero-copy.
  const auto* base = static_cast<const char*>(info.ptr);
  auto at = [base, stride](std::size_t i) {
    std::int64_t v;
    std::memcpy(&v, base + static_cast<py::ssize_t>(i) * stride, sizeof v);
    return v;
  };
  std::vector<std::int64_t> out(native_targets.size());
  {
    py::gil_scoped_release release;
    for (std::int64_t pass = 0; pass < k; ++pass) {
      for (std::size_t t = 0; t < native_targets.size(); ++t) {
        out[t] = peaje::search_leftmost_by(n, at, native_targets[t]);
      }
    }
  }
  return to_pylist(out);
}

// resident: the array already lives on the native side; only the targets cross.
py::list search_resident(const peaje::SortedArray& array, py::handle targets, py::handle repeat) {
  const std::int64_t k = to_repeat(repeat);
  const std::vector<std::int64_t> native_targets = convert_targets(targets, k);
  return search_native(array.values(), native_targets, k);
}

peaje::SortedArray make_sorted_array(py::handle values) {
  if (PyUnicode_Check(values.ptr())) {
    return peaje::SortedArray::from_spec(values.cast<std::string>());
  }
  return peaje::SortedArray(copy_sorted_values(values));
}

// ---- bytes dict ----------------------------------------------------------------------------

struct EntryRole {
  PyObject* key;  // the entry's key object, for messages
  bool is_value;  // converting the value (true) or the key (false)
};

std::string role_text(const EntryRole& role) {
  return role.is_value ? "the value of key " + short_repr(role.key) : "key " + short_repr(role.key);
}

[[noreturn]] void raise_encode_error(PyObject* text, const peaje::EncodeError& e,
                                     const EntryRole& role) {
  const std::string reason = std::string(e.what()) + " (in " + role_text(role) + ")";
  PyObject* exc = PyObject_CallFunction(PyExc_UnicodeEncodeError, "sOnns", "utf-8", text,
                                        static_cast<Py_ssize_t>(e.start()),
                                        static_cast<Py_ssize_t>(e.end()), reason.c_str());
  if (exc != nullptr) {
    PyErr_SetObject(PyExc_UnicodeEncodeError, exc);
    Py_DECREF(exc);
  }
  throw py::error_already_set();
}

std::string text_to_utf8(PyObject* text, peaje::Utf8Errors errors, const EntryRole& role) {
  const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
  if (PyUnicode_IS_ASCII(text)) {
    return std::string(static_cast<const char*>(PyUnicode_DATA(text)), static_cast<size_t>(n));
  }
  std::string out;
  const auto len = static_cast<std::size_t>(n);
  try {
    switch (PyUnicode_KIND(text)) {
      case PyUnicode_1BYTE_KIND:
        peaje::encode_utf8({PyUnicode_1BYTE_DATA(text), len}, errors, out);
        break;
      case PyUnicode_2BYTE_KIND:
        peaje::encode_utf8({PyUnicode_2BYTE_DATA(text), len}, errors, out);
        break;
      default:
        peaje::encode_utf8({PyUnicode_4BYTE_DATA(text), len}, errors, out);
        break;
    }
  } catch (const peaje::EncodeError& e) {
    raise_encode_error(text, e, role);
  }
  return out;
}

// str is encoded, bytes-like passes through byte for byte (NULs included), anything else is a
// TypeError naming the key.
std::string entry_to_bytes(PyObject* obj, peaje::Utf8Errors errors, const EntryRole& role) {
  if (PyUnicode_Check(obj)) return text_to_utf8(obj, errors, role);
  if (PyBytes_Check(obj)) {
    return std::string(PyBytes_AS_STRING(obj), static_cast<std::size_t>(PyBytes_GET_SIZE(obj)));
  }
  if (PyObject_CheckBuffer(obj)) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_FULL_RO) != 0) throw py::error_already_set();
    std::string out(static_cast<std::size_t>(view.len), '\0');
    const int rc = PyBuffer_ToContiguous(out.data(), &view, view.len, 'C');
    PyBuffer_Release(&view);
    if (rc != 0) throw py::error_already_set();
    return out;
  }
  throw py::type_error(role_text(role) + ": expected str or bytes-like, got " + type_name(obj));
}

py::dict to_bytes_dict(py::handle mapping, py::handle errors_name) {
  if (!PyUnicode_Check(errors_name.ptr())) {
    throw invalid_argument("errors must be a str, got " + type_name(errors_name.ptr()));
  }
  const peaje::Utf8Errors errors = peaje::parse_utf8_errors(errors_name.cast<std::string>());
  py::object pairs;
  if (PyDict_Check(mapping.ptr()) || py::hasattr(mapping, "items")) {
    pairs = mapping.attr("items")();
  } else {
    pairs = py::reinterpret_borrow<py::object>(mapping);
  }
  py::object iterator = py::reinterpret_steal<py::object>(PyObject_GetIter(pairs.ptr()));
  if (!iterator) {
    PyErr_Clear();
    throw py::type_error("expected a mapping or an iterable of (key, value) pairs, got " +
                         type_name(mapping.ptr()));
  }
  peaje::BytesDict dict;
  const Py_ssize_t hint = PyObject_LengthHint(mapping.ptr(), 0);
  if (hint > 0) dict.reserve(static_cast<std::size_t>(hint));
  std::size_t position = 0;
  while (py::object entry = py::reinterpret_steal<py::object>(PyIter_Next(iterator.ptr()))) {
    if (!PyTuple_Check(entry.ptr()) || PyTuple_GET_SIZE(entry.ptr()) != 2) {
      entry = py::reinterpret_steal<py::object>(PySequence_Tuple(entry.ptr()));
      if (!entry || PyTuple_GET_SIZE(entry.ptr()) != 2) {
        PyErr_Clear();
        throw py::type_error("entry " + std::to_string(position) +
                             ": expected a (key, value) pair");
      }
    }
    PyObject* key = PyTuple_GET_ITEM(entry.ptr(), 0);
    PyObject* value = PyTuple_GET_ITEM(entry.ptr(), 1);
    std::string key_bytes = entry_to_bytes(key, errors, {key, false});
    std::string value_bytes = entry_to_bytes(value, errors, {key, true});
    dict.insert(std::move(key_bytes), std::move(value_bytes));
    ++position;
  }
  if (PyErr_Occurred()) throw py::error_already_set();
  py::dict out;
  for (const auto& [key, value] : dict.entries()) {
    out[py::bytes(key)] = py::bytes(value);
  }
  return out;
}

void translate_core_error(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const peaje::Error& e) {
    const ErrorClasses& classes = error_classes();
    switch (e.kind()) {
      case peaje::ErrorKind::kTooLarge:
        PyErr_SetString(classes.too_large.ptr(), e.what());
        return;
      case peaje::ErrorKind::kWrongType:
        PyErr_SetString(PyExc_TypeError, e.what());
        return;
      case peaje::ErrorKind::kInvalidArgument:
      case peaje::ErrorKind::kEncode:
        PyErr_SetString(classes.invalid_argument.ptr(), e.what());
        return;
    }
  }
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "peaje's in-process face: the C++ core behind pybind11";
  py::register_exception_translator(&translate_core_error);

  m.def("search_copy", &search_copy, py::arg("values"), py::arg("targets"), py::arg("repeat") = 1,
        "Convert values to a native array (validated), then search. The talk's path.");
  m.def("search_lazy", &search_lazy, py::arg("values"), py::arg("targets"), py::arg("repeat") = 1,
        "Search by probing only O(log n) items of the sequence; order is trusted.");
  m.def("search_buffer", &search_buffer, py::arg("values"), py::arg("targets"),
        py::arg("repeat") = 1, "Zero-copy search over an int64 buffer; order is trusted.");
  m.def("to_bytes_dict", &to_bytes_dict, py::arg("mapping"), py::arg("errors") = "strict",
        "Encode str/bytes-like keys and values into a dict[bytes, bytes].");
  m.def(
      "check_sorted_values", [](py::handle values) { (void)copy_sorted_values(values); },
      py::arg("values"), "Raise InvalidArgument unless values are ascending int64.");
  m.def(
      "noop", [] {}, "A call that does nothing: the bare cost of crossing into C++.");

  py::class_<peaje::SortedArray>(m, "SortedArray", py::buffer_protocol(),
                                 "An ascending int64 array owned by the native side.")
      .def(py::init(&make_sorted_array), py::arg("values"),
           "Build from a sequence of int (validated once) or a dataset spec like 'range:N'.")
      .def_static(
          "from_spec", [](const std::string& spec) { return peaje::SortedArray::from_spec(spec); },
          py::arg("spec"))
      .def("search", &search_resident, py::arg("targets"), py::arg("repeat") = 1)
      .def("__len__", &peaje::SortedArray::size)
      .def("__getitem__",
           [](const peaje::SortedArray& a, py::ssize_t i) {
             const auto n = static_cast<py::ssize_t>(a.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error("SortedArray index out of range");
             return a.values()[static_cast<std::size_t>(i)];
           })
      .def_property_readonly("nbytes", &peaje::SortedArray::nbytes)
      .def("__repr__",
           [](const peaje::SortedArray& a) {
             return "SortedArray(len=" + std::to_string(a.size()) + ")";
           })
      .def_buffer([](const peaje::SortedArray& a) {
        return py::buffer_info(const_cast<std::int64_t*>(a.values().data()),
                               static_cast<py::ssize_t>(a.size()), /*readonly=*/true);
      });

  py::module_ limits = m.def_submodule("limits", "Size caps shared by every face");
  limits.attr("MAX_DATASET_SIZE") = peaje::limits::kMaxDatasetSize;
  limits.attr("MAX_TARGETS") = peaje::limits::kMaxTargets;
  limits.attr("MAX_REPEAT") = peaje::limits::kMaxRepeat;
  limits.attr("MAX_SEARCHES_PER_CALL") = peaje::limits::kMaxSearchesPerCall;
}

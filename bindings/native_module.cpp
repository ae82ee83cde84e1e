// peaje._native: the in-process face through pybind11. A thin wrapper: the conversion of
// Python objects to core types lives in bindings/crossing (shared with the other bindings), the
// algorithms in core/. One function per data mode, named for what crosses.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crossing/crossing.hpp"
#include "face/engine_face.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/sorted_array.hpp"
#include "peaje/wire.hpp"

namespace py = pybind11;
namespace crossing = peaje::crossing;

namespace {

// Wraps a crossing function's new reference as the py::object pybind11 returns.
template <class F>
py::object crossed(F&& f) {
  return py::reinterpret_steal<py::object>(f());
}

// The one place this module maps the crossing's errors (crossing.hpp, "errors").
void translate_crossing_error(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const peaje::Error&) {
    crossing::set_python_error(p);
  } catch (const crossing::PythonError&) {
    crossing::set_python_error(p);
  }
}

using Mode = PyObject* (*)(PyObject*, PyObject*, PyObject*, const peaje::Deadline&);

template <Mode mode>
py::object search(py::handle values, py::handle targets, py::handle repeat, py::handle timeout) {
  const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
  return crossed([&] { return mode(values.ptr(), targets.ptr(), repeat.ptr(), deadline); });
}

const peaje::SortedArray* unwrap(PyObject* obj) noexcept {
  // The exact type, as the check pybind11's own caster makes first (no subclass walk).
  static PyTypeObject* const type =
      reinterpret_cast<PyTypeObject*>(py::type::of<peaje::SortedArray>().ptr());
  if (Py_TYPE(obj) != type && !PyType_IsSubtype(Py_TYPE(obj), type)) return nullptr;
  return py::handle(obj).cast<const peaje::SortedArray*>();
}

// An engine's compiled face: search dispatches its data mode in C++ (bindings/face), so the
// engine adds no Python frame to the crossing it measures.
struct Engine {
  py::object datasets;  // spec -> SortedArray, the process's resident cache for this binding
  py::object timeout;   // the engine's deadline for a call that names none

  py::object search(py::handle values, py::handle targets, py::handle mode, py::handle repeat,
                    py::handle call_timeout) const {
    const py::handle t = call_timeout.is_none() ? py::handle(timeout) : call_timeout;
    return crossed([&] {
      return peaje::face::search(values.ptr(), targets.ptr(), mode.ptr(), repeat.ptr(), t.ptr(),
                                 {&unwrap, datasets.ptr()});
    });
  }
};

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "peaje's in-process face: the C++ core behind pybind11";
  py::register_exception_translator(&translate_crossing_error);

  m.def("search_copy", &search<crossing::search_copy>, py::arg("values"), py::arg("targets"),
        py::arg("repeat") = 1, py::arg("timeout") = py::none(),
        "Convert values to a native array (validated), then search. The talk's path.");
  m.def("search_lazy", &search<crossing::search_lazy>, py::arg("values"), py::arg("targets"),
        py::arg("repeat") = 1, py::arg("timeout") = py::none(),
        "Search by probing only O(log n) items of the sequence; order is trusted.");
  m.def("search_buffer", &search<crossing::search_buffer>, py::arg("values"), py::arg("targets"),
        py::arg("repeat") = 1, py::arg("timeout") = py::none(),
        "Zero-copy search over an int64 buffer; order is trusted.");
  m.def(
      "to_bytes_dict",
      [](py::handle mapping, py::handle errors, py::handle timeout) {
        const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
        return crossed(
            [&] { return crossing::to_bytes_dict(mapping.ptr(), errors.ptr(), deadline); });
      },
      py::arg("mapping"), py::arg("errors") = "strict", py::arg("timeout") = py::none(),
      "Encode str/bytes-like keys and values into a dict[bytes, bytes].");
  m.def(
      "check_sorted_values", [](py::handle values) { crossing::check_sorted_values(values.ptr()); },
      py::arg("values"), "Raise InvalidArgument unless values are ascending int64.");
  m.def(
      "canonical_spec",
      [](py::handle spec) { return crossed([&] { return crossing::canonical_spec(spec.ptr()); }); },
      py::arg("spec"),
      "The canonical 'range:N:STEP' of a dataset spec (the resident caches' key).");
  m.def(
      "search_request_without_targets",
      [](const py::bytes& request) {
        const char* data = PyBytes_AS_STRING(request.ptr());
        const std::span<const std::uint8_t> wire(
            reinterpret_cast<const std::uint8_t*>(data),
            static_cast<std::size_t>(PyBytes_GET_SIZE(request.ptr())));
        std::vector<std::uint8_t> rest;
        const std::size_t count = peaje::wire::search_request_without_targets(wire, rest);
        return py::make_tuple(py::bytes(reinterpret_cast<const char*>(rest.data()), rest.size()),
                              count);
      },
      py::arg("request"),
      "A peaje.v1.SearchRequest's wire bytes without its targets, and their count: the rest for "
      "protobuf to parse, the targets left for search_packed.");
  m.def(
      "noop", [] {}, "A call that does nothing: the bare cost of crossing into C++.");

  py::class_<peaje::SortedArray>(m, "SortedArray", py::buffer_protocol(),
                                 "An ascending int64 array owned by the native side.")
      .def(py::init([](py::handle values) { return crossing::sorted_array(values.ptr()); }),
           py::arg("values"),
           "Build from a sequence of int (validated once) or a dataset spec like 'range:N'.")
      .def_static(
          "from_spec", [](py::handle spec) { return crossing::sorted_array_from_spec(spec.ptr()); },
          py::arg("spec"))
      .def(
          "search",
          [](const peaje::SortedArray& a, py::handle targets, py::handle repeat,
             py::handle timeout) {
            const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
            return crossed([&] {
              return crossing::search_resident(a, targets.ptr(), repeat.ptr(), deadline);
            });
          },
          py::arg("targets"), py::arg("repeat") = 1, py::arg("timeout") = py::none())
      .def(
          "search_packed",
          [](const peaje::SortedArray& a, py::handle request, py::handle repeat,
             py::handle timeout) {
            const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
            return crossed(
                [&] { return crossing::search_packed(a, request.ptr(), repeat.ptr(), deadline); });
          },
          py::arg("request"), py::arg("repeat") = 1, py::arg("timeout") = py::none(),
          "Search the targets of a peaje.v1.SearchRequest's wire bytes; the answer is a "
          "peaje.v1.SearchResponse's wire bytes (no Python int on the way).")
      .def(
          "find",
          [](const peaje::SortedArray& a, py::handle target) {
            return peaje::face::find(a, target.ptr());
          },
          py::arg("target"), "Index of the leftmost target, or -1.")
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

  py::class_<Engine> engine(m, "Engine", "An engine's compiled face: search and to_bytes_dict.");
  engine.attr("takes_timeout") = true;  // introspection cannot see it in a builtin's signature
  engine
      .def(py::init<py::object, py::object>(), py::arg("datasets"), py::arg("timeout") = py::none())
      .def("search", &Engine::search, py::arg("values"), py::arg("targets"), py::kw_only(),
           py::arg("mode") = py::none(), py::arg("repeat") = 1, py::arg("timeout") = py::none())
      .def(
          "to_bytes_dict",
          [](const Engine& e, py::handle mapping, py::handle errors, py::handle call_timeout) {
            const py::handle t = call_timeout.is_none() ? py::handle(e.timeout) : call_timeout;
            const peaje::Deadline deadline = crossing::deadline_from(t.ptr());
            return crossed(
                [&] { return crossing::to_bytes_dict(mapping.ptr(), errors.ptr(), deadline); });
          },
          py::arg("mapping"), py::arg("errors") = "strict", py::arg("timeout") = py::none());

  py::module_ limits = m.def_submodule("limits", "Size caps shared by every face");
  limits.attr("MAX_DATASET_SIZE") = peaje::limits::kMaxDatasetSize;
  limits.attr("MAX_TARGETS") = peaje::limits::kMaxTargets;
  limits.attr("MAX_REPEAT") = peaje::limits::kMaxRepeat;
  limits.attr("MAX_SEARCHES_PER_CALL") = peaje::limits::kMaxSearchesPerCall;
  limits.attr("SEARCHES_PER_SLICE") = peaje::kSearchesPerSlice;
}

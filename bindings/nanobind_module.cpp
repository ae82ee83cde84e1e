// peaje._nanobind: the in-process face through nanobind. A thin wrapper, as peaje._native is:
// the conversion of Python objects lives in bindings/crossing (shared by every binding), the
// engine's dispatch in bindings/face, the algorithms in core/.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "crossing/crossing.hpp"
#include "face/engine_face.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/sorted_array.hpp"

namespace nb = nanobind;
namespace crossing = peaje::crossing;
namespace face = peaje::face;
using namespace nb::literals;
using peaje::SortedArray;

namespace {

// The one place this module maps the crossing's errors (crossing.hpp, "errors"); any other
// exception goes on to nanobind's own translators.
void translate_crossing_error(const std::exception_ptr& p, void*) {
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
nb::object search(nb::handle values, nb::handle targets, nb::handle repeat, nb::handle timeout) {
  const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
  return nb::steal(mode(values.ptr(), targets.ptr(), repeat.ptr(), deadline));
}

nb::object to_bytes_dict(nb::handle mapping, nb::handle errors, nb::handle timeout) {
  const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
  return nb::steal(crossing::to_bytes_dict(mapping.ptr(), errors.ptr(), deadline));
}

const SortedArray* unwrap(PyObject* obj) noexcept {
  return nb::isinstance<SortedArray>(obj) ? nb::inst_ptr<SortedArray>(obj) : nullptr;
}

// An engine's compiled face: search dispatches its data mode in C++ (bindings/face), so the
// engine adds no Python frame to the crossing it measures.
struct Engine {
  Engine(nb::object datasets_, nb::object timeout_)
      : datasets(std::move(datasets_)), timeout(std::move(timeout_)) {}

  nb::object datasets;  // spec -> SortedArray, the process's resident cache for this binding
  nb::object timeout;   // the engine's deadline for a call that names none

  nb::object search(nb::handle values, nb::handle targets, nb::handle mode, nb::handle repeat,
                    nb::handle call_timeout) const {
    const nb::handle t = call_timeout.is_none() ? nb::handle(timeout) : call_timeout;
    return nb::steal(face::search(values.ptr(), targets.ptr(), mode.ptr(), repeat.ptr(), t.ptr(),
                                  {&unwrap, datasets.ptr()}));
  }
  nb::object to_bytes_dict(nb::handle mapping, nb::handle errors, nb::handle call_timeout) const {
    return ::to_bytes_dict(mapping, errors,
                           call_timeout.is_none() ? nb::handle(timeout) : call_timeout);
  }
};

int sorted_array_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  return face::get_buffer(self, *nb::inst_ptr<SortedArray>(self), view, flags);
}
void sorted_array_releasebuffer(PyObject*, Py_buffer* view) { face::release_buffer(view); }

PyType_Slot sorted_array_slots[] = {
    {Py_bf_getbuffer, reinterpret_cast<void*>(&sorted_array_getbuffer)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(&sorted_array_releasebuffer)},
    {0, nullptr}};

}  // namespace

NB_MODULE(_nanobind, m) {
  m.doc() = "peaje's in-process face: the C++ core behind nanobind";
  nb::register_exception_translator(&translate_crossing_error);

  // Every argument takes None too (nanobind refuses it by default): the crossing judges each
  // value, with the contract's error.
  m.def("search_copy", &search<crossing::search_copy>, "values"_a.none(), "targets"_a.none(),
        "repeat"_a.none() = 1, "timeout"_a.none() = nb::none(),
        "Convert values to a native array (validated), then search. The talk's path.");
  m.def("search_lazy", &search<crossing::search_lazy>, "values"_a.none(), "targets"_a.none(),
        "repeat"_a.none() = 1, "timeout"_a.none() = nb::none(),
        "Search by probing only O(log n) items of the sequence; order is trusted.");
  m.def("search_buffer", &search<crossing::search_buffer>, "values"_a.none(), "targets"_a.none(),
        "repeat"_a.none() = 1, "timeout"_a.none() = nb::none(),
        "Zero-copy search over an int64 buffer; order is trusted.");
  m.def("to_bytes_dict", &to_bytes_dict, "mapping"_a.none(), "errors"_a.none() = "strict",
        "timeout"_a.none() = nb::none(),
        "Encode str/bytes-like keys and values into a dict[bytes, bytes].");
  m.def(
      "check_sorted_values", [](nb::handle values) { crossing::check_sorted_values(values.ptr()); },
      "values"_a.none(), "Raise InvalidArgument unless values are ascending int64.");
  m.def(
      "noop", [] {}, "A call that does nothing: the bare cost of crossing into C++.");

  nb::class_<SortedArray>(m, "SortedArray", nb::type_slots(sorted_array_slots),
                          "An ascending int64 array owned by the native side.")
      .def(
          "__init__",
          [](SortedArray* self, nb::handle values) {
            new (self) SortedArray(crossing::sorted_array(values.ptr()));
          },
          "values"_a.none(),
          "Build from a sequence of int (validated once) or a dataset spec like 'range:N'.")
      .def_static(
          "from_spec", [](nb::handle spec) { return crossing::sorted_array_from_spec(spec.ptr()); },
          "spec"_a.none())
      .def(
          "search",
          [](const SortedArray& a, nb::handle targets, nb::handle repeat, nb::handle timeout) {
            const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
            return nb::steal(crossing::search_resident(a, targets.ptr(), repeat.ptr(), deadline));
          },
          "targets"_a.none(), "repeat"_a.none() = 1, "timeout"_a.none() = nb::none())
      .def(
          "search_packed",
          [](const SortedArray& a, nb::handle request, nb::handle repeat, nb::handle timeout) {
            const peaje::Deadline deadline = crossing::deadline_from(timeout.ptr());
            return nb::steal(crossing::search_packed(a, request.ptr(), repeat.ptr(), deadline));
          },
          "request"_a.none(), "repeat"_a.none() = 1, "timeout"_a.none() = nb::none(),
          "Search the targets of a peaje.v1.SearchRequest's wire bytes; the answer is a "
          "peaje.v1.SearchResponse's wire bytes.")
      .def(
          "find",
          [](const SortedArray& a, nb::handle target) { return face::find(a, target.ptr()); },
          "target"_a.none(), "Index of the leftmost target, or -1.")
      .def("__len__", &SortedArray::size)
      .def("__getitem__",
           [](const SortedArray& a, Py_ssize_t i) {
             const auto n = static_cast<Py_ssize_t>(a.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw nb::index_error("SortedArray index out of range");
             return a.values()[static_cast<std::size_t>(i)];
           })
      .def_prop_ro("nbytes", &SortedArray::nbytes)
      .def("__repr__", [](const SortedArray& a) {
        return "SortedArray(len=" + std::to_string(a.size()) + ")";
      });

  nb::class_<Engine> engine(m, "Engine", "An engine's compiled face: search and to_bytes_dict.");
  engine.attr("takes_timeout") = true;  // introspection cannot see it in a builtin's signature
  engine
      .def(nb::init<nb::object, nb::object>(), "datasets"_a.none(), "timeout"_a.none() = nb::none())
      .def("search", &Engine::search, "values"_a.none(), "targets"_a.none(), nb::kw_only(),
           "mode"_a.none() = nb::none(), "repeat"_a.none() = 1, "timeout"_a.none() = nb::none())
      .def("to_bytes_dict", &Engine::to_bytes_dict, "mapping"_a.none(),
           "errors"_a.none() = "strict", "timeout"_a.none() = nb::none());

  nb::module_ limits = m.def_submodule("limits", "Size caps shared by every face");
  limits.attr("MAX_DATASET_SIZE") = peaje::limits::kMaxDatasetSize;
  limits.attr("MAX_TARGETS") = peaje::limits::kMaxTargets;
  limits.attr("MAX_REPEAT") = peaje::limits::kMaxRepeat;
  limits.attr("MAX_SEARCHES_PER_CALL") = peaje::limits::kMaxSearchesPerCall;
  limits.attr("SEARCHES_PER_SLICE") = peaje::kSearchesPerSlice;
}

// peaje._nanobind: the in-process face through nanobind.
#include <nanobind/nanobind.h>

#include "peaje/limits.hpp"

namespace nb = nanobind;

NB_MODULE(_nanobind, m) {
  m.doc() = "peaje's in-process face: the C++ core behind nanobind";
  m.def(
      "noop", [] {}, "A call that does nothing: the bare cost of crossing into C++.");
  nb::module_ limits = m.def_submodule("limits", "Size caps shared by every face");
  limits.attr("MAX_DATASET_SIZE") = peaje::limits::kMaxDatasetSize;
}

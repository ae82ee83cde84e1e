// Fuzzes the dataset-spec parser: any text is refused with a typed error or accepted within the
// caps, and an accepted spec round-trips through its canonical form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "peaje/dataset.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  peaje::DatasetSpec spec;
  try {
    spec = peaje::DatasetSpec::parse(text);
  } catch (const peaje::Error&) {
    return 0;
  }
  if (spec.size < 0 || spec.size > peaje::limits::kMaxDatasetSize || spec.step < 1) std::abort();
  const peaje::DatasetSpec again = peaje::DatasetSpec::parse(spec.canonical());
  if (again.size != spec.size || again.step != spec.step) std::abort();
  if (spec.size <= 4096) {
    const auto values = spec.generate();
    for (std::size_t i = 1; i < values.size(); ++i) {
      if (values[i] < values[i - 1]) std::abort();
    }
  }
  return 0;
}

// Dataset specs: named sorted arrays generated identically on every side.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace peaje {

// "range:N" is 0..N-1; "range:N:STEP" is 0, STEP, 2*STEP, ... (N elements, STEP >= 1).
struct DatasetSpec {
  std::int64_t size = 0;
  std::int64_t step = 1;

  // Throws kInvalidArgument on a malformed spec, kTooLarge past limits::kMaxDatasetSize.
  static DatasetSpec parse(std::string_view text);
  std::string canonical() const;  // "range:N:STEP", the cache key
  std::vector<std::int64_t> generate() const;
};

inline constexpr std::string_view kDefaultDatasetSpec = "range:100000";

}  // namespace peaje

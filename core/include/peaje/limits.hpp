// Size caps shared by every face, so a request is refused the same way wherever it arrives.
#pragma once

#include <cstdint>

namespace peaje::limits {

// Largest dataset a spec may describe (80 MB of int64 on the native side).
inline constexpr std::int64_t kMaxDatasetSize = 10'000'000;
// Largest number of targets in one call.
inline constexpr std::int64_t kMaxTargets = 1'000'000;
// Largest repeat knob.
inline constexpr std::int64_t kMaxRepeat = 1'000'000;
// Largest repeat x targets: about a minute of searching on a slow core, no more.
inline constexpr std::int64_t kMaxSearchesPerCall = 1'000'000'000;

}  // namespace peaje::limits

#include "peaje/search.hpp"

#include <string>

#include "peaje/error.hpp"
#include "peaje/limits.hpp"

namespace peaje {
namespace {

// Keeps the optimiser from folding repeated passes into one: each pass's results are "used".
inline void clobber_memory() { asm volatile("" : : : "memory"); }

}  // namespace

void check_batch(std::size_t n_targets, std::int64_t repeat) {
  if (repeat < 1 || repeat > limits::kMaxRepeat) {
    throw invalid_argument("repeat must be between 1 and " + std::to_string(limits::kMaxRepeat) +
                           ", got " + std::to_string(repeat));
  }
  if (n_targets > static_cast<std::size_t>(limits::kMaxTargets)) {
    throw too_large("too many targets: " + std::to_string(n_targets) + " > " +
                    std::to_string(limits::kMaxTargets));
  }
  const auto searches = static_cast<std::int64_t>(n_targets) * repeat;  // both capped: no overflow
  if (searches > limits::kMaxSearchesPerCall) {
    throw too_large("repeat x targets = " + std::to_string(searches) + " exceeds " +
                    std::to_string(limits::kMaxSearchesPerCall) + " searches per call");
  }
}

void search_many(std::span<const std::int64_t> values, std::span<const std::int64_t> targets,
                 std::span<std::int64_t> out, std::int64_t repeat) {
  check_batch(targets.size(), repeat);
  if (out.size() != targets.size()) throw invalid_argument("output size differs from targets");
  for (std::int64_t pass = 0; pass < repeat; ++pass) {
    for (std::size_t i = 0; i < targets.size(); ++i) out[i] = search_leftmost(values, targets[i]);
    clobber_memory();
  }
}

std::int64_t first_unsorted(std::span<const std::int64_t> values) noexcept {
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i] < values[i - 1]) return static_cast<std::int64_t>(i);
  }
  return -1;
}

Error unsorted_error(std::size_t i, std::int64_t value, std::int64_t previous) {
  return invalid_argument("values must be sorted ascending: values[" + std::to_string(i) +
                          "] = " + std::to_string(value) + " is less than values[" +
                          std::to_string(i - 1) + "] = " + std::to_string(previous));
}

void require_sorted(std::span<const std::int64_t> values) {
  const std::int64_t bad = first_unsorted(values);
  if (bad >= 0) {
    const auto i = static_cast<std::size_t>(bad);
    throw unsorted_error(i, values[i], values[i - 1]);
  }
}

}  // namespace peaje

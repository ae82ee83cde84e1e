// Leftmost binary search over ascending int64, the one algorithm every engine measures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "peaje/error.hpp"

namespace peaje {

// Index of the leftmost element equal to `target` in [0, n), or -1. `at(i)` reads element i
// (it may be a lazy probe into foreign memory, and may throw). Only indices in [0, n) are read,
// at most ceil(log2(n + 1)) + 1 times, and the loop always ends, even on unsorted input.
template <class At>
std::int64_t search_leftmost_by(std::size_t n, At&& at, std::int64_t target) {
  std::size_t lo = 0;
  std::size_t hi = n;  // half-open [lo, hi): no (lo + hi) / 2 overflow, no read at hi
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (at(mid) < target) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < n && at(lo) == target) return static_cast<std::int64_t>(lo);
  return -1;
}

inline std::int64_t search_leftmost(std::span<const std::int64_t> values, std::int64_t target) {
  return search_leftmost_by(
      values.size(), [values](std::size_t i) { return values[i]; }, target);
}

// Searches every target `repeat` times (the talk's "loops", done inside one crossing) and
// writes each result once to `out` (same length as `targets`). The answers are
// search_leftmost's on ascending values; the algorithm is another (branchless, several targets
// in lock-step, core/src/search.cpp). On unsorted values it reads only indices in [0, n) and
// answers some index in [-1, n), as search_leftmost_by does.
void search_many(std::span<const std::int64_t> values, std::span<const std::int64_t> targets,
                 std::span<std::int64_t> out, std::int64_t repeat = 1);

// Throws kInvalidArgument/kTooLarge unless 1 <= repeat <= kMaxRepeat and the batch fits the caps.
void check_batch(std::size_t n_targets, std::int64_t repeat);

// Index of the first element smaller than its predecessor, or -1 when `values` is ascending.
std::int64_t first_unsorted(std::span<const std::int64_t> values) noexcept;

// Throws kInvalidArgument naming the first out-of-order index.
void require_sorted(std::span<const std::int64_t> values);

// The one wording of "values[i] = value is less than values[i-1] = previous", for every face
// that checks order while it converts (the bindings' copy mode, the server's inline values).
Error unsorted_error(std::size_t i, std::int64_t value, std::int64_t previous);

}  // namespace peaje

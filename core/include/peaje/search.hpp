// Leftmost binary search over ascending int64, the one algorithm every engine measures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

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

// A table that narrows each search over ascending values to a window: the values' range cut
// into kBuckets buckets of one power-of-two width, first[b] the first index whose value is in
// bucket b or above (first[kBuckets] = n). A target's leftmost index lies in [first[b],
// first[b + 1]] of its bucket b, so a search probes a window as long as the fullest bucket
// instead of all n values: ceil(log2 window) steps. Evenly spread values (every range:N:STEP
// dataset) have windows of n / kBuckets or so; skewed ones at worst n, the plain search.
// Built once per resident array (SortedArray): 16 KiB.
class SearchIndex {
 public:
  static constexpr std::size_t kBuckets = 4096;
  // Arrays shorter than this are searched whole: the table would outweigh them.
  static constexpr std::size_t kMinValues = 4 * kBuckets;

  SearchIndex() = default;
  // `values` must be ascending (a SortedArray's) and shorter than 2^32; an empty index (no
  // table: `usable()` false) for fewer than kMinValues values.
  explicit SearchIndex(std::span<const std::int64_t> values);

  bool usable() const noexcept { return !first_.empty(); }
  std::size_t window() const noexcept { return window_; }
  // The first index of target's window in values of size n (window() <= n): the start of its
  // bucket, moved down so that the window ends by n.
  std::size_t window_start(std::int64_t target, std::size_t n) const noexcept {
    const std::uint64_t offset = static_cast<std::uint64_t>(target) - min_;  // wraps below min
    const std::uint64_t high = std::uint64_t{kBuckets - 1};
    const std::uint64_t bucket = target < static_cast<std::int64_t>(min_)
                                     ? 0
                                     : ((offset >> shift_) < high ? (offset >> shift_) : high);
    const std::size_t start = first_[bucket];
    return start < n - window_ ? start : n - window_;
  }

 private:
  std::vector<std::uint32_t> first_;
  std::uint64_t min_ = 0;  // the smallest value, as its two's complement bits
  unsigned shift_ = 0;
  std::size_t window_ = 0;
};

// search_many over a SortedArray's values with its index (built from the same values): the same
// answers, each search within its window. An unusable index searches the whole array.
void search_many(std::span<const std::int64_t> values, const SearchIndex& index,
                 std::span<const std::int64_t> targets, std::span<std::int64_t> out,
                 std::int64_t repeat = 1);

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

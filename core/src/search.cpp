#include "peaje/search.hpp"

#include <algorithm>
#include <cstddef>
#include <string>

#include "peaje/error.hpp"
#include "peaje/limits.hpp"

namespace peaje {
namespace {

// Keeps the optimiser from folding repeated passes into one: each pass's results are "used".
inline void clobber_memory() { asm volatile("" : : : "memory"); }

// Leftmost search of L targets in lock-step: the branchless lower bound in its length-halving
// form. Every search over the same n takes the same ceil(log2 n) steps, so each step is one
// independent load per lane (their cache misses overlap) and a conditional move, with no branch
// to mispredict. Reads stay in [0, n) on any input: base + len <= n throughout, and the probe
// base + len / 2 is below it. Needs n >= 1.
template <std::size_t L>
void search_group(const std::int64_t* values, std::size_t n, const std::int64_t* targets,
                  std::int64_t* out) {
  std::size_t base[L] = {};
  std::size_t len = n;
  while (len > 1) {
    const std::size_t half = len / 2;
    len -= half;
    for (std::size_t k = 0; k < L; ++k) {
      base[k] += (values[base[k] + half] < targets[k]) ? half : 0;  // a cmov, not a branch
    }
  }
  for (std::size_t k = 0; k < L; ++k) {
    // The lower bound is base or base + 1 (== n when every value is below the target).
    const std::size_t lo = base[k] + static_cast<std::size_t>(values[base[k]] < targets[k]);
    out[k] = (lo < n && values[lo] == targets[k]) ? static_cast<std::int64_t>(lo) : -1;
  }
}

// search_group within each target's window of `index` (values of size n >= index.window()):
// the same steps over `window` values from each lane's own start. Reads stay in [0, n): a
// window ends by n (SearchIndex::window_start) and the probes stay inside it as above.
template <std::size_t L>
void search_group_in_windows(const std::int64_t* values, std::size_t n, const SearchIndex& index,
                             const std::int64_t* targets, std::int64_t* out) {
  std::size_t base[L];
  for (std::size_t k = 0; k < L; ++k) base[k] = index.window_start(targets[k], n);
  std::size_t len = index.window();
  while (len > 1) {
    const std::size_t half = len / 2;
    len -= half;
    for (std::size_t k = 0; k < L; ++k) {
      base[k] += (values[base[k] + half] < targets[k]) ? half : 0;
    }
  }
  for (std::size_t k = 0; k < L; ++k) {
    const std::size_t lo = base[k] + static_cast<std::size_t>(values[base[k]] < targets[k]);
    out[k] = (lo < n && values[lo] == targets[k]) ? static_cast<std::int64_t>(lo) : -1;
  }
}

template <std::size_t L>
void search_groups_in_windows(const std::int64_t* values, std::size_t n, const SearchIndex& index,
                              const std::int64_t* targets, std::int64_t* out, std::size_t count) {
  std::size_t i = 0;
  for (; i + L <= count; i += L) {
    search_group_in_windows<L>(values, n, index, targets + i, out + i);
  }
  if constexpr (L > 1) {
    if (i < count) {
      search_groups_in_windows<L / 2>(values, n, index, targets + i, out + i, count - i);
    }
  }
}

// Groups of L lanes, then the remainder in halving groups (L/2, ..., 1): no padding, no lane
// wasted on a short batch.
template <std::size_t L>
void search_groups(const std::int64_t* values, std::size_t n, const std::int64_t* targets,
                   std::int64_t* out, std::size_t count) {
  std::size_t i = 0;
  for (; i + L <= count; i += L) search_group<L>(values, n, targets + i, out + i);
  if constexpr (L > 1) {
    if (i < count) search_groups<L / 2>(values, n, targets + i, out + i, count - i);
  }
}

// 8 lanes while the values fit in about an L2 cache, 16 beyond, where more misses in flight
// pay (BM_SearchRandom in tests/bench/core_bench.cpp).
constexpr std::size_t kEightLanesUpTo = (std::size_t{1} << 20) / sizeof(std::int64_t);

void search_pass(std::span<const std::int64_t> values, std::span<const std::int64_t> targets,
                 std::span<std::int64_t> out) {
  const std::size_t n = values.size();
  if (n == 0) {
    for (auto& found : out) found = -1;
    return;
  }
  if (n <= kEightLanesUpTo) {
    search_groups<8>(values.data(), n, targets.data(), out.data(), targets.size());
  } else {
    search_groups<16>(values.data(), n, targets.data(), out.data(), targets.size());
  }
}

}  // namespace

SearchIndex::SearchIndex(std::span<const std::int64_t> values) {
  const std::size_t n = values.size();
  if (n < kMinValues || n >= (std::size_t{1} << 32)) return;
  min_ = static_cast<std::uint64_t>(values.front());
  const std::uint64_t span = static_cast<std::uint64_t>(values.back()) - min_;
  // The narrowest power-of-two width that puts the largest value in the last bucket or before.
  while ((span >> shift_) >= kBuckets) ++shift_;
  first_.assign(kBuckets + 1, static_cast<std::uint32_t>(n));
  // first_[b]: the first index whose bucket is b or above (buckets only grow along the values).
  std::size_t b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t bucket =
        static_cast<std::size_t>((static_cast<std::uint64_t>(values[i]) - min_) >> shift_);
    for (; b <= bucket; ++b) first_[b] = static_cast<std::uint32_t>(i);
  }
  for (std::size_t k = 0; k < kBuckets; ++k) {
    window_ = std::max<std::size_t>(window_, first_[k + 1] - first_[k]);
  }
  // The halving search over `window_` values from first_[b] answers in [first_[b], first_[b] +
  // window_], which holds first_[b + 1]: the fullest bucket's length is enough.
}

void search_many(std::span<const std::int64_t> values, const SearchIndex& index,
                 std::span<const std::int64_t> targets, std::span<std::int64_t> out,
                 std::int64_t repeat) {
  if (!index.usable() || index.window() > values.size()) {
    search_many(values, targets, out, repeat);
    return;
  }
  check_batch(targets.size(), repeat);
  if (out.size() != targets.size()) throw invalid_argument("output size differs from targets");
  const std::size_t n = values.size();
  for (std::int64_t pass = 0; pass < repeat; ++pass) {
    if (n <= kEightLanesUpTo) {
      search_groups_in_windows<8>(values.data(), n, index, targets.data(), out.data(),
                                  targets.size());
    } else {
      search_groups_in_windows<16>(values.data(), n, index, targets.data(), out.data(),
                                   targets.size());
    }
    clobber_memory();
  }
}

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
    search_pass(values, targets, out);
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

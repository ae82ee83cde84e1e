// Fuzzes binary search over arbitrary (often unsorted) arrays: reads stay in bounds (the values
// are a heap vector of exactly n under ASan), results stay in [-1, n); on the sorted copy the
// batch search (search_many, branchless lanes) answers, per target, what std::lower_bound and
// the reference search_leftmost_by answer; and so does a SortedArray of 16k+ values grown from
// the input, searched within its SearchIndex's windows.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "peaje/search.hpp"
#include "peaje/sorted_array.hpp"

namespace {

std::int64_t lower_bound_index(const std::vector<std::int64_t>& sorted, std::int64_t t) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), t);
  return (it != sorted.end() && *it == t) ? it - sorted.begin() : -1;
}

// A SortedArray large enough for its SearchIndex, grown from the input: ascending steps taken
// from the bytes (0 = a duplicate; a high byte, a jump of up to 2^62: skewed buckets),
// saturating at int64's top, from a start the first bytes pick (int64's bottom included). Its
// batch search with the index answers what std::lower_bound answers, for targets around values
// and the input's own.
void check_indexed(const std::uint8_t* data, std::size_t size,
                   const std::vector<std::int64_t>& some_targets) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::size_t n = peaje::SearchIndex::kMinValues + (size * 37) % 5000;
  std::vector<std::int64_t> values(n);
  std::int64_t v = 0;
  if (size >= sizeof v) std::memcpy(&v, data, sizeof v);
  for (std::size_t i = 0; i < n; ++i) {
    values[i] = v;
    const std::uint8_t byte = data[i % size];
    const auto step = static_cast<std::uint64_t>(byte & 0x0f) << ((byte >> 4) * 4 % 63);
    const std::uint64_t room = static_cast<std::uint64_t>(kMax) - static_cast<std::uint64_t>(v);
    v = step > room ? kMax : static_cast<std::int64_t>(static_cast<std::uint64_t>(v) + step);
  }
  const peaje::SortedArray array(values);
  std::vector<std::int64_t> targets = some_targets;
  for (std::size_t i = 0; i < n; i += 1 + data[i % size] % 7) {
    targets.push_back(values[i]);
    if (values[i] != kMax) targets.push_back(values[i] + 1);
  }
  std::vector<std::int64_t> out(targets.size());
  array.search_many(targets, out, 1);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (out[i] != lower_bound_index(values, targets[i])) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(std::int64_t)) return 0;
  std::int64_t target;
  std::memcpy(&target, data, sizeof target);
  std::vector<std::int64_t> values((size - sizeof target) / sizeof(std::int64_t));
  if (!values.empty()) {
    std::memcpy(values.data(), data + sizeof target, values.size() * sizeof(std::int64_t));
  }
  // Small-range targets too, so hits are common; then every value (and its neighbour) as a
  // target, so a batch covers every lane-count remainder and the duplicates.
  std::vector<std::int64_t> targets = {target, target % 16,
                                       values.empty() ? 0 : values[values.size() / 2]};
  for (std::int64_t v : values) {
    targets.push_back(v);
    targets.push_back(v ^ 1);
  }
  const auto n = static_cast<std::int64_t>(values.size());

  for (std::int64_t t : targets) {
    auto at = [&](std::size_t i) { return values.at(i); };  // .at(): an OOB read would throw
    const std::int64_t got = peaje::search_leftmost_by(values.size(), at, t);
    if (got < -1 || got >= n) std::abort();
  }
  // The batch over the unsorted values: in bounds (ASan), in range, a hit is a match.
  std::vector<std::int64_t> out(targets.size());
  peaje::search_many(values, targets, out, 1);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (out[i] < -1 || out[i] >= n) std::abort();
    if (out[i] >= 0 && values[static_cast<std::size_t>(out[i])] != targets[i]) std::abort();
  }

  std::vector<std::int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const peaje::SortedArray array(sorted);
  array.search_many(targets, out, 2);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::int64_t t = targets[i];
    const std::int64_t expected = lower_bound_index(sorted, t);
    auto at = [&](std::size_t j) { return sorted.at(j); };
    if (out[i] != expected || peaje::search_leftmost_by(sorted.size(), at, t) != expected ||
        array.search(t) != expected) {
      std::abort();
    }
  }
  // One input in four (the array is 16k+ values: slow under ASan), chosen by its last byte.
  if (data[size - 1] % 4 == 0) check_indexed(data, size, targets);
  return 0;
}

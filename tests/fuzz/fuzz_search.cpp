// Fuzzes binary search over arbitrary (often unsorted) arrays: reads stay in bounds, results
// stay in [-1, n), and on the sorted copy the answer equals std::lower_bound's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "peaje/search.hpp"
#include "peaje/sorted_array.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(std::int64_t)) return 0;
  std::int64_t target;
  std::memcpy(&target, data, sizeof target);
  std::vector<std::int64_t> values((size - sizeof target) / sizeof(std::int64_t));
  if (!values.empty()) {
    std::memcpy(values.data(), data + sizeof target, values.size() * sizeof(std::int64_t));
  }
  // Small-range targets too, so hits are common.
  for (std::int64_t t : {target, target % 16, values.empty() ? 0 : values[values.size() / 2]}) {
    auto at = [&](std::size_t i) { return values.at(i); };  // .at(): an OOB read would throw
    const std::int64_t got = peaje::search_leftmost_by(values.size(), at, t);
    if (got < -1 || got >= static_cast<std::int64_t>(values.size())) std::abort();

    std::vector<std::int64_t> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    const peaje::SortedArray array(sorted);
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), t);
    const std::int64_t expected = (it != sorted.end() && *it == t) ? it - sorted.begin() : -1;
    if (array.search(t) != expected) std::abort();
    std::vector<std::int64_t> out(1);
    const std::vector<std::int64_t> targets = {t};
    array.search_many(targets, out, 3);
    if (out[0] != expected) std::abort();
  }
  return 0;
}

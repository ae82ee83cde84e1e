#include "peaje/sorted_array.hpp"

#include "peaje/dataset.hpp"
#include "peaje/search.hpp"

namespace peaje {

SortedArray::SortedArray(std::vector<std::int64_t> values) : values_(std::move(values)) {
  require_sorted(values_);
  index_ = SearchIndex(values_);
}

SortedArray SortedArray::from_spec(std::string_view spec) {
  SortedArray array;
  array.values_ = DatasetSpec::parse(spec).generate();  // ascending by construction
  array.index_ = SearchIndex(array.values_);
  return array;
}

std::int64_t SortedArray::search(std::int64_t target) const noexcept {
  return search_leftmost(values_, target);
}

void SortedArray::search_many(std::span<const std::int64_t> targets, std::span<std::int64_t> out,
                              std::int64_t repeat) const {
  peaje::search_many(values_, index_, targets, out, repeat);
}

}  // namespace peaje

// An owned, validated, ascending int64 array: the data that stays on the native side.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "peaje/search.hpp"

namespace peaje {

class SortedArray {
 public:
  SortedArray() = default;
  // Validates order once; throws kInvalidArgument naming the first unsorted index.
  explicit SortedArray(std::vector<std::int64_t> values);
  // Builds the dataset a spec string names ("range:N", "range:N:STEP").
  static SortedArray from_spec(std::string_view spec);

  std::span<const std::int64_t> values() const noexcept { return values_; }
  std::size_t size() const noexcept { return values_.size(); }
  std::size_t nbytes() const noexcept { return values_.size() * sizeof(std::int64_t); }
  // The table each batch search narrows its windows by (built with the values).
  const SearchIndex& index() const noexcept { return index_; }

  std::int64_t search(std::int64_t target) const noexcept;
  void search_many(std::span<const std::int64_t> targets, std::span<std::int64_t> out,
                   std::int64_t repeat = 1) const;

 private:
  std::vector<std::int64_t> values_;
  SearchIndex index_;
};

}  // namespace peaje

// Resident datasets of the server: built once per spec, shared read-only across call threads.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "peaje/sorted_array.hpp"

namespace peaje::server {

// A bounded LRU of SortedArrays keyed by canonical spec. An array handed out stays valid after
// eviction (shared ownership); a spec is built by one thread while the others asking for it wait.
class DatasetCache {
 public:
  explicit DatasetCache(std::size_t capacity) : capacity_(capacity) {}

  // Throws the core's errors for a malformed or too large spec.
  std::shared_ptr<const SortedArray> get(std::string_view spec);

  std::size_t size() const;
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  struct Slot {
    std::mutex building;  // held while the array is generated; not std::call_once, which
                          // libstdc++ < 14 can deadlock when the callable throws
    std::shared_ptr<const SortedArray> array;
  };
  using Recency = std::list<std::string>;  // most recently used first

  std::size_t capacity_;
  mutable std::mutex mutex_;
  Recency recency_;
  std::unordered_map<std::string, std::pair<std::shared_ptr<Slot>, Recency::iterator>> slots_;
};

}  // namespace peaje::server

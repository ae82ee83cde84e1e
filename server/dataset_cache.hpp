// Resident datasets of the server: built once per spec, shared read-only across call threads,
// within one byte budget for everything the server holds on behalf of requests.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "peaje/sorted_array.hpp"

namespace peaje::server {

// A byte budget shared by cached arrays, arrays being built, arrays still held by calls after
// eviction, and reservations (a call's inline values). A request that would exceed it first
// evicts idle cached arrays, then waits until its deadline for others to finish, then fails
// with kTooLarge (RESOURCE_EXHAUSTED). Within the budget, an LRU of at most `capacity` arrays,
// keyed by canonical spec; concurrent requests for one spec build it once (single flight).
class DatasetCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kDefaultBudgetBytes = std::size_t{512} << 20;
  // How long a request waits for the budget when its call has no earlier deadline.
  static constexpr std::chrono::milliseconds kMaxWait{5000};

  explicit DatasetCache(std::size_t capacity, std::size_t budget_bytes = kDefaultBudgetBytes);

  // Throws the core's errors for a malformed or too large spec, kTooLarge when the budget stays
  // full until `deadline`.
  std::shared_ptr<const SortedArray> get(std::string_view spec, Clock::time_point deadline);
  std::shared_ptr<const SortedArray> get(std::string_view spec) {
    return get(spec, Clock::now() + kMaxWait);
  }

  // The array of `spec` if it is cached and built, else null (also for a spec that does not
  // parse): never builds, waits or throws, so gRPC's callback threads may ask.
  std::shared_ptr<const SortedArray> find_built(std::string_view spec) noexcept;

  // Holds `bytes` of the budget while the returned handle lives. `what` names the use in the
  // error when it does not fit by `deadline`.
  std::shared_ptr<void> reserve(std::size_t bytes, std::string_view what,
                                Clock::time_point deadline);

  // Bytes released (arrays dropped, reservations ended) since the last call; the server's
  // trimmer reads it to return memory to the system after a burst.
  std::size_t take_released_bytes() noexcept { return budget_->released_bytes.exchange(0); }

  std::size_t size() const;          // arrays cached
  std::size_t bytes_in_use() const;  // what the budget counts right now
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t budget_bytes() const noexcept { return budget_bytes_; }

 private:
  struct Slot {
    std::shared_ptr<const SortedArray> array;  // set once built
    bool failed = false;                       // the build threw; waiters retry
  };
  using Recency = std::list<std::string>;  // built arrays, most recently used first
  struct Entry {
    std::shared_ptr<Slot> slot;
    Recency::iterator recency;  // recency_.end() while building
  };
  // What outlives the cache: arrays and reservations release their bytes here when dropped.
  struct Budget {
    std::mutex mutex;
    std::condition_variable released;
    std::size_t in_use = 0;
    std::atomic<std::size_t> released_bytes = 0;
    void release(std::size_t bytes);
  };

  // Takes `bytes` of the budget, evicting idle arrays and waiting as needed. Holds `lock`.
  void acquire(std::unique_lock<std::mutex>& lock, std::size_t bytes, std::string_view what,
               Clock::time_point deadline);
  std::shared_ptr<const SortedArray> build(const std::string& key, std::size_t bytes,
                                           const std::shared_ptr<Slot>& slot);

  const std::size_t capacity_;
  const std::size_t budget_bytes_;
  std::shared_ptr<Budget> budget_ = std::make_shared<Budget>();
  Recency recency_;
  std::unordered_map<std::string, Entry> slots_;  // guarded by budget_->mutex
};

}  // namespace peaje::server

#include "dataset_cache.hpp"

#include <vector>

#include "peaje/dataset.hpp"
#include "peaje/error.hpp"

namespace peaje::server {
namespace {

std::string mib(std::size_t bytes) {
  const std::size_t tenths = (bytes * 10 + (std::size_t{1} << 19)) >> 20;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

}  // namespace

void DatasetCache::Budget::release(std::size_t bytes) {
  {
    std::lock_guard lock(mutex);
    in_use -= bytes;
  }
  released_bytes += bytes;
  released.notify_all();
}

DatasetCache::DatasetCache(std::size_t capacity, std::size_t budget_bytes)
    : capacity_(capacity), budget_bytes_(budget_bytes) {}

void DatasetCache::acquire(std::unique_lock<std::mutex>& lock, std::size_t bytes,
                           std::string_view what, Clock::time_point deadline) {
  if (bytes > budget_bytes_) {
    throw too_large(std::string(what) + " needs " + mib(bytes) + ", more than the server's whole " +
                    "dataset budget of " + mib(budget_bytes_) + " (--dataset-budget-bytes)");
  }
  while (budget_->in_use + bytes > budget_bytes_) {
    if (!recency_.empty()) {  // evict the least recently used array; freed once no call holds it
      const auto found = slots_.find(recency_.back());
      std::shared_ptr<Slot> evicted = std::move(found->second.slot);
      slots_.erase(found);
      recency_.pop_back();
      lock.unlock();
      evicted.reset();  // may be the last reference: its deleter takes the lock
      lock.lock();
      continue;
    }
    if (Clock::now() >= deadline ||
        budget_->released.wait_until(lock, deadline) == std::cv_status::timeout) {
      if (budget_->in_use + bytes <= budget_bytes_) break;
      throw too_large("server busy: " + std::string(what) + " needs " + mib(bytes) + " but " +
                      mib(budget_->in_use) + " of the " + mib(budget_bytes_) +
                      " dataset budget (--dataset-budget-bytes) is held by calls in flight; retry");
    }
  }
  budget_->in_use += bytes;
}

std::shared_ptr<const SortedArray> DatasetCache::get(std::string_view spec,
                                                     Clock::time_point deadline) {
  const DatasetSpec parsed = DatasetSpec::parse(spec);
  const std::string key = parsed.canonical();  // "range:5" and "range:5:1" share
  const std::size_t bytes = static_cast<std::size_t>(parsed.size) * sizeof(std::int64_t);
  std::unique_lock lock(budget_->mutex);
  for (;;) {
    if (const auto found = slots_.find(key); found != slots_.end()) {
      const std::shared_ptr<Slot> slot = found->second.slot;
      if (slot->array) {
        recency_.splice(recency_.begin(), recency_, found->second.recency);
        return slot->array;
      }
      // Single flight: another call is building this spec; wait for it (or its failure).
      budget_->released.wait(lock, [&] { return slot->array || slot->failed; });
      if (slot->array) return slot->array;
      continue;
    }
    acquire(lock, bytes, "dataset " + key, deadline);
    if (slots_.contains(key)) {  // built or started by another call while this one waited
      budget_->in_use -= bytes;
      continue;
    }
    auto slot = std::make_shared<Slot>();
    slots_.emplace(key, Entry{slot, recency_.end()});
    lock.unlock();
    return build(key, bytes, slot);
  }
}

std::shared_ptr<const SortedArray> DatasetCache::find_built(std::string_view spec) noexcept {
  try {
    const std::string key = DatasetSpec::parse(spec).canonical();
    std::lock_guard lock(budget_->mutex);
    const auto found = slots_.find(key);
    if (found == slots_.end() || !found->second.slot->array) return nullptr;
    recency_.splice(recency_.begin(), recency_, found->second.recency);
    return found->second.slot->array;
  } catch (...) {
    return nullptr;
  }
}

std::shared_ptr<const SortedArray> DatasetCache::build(const std::string& key, std::size_t bytes,
                                                       const std::shared_ptr<Slot>& slot) {
  std::shared_ptr<const SortedArray> array;
  try {
    // The array carries its share of the budget until its last holder drops it.
    array = std::shared_ptr<const SortedArray>(new SortedArray(SortedArray::from_spec(key)),
                                               [budget = budget_, bytes](const SortedArray* done) {
                                                 delete done;
                                                 budget->release(bytes);
                                               });
  } catch (...) {
    std::unique_lock lock(budget_->mutex);
    budget_->in_use -= bytes;
    slot->failed = true;
    slots_.erase(key);
    lock.unlock();
    budget_->released.notify_all();
    throw;
  }
  std::vector<std::shared_ptr<Slot>> evicted;  // dropped after the lock is released
  {
    std::lock_guard lock(budget_->mutex);
    slot->array = array;
    const auto found = slots_.find(key);
    if (capacity_ == 0) {
      evicted.push_back(std::move(found->second.slot));
      slots_.erase(found);
    } else {
      recency_.push_front(key);
      found->second.recency = recency_.begin();
      while (recency_.size() > capacity_) {
        const auto oldest = slots_.find(recency_.back());
        evicted.push_back(std::move(oldest->second.slot));
        slots_.erase(oldest);
        recency_.pop_back();
      }
    }
  }
  budget_->released.notify_all();
  return array;
}

std::shared_ptr<void> DatasetCache::reserve(std::size_t bytes, std::string_view what,
                                            Clock::time_point deadline) {
  {
    std::unique_lock lock(budget_->mutex);
    acquire(lock, bytes, what, deadline);
  }
  return std::shared_ptr<void>(nullptr,
                               [budget = budget_, bytes](void*) { budget->release(bytes); });
}

std::size_t DatasetCache::size() const {
  std::lock_guard lock(budget_->mutex);
  return recency_.size();
}

std::size_t DatasetCache::bytes_in_use() const {
  std::lock_guard lock(budget_->mutex);
  return budget_->in_use;
}

}  // namespace peaje::server

#include "dataset_cache.hpp"

#include "peaje/dataset.hpp"

namespace peaje::server {

std::shared_ptr<const SortedArray> DatasetCache::get(std::string_view spec) {
  std::string key = DatasetSpec::parse(spec).canonical();  // "range:5" and "range:5:1" share
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mutex_);
    if (auto found = slots_.find(key); found != slots_.end()) {
      recency_.splice(recency_.begin(), recency_, found->second.second);
      slot = found->second.first;
    } else {
      slot = std::make_shared<Slot>();
      recency_.push_front(key);
      slots_.emplace(key, std::make_pair(slot, recency_.begin()));
      while (slots_.size() > capacity_) {
        slots_.erase(recency_.back());
        recency_.pop_back();
      }
    }
  }
  std::lock_guard building(slot->building);
  if (!slot->array) {
    slot->array = std::make_shared<const SortedArray>(SortedArray::from_spec(key));
  }
  return slot->array;
}

std::size_t DatasetCache::size() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

}  // namespace peaje::server

#include "dataset_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "peaje/error.hpp"

namespace peaje::server {
namespace {

TEST(DatasetCache, BuildsOncePerCanonicalSpec) {
  DatasetCache cache(4);
  const auto first = cache.get("range:5");
  const auto again = cache.get("range:5:1");  // same dataset, other spelling
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(cache.size(), 1u);
  ASSERT_EQ(first->size(), 5u);
  EXPECT_EQ(first->values()[4], 4);
}

TEST(DatasetCache, EvictsLeastRecentlyUsedAndKeepsHandedOutArraysAlive) {
  DatasetCache cache(2);
  const auto a = cache.get("range:1");
  const auto b = cache.get("range:2");
  cache.get("range:1");  // a is now the most recent
  cache.get("range:3");  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.get("range:1").get(), a.get());
  EXPECT_NE(cache.get("range:2").get(), b.get());  // rebuilt
  EXPECT_EQ(b->size(), 2u);                        // still valid for its holder
}

TEST(DatasetCache, CapacityZeroBuildsEveryTime) {
  DatasetCache cache(0);
  EXPECT_EQ(cache.get("range:3")->size(), 3u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DatasetCache, BadSpecsThrowTheCoresErrorsAndAreNotCached) {
  DatasetCache cache(4);
  try {
    cache.get("range:x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
  try {
    cache.get("range:10000001");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kTooLarge);
  }
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DatasetCache, ConcurrentCallersShareOneArray) {
  DatasetCache cache(2);
  std::vector<const SortedArray*> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] { seen[i] = cache.get("range:1000000").get(); });
  }
  for (auto& t : threads) t.join();
  for (const auto* array : seen) EXPECT_EQ(array, seen[0]);
  EXPECT_EQ(cache.size(), 1u);
}

constexpr std::size_t kMiB = std::size_t{1} << 20;

TEST(DatasetCache, ConcurrentCallersBuildOneSpecOnce) {
  DatasetCache cache(2, 64 * kMiB);
  std::vector<std::shared_ptr<const SortedArray>> held(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < held.size(); ++i) {
    threads.emplace_back(
        [&, i] { held[i] = cache.get(i % 2 ? "range:4000000" : "range:4000000:1"); });
  }
  for (auto& t : threads) t.join();
  // One array of 32 MB counted, not eight: the others waited for the one build.
  EXPECT_EQ(cache.bytes_in_use(), 4'000'000u * 8);
  for (const auto& array : held) EXPECT_EQ(array.get(), held[0].get());
}

TEST(DatasetCache, BudgetCountsArraysInUseAndRefusesPastIt) {
  DatasetCache cache(8, 3 * 8 * kMiB);  // room for three arrays of 1 Mi values
  const auto a = cache.get("range:1048576:1");
  const auto b = cache.get("range:1048576:2");
  auto c = cache.get("range:1048576:3");
  EXPECT_EQ(cache.bytes_in_use(), 3 * 8 * kMiB);
  // Cached arrays that calls still hold are evicted but still count until dropped.
  const auto start = DatasetCache::Clock::now();
  try {
    cache.get("range:1048576:4", start + std::chrono::milliseconds(100));
    FAIL() << "expected the budget to be exhausted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kTooLarge);
    EXPECT_NE(std::string(e.what()).find("dataset budget"), std::string::npos) << e.what();
  }
  EXPECT_GE(DatasetCache::Clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(cache.size(), 0u);  // every idle-looking entry was evicted to make room
  // A waiting request gets in as soon as a holder lets go.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    c.reset();
  });
  const auto d = cache.get("range:1048576:4", DatasetCache::Clock::now() + std::chrono::seconds(5));
  release.join();
  EXPECT_EQ(d->values()[1], 4);
  EXPECT_EQ(cache.bytes_in_use(), 3 * 8 * kMiB);
}

TEST(DatasetCache, IdleCachedArraysAreEvictedForNewOnesAndMemoryIsReleased) {
  DatasetCache cache(8, 2 * 8 * kMiB);
  cache.get("range:1048576:1");
  cache.get("range:1048576:2");
  cache.get("range:1048576:3");  // evicts :1, nobody holds it: freed at once
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes_in_use(), 2 * 8 * kMiB);
}

TEST(DatasetCache, ASpecLargerThanTheWholeBudgetIsRefusedAtOnce) {
  DatasetCache cache(8, 8 * kMiB);
  try {
    cache.get("range:2000000");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kTooLarge);
    EXPECT_NE(std::string(e.what()).find("more than the server's whole"), std::string::npos);
  }
  EXPECT_EQ(cache.bytes_in_use(), 0u);
}

TEST(DatasetCache, ReservationsShareTheBudget) {
  DatasetCache cache(8, 16 * kMiB);
  auto held = cache.reserve(12 * kMiB, "inline values", DatasetCache::Clock::now());
  EXPECT_EQ(cache.bytes_in_use(), 12 * kMiB);
  EXPECT_THROW(cache.get("range:1048576", DatasetCache::Clock::now()), Error);
  held.reset();
  EXPECT_EQ(cache.bytes_in_use(), 0u);
  EXPECT_EQ(cache.get("range:1048576", DatasetCache::Clock::now())->size(), 1048576u);
}

}  // namespace
}  // namespace peaje::server

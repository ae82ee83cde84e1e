#include "dataset_cache.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace peaje::server

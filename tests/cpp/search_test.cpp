// Core search: leftmost index, bounds, caps, and order validation.
#include "peaje/search.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/sorted_array.hpp"

namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

TEST(SearchLeftmost, FindsLeftmostOfDuplicates) {
  const std::vector<std::int64_t> values = {1, 2, 2, 2, 3};
  EXPECT_EQ(peaje::search_leftmost(values, 2), 1);
  EXPECT_EQ(peaje::search_leftmost(values, 1), 0);
  EXPECT_EQ(peaje::search_leftmost(values, 3), 4);
}

TEST(SearchLeftmost, MissingAndBeyondEitherEndIsMinusOne) {
  const std::vector<std::int64_t> values = {10, 20, 30};
  for (std::int64_t t : {kMin, std::int64_t{9}, std::int64_t{15}, std::int64_t{31}, kMax}) {
    EXPECT_EQ(peaje::search_leftmost(values, t), -1) << t;
  }
}

TEST(SearchLeftmost, EmptyValues) { EXPECT_EQ(peaje::search_leftmost({}, 0), -1); }

TEST(SearchLeftmost, Int64Limits) {
  const std::vector<std::int64_t> values = {kMin, -1, 0, kMax};
  EXPECT_EQ(peaje::search_leftmost(values, kMin), 0);
  EXPECT_EQ(peaje::search_leftmost(values, kMax), 3);
}

TEST(SearchLeftmostBy, ReadsOnlyInBoundsAndFewTimesEvenUnsorted) {
  const std::vector<std::int64_t> values = {9, 1, 8, 2, 7, 3, 6, 4, 5};
  for (std::int64_t target = -1; target < 11; ++target) {
    int reads = 0;
    auto at = [&](std::size_t i) {
      EXPECT_LT(i, values.size());
      ++reads;
      return values.at(i);
    };
    const std::int64_t got = peaje::search_leftmost_by(values.size(), at, target);
    EXPECT_GE(got, -1);
    EXPECT_LT(got, static_cast<std::int64_t>(values.size()));
    EXPECT_LE(reads, 6);  // ceil(log2(10)) + 1
  }
}

TEST(SearchMany, RepeatReturnsResultsOnce) {
  const std::vector<std::int64_t> values = {0, 2, 4, 6};
  const std::vector<std::int64_t> targets = {4, 5, 0};
  std::vector<std::int64_t> out(3);
  peaje::search_many(values, targets, out, 1000);
  EXPECT_EQ(out, (std::vector<std::int64_t>{2, -1, 0}));
}

TEST(SearchMany, RefusesBadRepeatAndOversizedBatches) {
  const std::vector<std::int64_t> values = {1};
  std::vector<std::int64_t> targets = {1};
  std::vector<std::int64_t> out(1);
  for (std::int64_t repeat : {std::int64_t{0}, std::int64_t{-5}, peaje::limits::kMaxRepeat + 1}) {
    try {
      peaje::search_many(values, targets, out, repeat);
      FAIL() << "repeat " << repeat << " accepted";
    } catch (const peaje::Error& e) {
      EXPECT_EQ(e.kind(), peaje::ErrorKind::kInvalidArgument);
    }
  }
  try {
    peaje::check_batch(2000, peaje::limits::kMaxRepeat);
    FAIL() << "oversized batch accepted";
  } catch (const peaje::Error& e) {
    EXPECT_EQ(e.kind(), peaje::ErrorKind::kTooLarge);
  }
}

TEST(SortedArray, ValidatesOnceNamingFirstBadIndex) {
  try {
    peaje::SortedArray array({1, 2, 5, 4, 3});
    FAIL() << "unsorted accepted";
  } catch (const peaje::Error& e) {
    EXPECT_EQ(e.kind(), peaje::ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("values[3]"), std::string::npos) << e.what();
  }
  const peaje::SortedArray array({1, 1, 2});
  EXPECT_EQ(array.search(1), 0);
  EXPECT_EQ(array.nbytes(), 24u);
}

TEST(FirstUnsorted, ReportsIndexOrMinusOne) {
  EXPECT_EQ(peaje::first_unsorted(std::vector<std::int64_t>{1, 1, 2}), -1);
  EXPECT_EQ(peaje::first_unsorted(std::vector<std::int64_t>{kMax, kMin}), 1);
}

}  // namespace

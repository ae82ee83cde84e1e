// Core search: leftmost index, bounds, caps, and order validation.
#include "peaje/search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
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

// The reference: the branchy leftmost search, one target at a time.
std::vector<std::int64_t> reference(const std::vector<std::int64_t>& values,
                                    const std::vector<std::int64_t>& targets) {
  std::vector<std::int64_t> out;
  for (std::int64_t t : targets) {
    out.push_back(peaje::search_leftmost_by(
        values.size(), [&](std::size_t i) { return values.at(i); }, t));
  }
  return out;
}

// Targets every batch should try: each value, its neighbours, both ends of int64, and a few
// random ones, in a random order and count (so every lane-count remainder comes up).
std::vector<std::int64_t> targets_for(const std::vector<std::int64_t>& values,
                                      std::mt19937_64& rng) {
  std::vector<std::int64_t> targets = {kMin, kMin + 1, kMax - 1, kMax, 0, -1, 1};
  for (std::int64_t v : values) {
    targets.push_back(v);
    if (v > kMin) targets.push_back(v - 1);
    if (v < kMax) targets.push_back(v + 1);
  }
  for (int i = 0; i < 8; ++i) targets.push_back(static_cast<std::int64_t>(rng()));
  std::shuffle(targets.begin(), targets.end(), rng);
  targets.resize(std::uniform_int_distribution<std::size_t>(0, targets.size())(rng));
  return targets;
}

// Ascending values with many duplicates (a narrow range) or spread over int64 (extremes
// included).
std::vector<std::int64_t> sorted_values(std::size_t n, std::mt19937_64& rng, bool narrow) {
  std::vector<std::int64_t> values(n);
  std::uniform_int_distribution<std::int64_t> pick =
      narrow ? std::uniform_int_distribution<std::int64_t>(-3, 3)
             : std::uniform_int_distribution<std::int64_t>(kMin, kMax);
  for (auto& v : values) v = pick(rng);
  if (!narrow && n >= 2) {
    values[0] = kMin;
    values[1] = kMax;
  }
  std::sort(values.begin(), values.end());
  return values;
}

std::vector<std::int64_t> batch(const std::vector<std::int64_t>& values,
                                const std::vector<std::int64_t>& targets, std::int64_t repeat) {
  std::vector<std::int64_t> out(targets.size(), -2);
  peaje::search_many(values, targets, out, repeat);
  return out;
}

TEST(SearchMany, EqualsTheLeftmostReferenceOnEverySmallSize) {
  std::mt19937_64 rng(16);
  for (std::size_t n = 0; n <= 70; ++n) {
    for (int round = 0; round < 20; ++round) {
      const auto values = sorted_values(n, rng, round % 2 == 0);
      const auto targets = targets_for(values, rng);
      ASSERT_EQ(batch(values, targets, 1 + round % 3), reference(values, targets))
          << "n=" << n << " round " << round;
    }
  }
}

TEST(SearchMany, EqualsTheLeftmostReferenceOnLargeSizes) {
  std::mt19937_64 rng(17);
  // Around powers of two and the switch from 8 to 16 lanes (1 MiB of values).
  for (std::size_t n :
       {127u, 128u, 129u, 1000u, 4095u, 4096u, 4097u, 131071u, 131072u, 131073u, 300000u}) {
    for (bool narrow : {true, false}) {
      auto values = sorted_values(n, rng, narrow);
      std::vector<std::int64_t> targets;
      for (int i = 0; i < 2000; ++i) {
        targets.push_back(i % 2 ? values[rng() % n] : static_cast<std::int64_t>(rng()));
      }
      targets.push_back(kMin);
      targets.push_back(kMax);
      targets.push_back(values.front());
      targets.push_back(values.back());
      ASSERT_EQ(batch(values, targets, 1), reference(values, targets)) << "n=" << n;
    }
  }
}

TEST(SearchMany, AllEqualAndStrictlyAscendingRuns) {
  for (std::size_t n : {1u, 2u, 3u, 17u, 64u, 65u}) {
    const std::vector<std::int64_t> same(n, 7);
    const std::vector<std::int64_t> targets = {6, 7, 8, kMin, kMax, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    EXPECT_EQ(batch(same, targets, 1), reference(same, targets)) << n;
    std::vector<std::int64_t> ascending(n);
    for (std::size_t i = 0; i < n; ++i) ascending[i] = static_cast<std::int64_t>(2 * i);
    std::vector<std::int64_t> all;
    for (std::int64_t t = -2; t <= static_cast<std::int64_t>(2 * n + 1); ++t) all.push_back(t);
    EXPECT_EQ(batch(ascending, all, 1), reference(ascending, all)) << n;
  }
}

TEST(SearchMany, EmptyValuesAndEmptyTargets) {
  const std::vector<std::int64_t> none;
  EXPECT_EQ(batch(none, {kMin, 0, kMax, 1, 2, 3, 4, 5, 6, 7, 8}, 2),
            std::vector<std::int64_t>(11, -1));
  EXPECT_EQ(batch({1, 2, 3}, {}, 1), std::vector<std::int64_t>{});
}

// Unsorted values (lazy/buffer trust the caller's order): the vector is allocated to exactly n,
// so under ASan (make test-sanitize) any read outside [0, n) aborts; any answer i >= 0 must be
// an index whose value is the target.
TEST(SearchMany, UnsortedValuesStayInBoundsAndAnswerOnlyMatches) {
  std::mt19937_64 rng(18);
  for (std::size_t n = 0; n <= 70; ++n) {
    for (int round = 0; round < 10; ++round) {
      std::vector<std::int64_t> values(n);
      for (auto& v : values) v = static_cast<std::int64_t>(rng() % 9) - 4;
      if (round % 3 == 0) std::reverse(values.begin(), values.end());
      const auto targets = targets_for(values, rng);
      const auto got = batch(values, targets, 1);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        ASSERT_GE(got[i], -1);
        ASSERT_LT(got[i], static_cast<std::int64_t>(n));
        if (got[i] >= 0) ASSERT_EQ(values[static_cast<std::size_t>(got[i])], targets[i]);
      }
    }
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

// ---- SearchIndex: each search within its bucket's window -------------------------------------

std::vector<std::int64_t> leftmost_reference(const std::vector<std::int64_t>& values,
                                             const std::vector<std::int64_t>& targets) {
  std::vector<std::int64_t> out;
  for (const std::int64_t t : targets) out.push_back(peaje::search_leftmost(values, t));
  return out;
}

// Every value, its neighbours, the extremes and random targets (all lane remainders).
std::vector<std::int64_t> probing_targets(const std::vector<std::int64_t>& values, unsigned seed) {
  std::vector<std::int64_t> targets = {kMin, kMin + 1, kMax, kMax - 1, 0, -1, 1};
  for (std::size_t i = 0; i < values.size(); i += 1 + values.size() / 3000) {
    for (const std::int64_t d : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{1}}) {
      const std::int64_t v = values[i];
      if ((d < 0 && v == kMin) || (d > 0 && v == kMax)) continue;
      targets.push_back(v + d);
    }
  }
  targets.push_back(values.front());
  targets.push_back(values.back());
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1001; ++i) targets.push_back(static_cast<std::int64_t>(rng()));
  std::uniform_int_distribution<std::size_t> at(0, values.size() - 1);
  for (int i = 0; i < 1001; ++i) targets.push_back(values[at(rng)]);
  return targets;
}

void expect_index_answers_as_leftmost(const std::vector<std::int64_t>& values, unsigned seed) {
  const peaje::SortedArray array(values);
  const auto targets = probing_targets(values, seed);
  std::vector<std::int64_t> out(targets.size());
  array.search_many(targets, out, 1);
  ASSERT_EQ(out, leftmost_reference(values, targets)) << "n = " << values.size();
  // The same index through the free function, over the values' own span.
  std::vector<std::int64_t> again(targets.size());
  peaje::search_many(array.values(), array.index(), targets, again, 2);
  ASSERT_EQ(again, out);
}

TEST(SearchIndex, RangesOfEveryStepAndSizeAroundTheThreshold) {
  for (const std::size_t n : {peaje::SearchIndex::kMinValues - 1, peaje::SearchIndex::kMinValues,
                              peaje::SearchIndex::kMinValues + 1, std::size_t{100000},
                              std::size_t{131072}, std::size_t{200003}}) {
    for (const std::int64_t step : {std::int64_t{1}, std::int64_t{3}, std::int64_t{1000}}) {
      std::vector<std::int64_t> values(n);
      for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<std::int64_t>(i) * step - 7;
      const peaje::SortedArray array(values);
      EXPECT_EQ(array.index().usable(), n >= peaje::SearchIndex::kMinValues) << n;
      if (array.index().usable()) EXPECT_LE(array.index().window(), n / 1024) << n;
      expect_index_answers_as_leftmost(values, static_cast<unsigned>(n + step));
    }
  }
}

TEST(SearchIndex, SkewedDuplicatedAndExtremeValues) {
  std::mt19937_64 rng(77);
  const std::size_t n = 50000;
  // Exponentially spread (most values in a few buckets), with int64's ends.
  std::vector<std::int64_t> skewed(n);
  for (std::size_t i = 0; i < n; ++i) {
    skewed[i] = static_cast<std::int64_t>(rng() >> (rng() % 64)) - (std::int64_t{1} << 40);
  }
  skewed.front() = kMin;
  skewed.back() = kMax;
  std::sort(skewed.begin(), skewed.end());
  expect_index_answers_as_leftmost(skewed, 1);
  // Long runs of one value (a bucket holding most of the array), and all equal.
  std::vector<std::int64_t> runs(n);
  for (std::size_t i = 0; i < n; ++i) runs[i] = i < n / 2 ? 5 : static_cast<std::int64_t>(i);
  expect_index_answers_as_leftmost(runs, 2);
  expect_index_answers_as_leftmost(std::vector<std::int64_t>(n, kMin), 3);
  expect_index_answers_as_leftmost(std::vector<std::int64_t>(n, kMax), 4);
  // Everything at the top end: the last bucket's window is clamped to end by n.
  std::vector<std::int64_t> top(n);
  for (std::size_t i = 0; i < n; ++i) top[i] = kMax - static_cast<std::int64_t>(n - i) * 3;
  top.front() = kMin;
  expect_index_answers_as_leftmost(top, 5);
}

TEST(SearchIndex, AnIndexOfOtherValuesStillReadsInBounds) {
  // Built over 100,000 values, used over the first 20,000: windows are clamped to the span's
  // own end, and a window longer than the span falls back to the whole search.
  std::vector<std::int64_t> values(100000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int64_t>(i);
  const peaje::SearchIndex index(values);
  const std::vector<std::int64_t> shorter(values.begin(), values.begin() + 20000);
  const auto targets = probing_targets(values, 6);
  std::vector<std::int64_t> out(targets.size());
  peaje::search_many(shorter, index, targets, out, 1);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    ASSERT_GE(out[i], -1);
    ASSERT_LT(out[i], 20000);
    if (out[i] >= 0) ASSERT_EQ(shorter[static_cast<std::size_t>(out[i])], targets[i]);
  }
  const std::vector<std::int64_t> tiny(values.begin(), values.begin() + 10);
  std::vector<std::int64_t> few(3);
  peaje::search_many(tiny, index, std::vector<std::int64_t>{0, 9, 10}, few, 1);
  EXPECT_EQ(few, (std::vector<std::int64_t>{0, 9, -1}));
}

}  // namespace

// Dataset specs: strict parsing, caps, and identical generation.
#include "peaje/dataset.hpp"

#include <gtest/gtest.h>

#include <string>

#include "peaje/error.hpp"
#include "peaje/sorted_array.hpp"

namespace {

peaje::ErrorKind kind_of(const std::string& spec) {
  try {
    peaje::DatasetSpec::parse(spec);
  } catch (const peaje::Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted: " << spec;
  return peaje::ErrorKind::kWrongType;
}

TEST(DatasetSpec, ParsesRangeAndStep) {
  const auto spec = peaje::DatasetSpec::parse("range:5:3");
  EXPECT_EQ(spec.size, 5);
  EXPECT_EQ(spec.step, 3);
  EXPECT_EQ(spec.generate(), (std::vector<std::int64_t>{0, 3, 6, 9, 12}));
  EXPECT_EQ(peaje::DatasetSpec::parse("range:100000").canonical(), "range:100000:1");
  EXPECT_TRUE(peaje::DatasetSpec::parse("range:0").generate().empty());
}

TEST(DatasetSpec, RefusesMalformed) {
  for (const char* bad :
       {"", "range", "range:", "range:-1", "range:+1", "range: 1", "range:1 ", "rng:1", "range:1:0",
        "range:1:", "range:1:2:3", "range:0x10", "range:3:4611686018427387904"}) {
    EXPECT_EQ(kind_of(bad), peaje::ErrorKind::kInvalidArgument) << bad;
  }
}

TEST(DatasetSpec, RefusesTooLargeBeforeAllocating) {
  EXPECT_EQ(kind_of("range:10000001"), peaje::ErrorKind::kTooLarge);
  EXPECT_EQ(kind_of("range:99999999999999999999999999"), peaje::ErrorKind::kTooLarge);
}

TEST(DatasetSpec, LongHostileSpecIsNotEchoedWhole) {
  const std::string spec = "range:" + std::string(10000, 'x');
  try {
    peaje::DatasetSpec::parse(spec);
    FAIL();
  } catch (const peaje::Error& e) {
    EXPECT_LT(std::string(e.what()).size(), 200u);
  }
}

TEST(DatasetSpec, SortedArrayFromSpec) {
  const auto array = peaje::SortedArray::from_spec("range:100000");
  EXPECT_EQ(array.size(), 100000u);
  EXPECT_EQ(array.search(66666), 66666);
}

}  // namespace

// UTF-8 encoding under Python's error handlers, and dict-comprehension merge semantics.
#include "peaje/bytes_dict.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "peaje/error.hpp"

namespace {

std::string encode(const std::vector<std::uint32_t>& cps, peaje::Utf8Errors errors) {
  std::string out;
  peaje::encode_utf8(std::span<const std::uint32_t>(cps), errors, out);
  return out;
}

TEST(EncodeUtf8, EncodesEveryLength) {
  EXPECT_EQ(encode({0x41, 0x0, 0xF1, 0x65E5, 0x1F600}, peaje::Utf8Errors::kStrict),
            std::string("A\0\xC3\xB1\xE6\x97\xA5\xF0\x9F\x98\x80", 11));
}

TEST(EncodeUtf8, StrictRefusesSurrogateRun) {
  try {
    encode({0x61, 0xD800, 0xDC80, 0x62}, peaje::Utf8Errors::kStrict);
    FAIL();
  } catch (const peaje::EncodeError& e) {
    EXPECT_EQ(e.start(), 1u);
    EXPECT_EQ(e.end(), 3u);
  }
}

TEST(EncodeUtf8, SurrogatePassAndEscape) {
  EXPECT_EQ(encode({0xD800}, peaje::Utf8Errors::kSurrogatePass), "\xED\xA0\x80");
  EXPECT_EQ(encode({0xDC80, 0xDCFF}, peaje::Utf8Errors::kSurrogateEscape), "\x80\xFF");
  EXPECT_THROW(encode({0xD800}, peaje::Utf8Errors::kSurrogateEscape), peaje::EncodeError);
}

TEST(EncodeUtf8, NarrowCodeUnits) {
  std::string out;
  const std::vector<std::uint8_t> latin1 = {0x63, 0xE9};
  peaje::encode_utf8(std::span<const std::uint8_t>(latin1), peaje::Utf8Errors::kStrict, out);
  EXPECT_EQ(out, "c\xC3\xA9");
}

TEST(ParseUtf8Errors, KnowsThreeNames) {
  EXPECT_EQ(peaje::parse_utf8_errors("surrogatepass"), peaje::Utf8Errors::kSurrogatePass);
  EXPECT_THROW(peaje::parse_utf8_errors("ignore"), peaje::Error);
}

TEST(BytesDict, LaterWinsFirstPositionKept) {
  peaje::BytesDict dict;
  dict.insert("a", "1");
  dict.insert("b", "2");
  dict.insert("a", "3");
  dict.insert(std::string("\0k", 2), std::string("\0", 1));
  ASSERT_EQ(dict.size(), 3u);
  EXPECT_EQ(dict.entries()[0], (peaje::BytesDict::Entry{"a", "3"}));
  EXPECT_EQ(dict.entries()[1], (peaje::BytesDict::Entry{"b", "2"}));
  EXPECT_EQ(dict.entries()[2].first, std::string("\0k", 2));
}

TEST(BytesDict, ManyShortKeysSurviveReallocation) {
  peaje::BytesDict dict;
  for (int i = 0; i < 10000; ++i) dict.insert(std::to_string(i % 5000), std::to_string(i));
  ASSERT_EQ(dict.size(), 5000u);
  EXPECT_EQ(dict.entries()[7].second, "5007");
}

}  // namespace

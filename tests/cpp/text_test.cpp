// Messages echo caller text: cut on character boundaries, NUL and control bytes escaped.
#include "peaje/text.hpp"

#include <gtest/gtest.h>

#include <string>

#include "peaje/deadline.hpp"

namespace {

// True when `s` is well-formed UTF-8 (what every face must be able to decode).
bool valid_utf8(const std::string& s) { return peaje::truncate_utf8(s, s.size()) == s; }

TEST(TruncateUtf8, CutsOnCharacterBoundaries) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "\xc3\xa9";  // "é" * 50
  const std::string cut = peaje::truncate_utf8(text, 3);
  EXPECT_EQ(cut, "\xc3\xa9\xc3\xa9\xc3\xa9...");
  EXPECT_EQ(peaje::truncate_utf8("short", 80), "short");
  EXPECT_EQ(peaje::truncate_utf8("\xf0\x9f\x98\x80x", 1), "\xf0\x9f\x98\x80...");
}

TEST(Quoted, EscapesNulAndControlBytesAndKeepsTheRest) {
  const std::string spec("range:5\0:2", 10);
  EXPECT_EQ(peaje::quoted(spec), "'range:5\\x00:2'");
  EXPECT_EQ(peaje::quoted("a\\b\n"), "'a\\\\b\\x0a'");
  EXPECT_EQ(peaje::quoted("\xff\xc3"), "'\\xff\\xc3'");  // invalid UTF-8 is escaped, not kept
  EXPECT_EQ(peaje::quoted("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");  // an encoded lone surrogate
}

TEST(Quoted, LongNonAsciiTextStaysValidUtf8) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "\xe2\x82\xac";  // "€" * 1000
  const std::string q = peaje::quoted(text, 64);
  EXPECT_TRUE(q.ends_with("...'"));
  EXPECT_EQ(q.size(), 1 + 64 * 3 + 3 + 1);
  EXPECT_TRUE(valid_utf8(q));
}

TEST(Deadline, ExpiresAndNeverIsNever) {
  EXPECT_FALSE(peaje::Deadline().expired());
  EXPECT_TRUE(peaje::Deadline::after(0).expired());
  EXPECT_TRUE(peaje::Deadline::after(-1).expired());
  EXPECT_FALSE(peaje::Deadline::after(3600).expired());
  EXPECT_FALSE(peaje::Deadline::after(1e300).is_set());
}

}  // namespace

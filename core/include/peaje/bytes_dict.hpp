// The talk's BytesDict done safely: text and bytes entries to an ordered bytes -> bytes map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace peaje {

// How lone surrogates (U+D800..U+DFFF) are encoded, as in Python's str.encode.
enum class Utf8Errors { kStrict, kSurrogatePass, kSurrogateEscape };

// Throws kInvalidArgument for a name other than strict, surrogatepass or surrogateescape.
Utf8Errors parse_utf8_errors(std::string_view name);

// Appends the UTF-8 encoding of `code_points` (code units of width 1, 2 or 4 bytes, as CPython
// stores str) to `out`. Throws EncodeError with the code point positions of the refused run.
void encode_utf8(std::span<const std::uint8_t> code_points, Utf8Errors errors, std::string& out);
void encode_utf8(std::span<const std::uint16_t> code_points, Utf8Errors errors, std::string& out);
void encode_utf8(std::span<const std::uint32_t> code_points, Utf8Errors errors, std::string& out);

// Insertion-ordered bytes -> bytes map with dict-comprehension semantics: a repeated key keeps
// its first position and takes the later value.
class BytesDict {
 public:
  using Entry = std::pair<std::string, std::string>;

  void reserve(std::size_t n);
  void insert(std::string key, std::string value);
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // key -> position in entries_
};

}  // namespace peaje

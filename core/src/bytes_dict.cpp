#include "peaje/bytes_dict.hpp"

#include "peaje/error.hpp"
#include "peaje/text.hpp"

namespace peaje {
namespace {

constexpr std::uint32_t kSurrogateFirst = 0xD800;
constexpr std::uint32_t kSurrogateLast = 0xDFFF;
constexpr std::uint32_t kEscapeFirst = 0xDC80;  // surrogateescape maps U+DC80..U+DCFF to 0x80..0xFF
constexpr std::uint32_t kEscapeLast = 0xDCFF;
constexpr std::uint32_t kMaxCodePoint = 0x10FFFF;

void append_utf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_surrogate(std::uint32_t cp) { return cp >= kSurrogateFirst && cp <= kSurrogateLast; }

template <class CodeUnit>
void encode(std::span<const CodeUnit> text, Utf8Errors errors, std::string& out) {
  out.reserve(out.size() + text.size() * sizeof(CodeUnit));
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::uint32_t cp = text[i];
    if (cp > kMaxCodePoint) throw EncodeError(i, i + 1, "code point beyond U+10FFFF");
    if (!is_surrogate(cp)) {
      append_utf8(cp, out);
      continue;
    }
    if (errors == Utf8Errors::kSurrogatePass) {
      append_utf8(cp, out);
    } else if (errors == Utf8Errors::kSurrogateEscape && cp >= kEscapeFirst && cp <= kEscapeLast) {
      out.push_back(static_cast<char>(cp - 0xDC00));
    } else {
      // Report up to the end of the surrogate run, as CPython's encoder does.
      std::size_t end = i + 1;
      while (end < text.size() && is_surrogate(text[end])) ++end;
      throw EncodeError(i, end, "surrogates not allowed");
    }
  }
}

}  // namespace

Utf8Errors parse_utf8_errors(std::string_view name) {
  if (name == "strict") return Utf8Errors::kStrict;
  if (name == "surrogatepass") return Utf8Errors::kSurrogatePass;
  if (name == "surrogateescape") return Utf8Errors::kSurrogateEscape;
  throw invalid_argument("errors must be 'strict', 'surrogatepass' or 'surrogateescape', got " +
                         quoted(name, 32));
}

void encode_utf8(std::span<const std::uint8_t> code_points, Utf8Errors errors, std::string& out) {
  encode(code_points, errors, out);
}
void encode_utf8(std::span<const std::uint16_t> code_points, Utf8Errors errors, std::string& out) {
  encode(code_points, errors, out);
}
void encode_utf8(std::span<const std::uint32_t> code_points, Utf8Errors errors, std::string& out) {
  encode(code_points, errors, out);
}

void BytesDict::reserve(std::size_t n) {
  entries_.reserve(n);
  index_.reserve(n);
}

void BytesDict::insert(std::string key, std::string value) {
  auto [it, inserted] = index_.try_emplace(key, entries_.size());
  if (inserted) {
    entries_.emplace_back(std::move(key), std::move(value));
  } else {
    entries_[it->second].second = std::move(value);  // later wins, first position kept
  }
}

}  // namespace peaje

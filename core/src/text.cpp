#include "peaje/text.hpp"

#include <cstdint>

namespace peaje {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when the byte there does not
// start one (a stray continuation byte, a truncated or overlong sequence, a surrogate).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<std::uint8_t>(text[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto byte = static_cast<std::uint8_t>(text[i + k]);
    if ((byte & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte & 0x3F);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF) return 0;
  return n;
}

void append_hex_escape(std::uint8_t byte, std::string& out) {
  constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0xF]);
}

}  // namespace

std::string truncate_utf8(std::string_view text, std::size_t max_chars) {
  std::size_t i = 0;
  std::size_t chars = 0;
  while (i < text.size() && chars < max_chars) {
    const std::size_t n = utf8_sequence_length(text, i);
    i += n == 0 ? 1 : n;
    ++chars;
  }
  if (i >= text.size()) return std::string(text);
  return std::string(text.substr(0, i)) + "...";
}

std::string quoted(std::string_view text, std::size_t max_chars) {
  std::string out = "'";
  std::size_t i = 0;
  std::size_t chars = 0;
  while (i < text.size() && chars < max_chars) {
    const auto byte = static_cast<std::uint8_t>(text[i]);
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0 || byte < 0x20 || byte == 0x7F) {
      append_hex_escape(byte, out);
      i += 1;
    } else if (byte == '\\') {
      out += "\\\\";
      i += 1;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
    ++chars;
  }
  if (i < text.size()) out += "...";
  out += "'";
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<std::uint8_t>(text[i]);
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0 || byte < 0x20 || byte == 0x7F) {
      append_hex_escape(byte, out);
      i += 1;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace peaje

// Fuzzes the UTF-8 encoder and BytesDict: never a crash, and strict output is valid UTF-8 that
// decodes back to the input code points.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "peaje/bytes_dict.hpp"
#include "peaje/error.hpp"

namespace {

// Minimal strict UTF-8 decoder for the check (surrogates refused, shortest form only).
bool decode(const std::string& s, std::vector<std::uint32_t>& out) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(cp);
    i += len;
  }
  return true;
}

template <class Unit>
void check(const std::uint8_t* data, std::size_t size, peaje::Utf8Errors errors) {
  std::vector<Unit> units(size / sizeof(Unit));
  if (!units.empty()) std::memcpy(units.data(), data, units.size() * sizeof(Unit));
  std::string out;
  try {
    peaje::encode_utf8(std::span<const Unit>(units), errors, out);
  } catch (const peaje::EncodeError& e) {
    if (!(e.start() < e.end() && e.end() <= units.size())) std::abort();
    return;
  }
  if (errors == peaje::Utf8Errors::kStrict) {
    std::vector<std::uint32_t> decoded;
    if (!decode(out, decoded)) std::abort();
    if (decoded.size() != units.size()) std::abort();
    for (std::size_t i = 0; i < units.size(); ++i) {
      if (decoded[i] != units[i]) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto errors = static_cast<peaje::Utf8Errors>(data[0] % 3);
  const int width = (data[0] / 3) % 3;
  ++data;
  --size;
  if (width == 0) check<std::uint8_t>(data, size, errors);
  if (width == 1) check<std::uint16_t>(data, size, errors);
  if (width == 2) check<std::uint32_t>(data, size, errors);

  // BytesDict: split the input into key/value chunks; the map must keep dict semantics.
  peaje::BytesDict dict;
  std::size_t inserted = 0;
  for (std::size_t i = 0; i + 2 <= size;) {
    const std::size_t klen = data[i] % 8, vlen = data[i + 1] % 8;
    i += 2;
    if (i + klen + vlen > size) break;
    dict.insert(std::string(reinterpret_cast<const char*>(data + i), klen),
                std::string(reinterpret_cast<const char*>(data + i + klen), vlen));
    i += klen + vlen;
    ++inserted;
  }
  if (dict.size() > inserted) std::abort();
  return 0;
}

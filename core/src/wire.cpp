// peaje::wire (see wire.hpp). Two passes over the request: the first walks the fields and
// counts the targets (so the caps refuse a huge batch before anything is stored), the second
// decodes them; both check every length against the bytes that are there.
#include "peaje/wire.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "peaje/error.hpp"
#include "peaje/search.hpp"

namespace peaje::wire {
namespace {

enum WireType : std::uint32_t {
  kVarint = 0,
  kI64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kI32 = 5
};

[[noreturn]] void malformed(const std::string& why) {
  throw invalid_argument("the body is not a valid peaje.v1.SearchRequest message: " + why);
}

class Reader {
 public:
  Reader(const std::uint8_t* p, const std::uint8_t* end) noexcept : p_(p), end_(end) {}
  bool done() const noexcept { return p_ == end_; }
  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  const std::uint8_t* at() const noexcept { return p_; }

  // A field tag: a varint of at most 5 bytes holding 32 bits, as protobuf's parsers read it.
  std::uint32_t tag() {
    std::uint64_t value = 0;
    for (int i = 0; i < kMaxTagBytes; ++i) {
      if (p_ == end_) malformed("a field tag is truncated");
      const std::uint64_t byte = *p_++;
      value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (value > 0xffffffffu) malformed("a field tag is outside 32 bits");
        return static_cast<std::uint32_t>(value);
      }
    }
    malformed("a field tag is longer than 5 bytes");
  }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      if (p_ == end_) malformed("a varint is truncated");
      const std::uint64_t byte = *p_++;
      if (i == kMaxVarintBytes - 1) {
        if ((byte & 0x80) != 0) malformed("a varint is longer than 10 bytes");
        if (byte > 1) malformed("a varint is outside 64 bits (int64)");
      }
      value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) break;
    }
    return value;
  }

  void skip(std::size_t n) {
    if (n > left()) malformed("a field runs past the end of the message");
    p_ += n;
  }

  // The payload of a length-delimited field.
  Reader sub() {
    const std::uint64_t n = varint();
    if (n > left()) malformed("a length-delimited field runs past the end of the message");
    const std::uint8_t* begin = p_;
    p_ += n;
    return {begin, p_};
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

std::int64_t unzigzag(std::uint64_t n) noexcept {
  return static_cast<std::int64_t>((n >> 1) ^ (~(n & 1) + 1));
}

std::uint64_t zigzag(std::int64_t v) noexcept {
  const auto u = static_cast<std::uint64_t>(v);
  return (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0);
}

// ceil(bit_width(v) / 7) bytes, at least 1, without a loop: (w * 9 + 64) / 64 == ceil(w / 7)
// for every width w in [1, 64].
std::size_t varint_size(std::uint64_t v) noexcept {
  const auto width = static_cast<std::size_t>(std::bit_width(v | 1));
  return (width * 9 + 64) / 64;
}

std::uint8_t* put_varint(std::uint64_t v, std::uint8_t* out) noexcept {
  // Indices of arrays up to 2^20 values take 1 to 3 bytes: those without a loop.
  if (v < 0x80) {
    *out = static_cast<std::uint8_t>(v);
    return out + 1;
  }
  if (v < 0x4000) {
    out[0] = static_cast<std::uint8_t>(v | 0x80);
    out[1] = static_cast<std::uint8_t>(v >> 7);
    return out + 2;
  }
  if (v < 0x200000) {
    out[0] = static_cast<std::uint8_t>(v | 0x80);
    out[1] = static_cast<std::uint8_t>((v >> 7) | 0x80);
    out[2] = static_cast<std::uint8_t>(v >> 14);
    return out + 3;
  }
  while (v >= 0x80) {
    *out++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(v);
  return out;
}

// Bytes without the continuation bit in [p, p + n): the varints a packed run ends. Eight bytes
// at a time into per-byte counters (at most 255 words before they are summed), not
// std::popcount, which is a libgcc call on the baseline x86-64 target (~4x slower).
std::size_t count_stops(const std::uint8_t* p, std::size_t n) noexcept {
  constexpr std::uint64_t kHighBits = 0x8080808080808080u;
  constexpr std::uint64_t kEvenBytes = 0x00ff00ff00ff00ffu;
  constexpr std::size_t kWordsPerBlock = 255;
  std::size_t count = 0;
  std::size_t i = 0;
  while (n - i >= 8) {
    std::uint64_t counters = 0;  // byte k: stops seen at byte k of the words so far
    const std::size_t words = std::min((n - i) / 8, kWordsPerBlock);
    for (std::size_t w = 0; w < words; ++w, i += 8) {
      std::uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      counters += (~word & kHighBits) >> 7;
    }
    const std::uint64_t pairs = (counters & kEvenBytes) + ((counters >> 8) & kEvenBytes);
    count += static_cast<std::size_t>((pairs * 0x0001000100010001u) >> 48);
  }
  for (; i < n; ++i) count += (p[i] & 0x80) == 0 ? 1 : 0;
  return count;
}

[[noreturn]] void no_room() {
  throw invalid_argument("a SearchResponse does not fit the room given for it");
}

// Walks every field of the message, calling on_packed(payload) for a packed run of targets and
// on_target(varint) for an unpacked one; skips the rest by wire type, groups to their end, and
// hands every record that is not a target's, byte for byte, to on_other(begin, end).
template <class OnPacked, class OnTarget, class OnOther>
void walk(Reader r, OnPacked&& on_packed, OnTarget&& on_target, OnOther&& on_other) {
  std::uint32_t groups[kMaxGroupDepth];
  int depth = 0;
  while (!r.done()) {
    const std::uint8_t* const record = r.at();
    const std::uint32_t tag = r.tag();
    const std::uint32_t field = tag >> 3;
    const std::uint32_t type = tag & 7;
    if (field == 0) malformed("field number 0");
    const bool targets = depth == 0 && field == kRequestTargetsField;
    switch (type) {
      case kVarint: {
        const std::uint64_t v = r.varint();
        if (targets) on_target(v);
        break;
      }
      case kI64:
        r.skip(8);
        break;
      case kI32:
        r.skip(4);
        break;
      case kLen: {
        Reader payload = r.sub();
        if (targets) on_packed(payload);
        break;
      }
      case kStartGroup:
        if (depth == kMaxGroupDepth) malformed("groups nest too deep");
        groups[depth++] = field;
        break;
      case kEndGroup:
        if (depth == 0 || groups[depth - 1] != field)
          malformed("an end-group tag without its group");
        --depth;
        break;
      default:
        malformed("wire type " + std::to_string(type) + " does not exist");
    }
    if (!targets || (type != kVarint && type != kLen)) on_other(record, r.at());
  }
  if (depth != 0) malformed("a group is not closed");
}

void no_other(const std::uint8_t*, const std::uint8_t*) noexcept {}

}  // namespace

std::size_t count_search_request_targets(std::span<const std::uint8_t> wire, std::int64_t repeat) {
  // A packed run holds one target per byte without the continuation bit (the read checks that
  // the run is made of whole varints).
  std::size_t count = 0;
  walk(
      Reader(wire.data(), wire.data() + wire.size()),
      [&](Reader payload) { count += count_stops(payload.at(), payload.left()); },
      [&](std::uint64_t) { ++count; }, no_other);
  check_batch(count, repeat);
  return count;
}

void read_search_request_targets(std::span<const std::uint8_t> wire, std::span<std::int64_t> out) {
  std::int64_t* next = out.data();
  std::int64_t* const end = next + out.size();
  auto store = [&](std::uint64_t v) {
    if (next == end) throw invalid_argument("more targets than counted");
    *next++ = unzigzag(v);
  };
  walk(
      Reader(wire.data(), wire.data() + wire.size()),
      [&](Reader payload) {
        while (!payload.done()) store(payload.varint());
      },
      store, no_other);
  if (next != end) throw invalid_argument("fewer targets than counted");
}

std::vector<std::int64_t> search_request_targets(std::span<const std::uint8_t> wire,
                                                 std::int64_t repeat) {
  std::vector<std::int64_t> out(count_search_request_targets(wire, repeat));
  read_search_request_targets(wire, out);
  return out;
}

std::size_t search_request_without_targets(std::span<const std::uint8_t> wire,
                                           std::vector<std::uint8_t>& rest) {
  rest.clear();
  rest.reserve(64);
  std::size_t count = 0;
  walk(
      Reader(wire.data(), wire.data() + wire.size()),
      [&](Reader payload) { count += count_stops(payload.at(), payload.left()); },
      [&](std::uint64_t) { ++count; },
      [&](const std::uint8_t* begin, const std::uint8_t* end) {
        rest.insert(rest.end(), begin, end);
      });
  return count;
}

std::size_t search_response_size(std::span<const std::int64_t> indices) noexcept {
  if (indices.empty()) return 0;  // proto3: an empty repeated field is not written
  std::size_t payload = 0;
  for (const std::int64_t v : indices) payload += varint_size(zigzag(v));
  return 1 + varint_size(payload) + payload;
}

std::size_t search_response_bound(std::size_t n_indices, std::size_t n_values) noexcept {
  if (n_indices == 0) return 0;
  // An index in [-1, n_values) zigzags to at most 2 * n_values.
  const std::size_t payload = n_indices * varint_size(2 * static_cast<std::uint64_t>(n_values));
  return 1 + varint_size(payload) + payload;
}

std::size_t write_search_response(std::span<const std::int64_t> indices,
                                  std::span<std::uint8_t> out) {
  if (indices.empty()) return 0;  // proto3: an empty repeated field is not written
  // One pass: the payload first, after room for the length prefix of the longest payload that
  // can fit behind it (the fewest bytes `room` for which that length's prefix fits in `room`),
  // then the prefix; a shorter prefix has the payload moved to it.
  std::size_t room = 1;
  while (room <= static_cast<std::size_t>(kMaxVarintBytes) &&
         (out.size() < 1 + room || varint_size(out.size() - 1 - room) > room)) {
    ++room;
  }
  if (room > static_cast<std::size_t>(kMaxVarintBytes)) no_room();
  std::uint8_t* const payload = out.data() + 1 + room;
  std::uint8_t* const end = out.data() + out.size();
  std::uint8_t* next = payload;
  for (const std::int64_t v : indices) {
    const std::uint64_t z = zigzag(v);
    // Within kMaxVarintBytes of the end, each varint is measured before it is written.
    if (end - next < kMaxVarintBytes && static_cast<std::size_t>(end - next) < varint_size(z)) {
      no_room();
    }
    next = put_varint(z, next);
  }
  const auto size = static_cast<std::size_t>(next - payload);
  const std::size_t prefix = varint_size(size);
  out[0] = static_cast<std::uint8_t>((kResponseIndicesField << 3) | kLen);
  if (prefix < room) std::memmove(out.data() + 1 + prefix, payload, size);
  put_varint(size, out.data() + 1);
  return 1 + prefix + size;
}

}  // namespace peaje::wire

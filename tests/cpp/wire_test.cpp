// peaje::wire's one-pass answer writer and its target count, at their edges: the room a writer
// is given (exact, larger, one byte short), the bound for a search's indices, and packed runs
// counted across the counter blocks (255 words) with every length and a ragged tail.
#include "peaje/wire.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "peaje/error.hpp"

namespace {

std::vector<std::uint8_t> varint(std::uint64_t v) {
  std::vector<std::uint8_t> out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<std::uint8_t>(v | 0x80));
  out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0);
}

// A packed run of sint64 values under a length-delimited field's tag byte.
std::vector<std::uint8_t> packed_field(std::uint8_t tag, const std::vector<std::int64_t>& values) {
  std::vector<std::uint8_t> payload;
  for (const std::int64_t v : values) {
    const auto bytes = varint(zigzag(v));
    payload.insert(payload.end(), bytes.begin(), bytes.end());
  }
  std::vector<std::uint8_t> out{tag};
  const auto length = varint(payload.size());
  out.insert(out.end(), length.begin(), length.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// What SerializeToString gives for SearchResponse{indices}: tag 0x0a, length, the varints.
std::vector<std::uint8_t> reference(const std::vector<std::int64_t>& indices) {
  if (indices.empty()) return {};
  return packed_field(0x0a, indices);
}

std::vector<std::int64_t> some_indices(std::size_t n, std::int64_t n_values, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> pick(-1, n_values - 1);
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = pick(rng);
  return out;
}

TEST(WireResponse, SameBytesInAnyRoomFromTheExactSizeUp) {
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{7}, std::size_t{200}, std::size_t{9000}}) {
    const auto indices = some_indices(n, 1 << 20, static_cast<unsigned>(n));
    const auto expected = reference(indices);
    ASSERT_EQ(peaje::wire::search_response_size(indices), expected.size());
    // The largest room needs a longer length prefix than the answer: the payload moves up.
    for (const std::size_t extra :
         {std::size_t{0}, std::size_t{1}, std::size_t{3}, 20 * n, 3000 * n}) {
      std::vector<std::uint8_t> room(expected.size() + extra, 0xee);
      ASSERT_EQ(peaje::wire::write_search_response(indices, room), expected.size())
          << n << " " << extra;
      room.resize(expected.size());
      EXPECT_EQ(room, expected) << n << " " << extra;
    }
  }
}

TEST(WireResponse, OneByteShortIsRefusedWithoutWritingPastTheRoom) {
  const auto indices = some_indices(500, 100000, 3);
  const auto expected = reference(indices);
  std::vector<std::uint8_t> buffer(expected.size() + 16, 0xee);
  const std::span<std::uint8_t> room(buffer.data(), expected.size() - 1);
  try {
    peaje::wire::write_search_response(indices, room);
    FAIL() << "a room one byte short was accepted";
  } catch (const peaje::Error& e) {
    EXPECT_EQ(e.kind(), peaje::ErrorKind::kInvalidArgument);
  }
  for (std::size_t i = room.size(); i < buffer.size(); ++i) ASSERT_EQ(buffer[i], 0xee) << i;
  std::vector<std::uint8_t> none;
  EXPECT_THROW(peaje::wire::write_search_response(indices, none), peaje::Error);
}

TEST(WireResponse, EmptyAnswerIsNoBytes) {
  std::vector<std::uint8_t> none;
  EXPECT_EQ(peaje::wire::write_search_response({}, none), 0u);
  EXPECT_EQ(peaje::wire::search_response_bound(0, 100), 0u);
}

TEST(WireResponse, BoundHoldsAnswersWhoseLengthCrossesAPrefixByte) {
  // Payloads of 127/128 and 16383/16384 bytes: the bound's own length needs one byte more than
  // the payload's, and the writer still fits in it.
  for (std::size_t n = 100; n < 16500; n += (n > 140 && n < 16300) ? 997 : 1) {
    const std::vector<std::int64_t> indices(n, 0);
    std::vector<std::uint8_t> room(peaje::wire::search_response_bound(n, 1));
    ASSERT_EQ(peaje::wire::write_search_response(indices, room), reference(indices).size()) << n;
    std::vector<std::uint8_t> exact(reference(indices).size());
    ASSERT_EQ(peaje::wire::write_search_response(indices, exact), exact.size()) << n;
    EXPECT_EQ(exact, reference(indices)) << n;
  }
}

TEST(WireResponse, BoundHoldsEveryAnswerOverItsValues) {
  for (const std::int64_t n_values :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{64}, std::int64_t{65}, std::int64_t{8192},
        std::int64_t{100000}, std::int64_t{1} << 40}) {
    // The worst answers: all -1, all the last index, and random ones.
    std::vector<std::vector<std::int64_t>> answers{
        std::vector<std::int64_t>(300, -1),
        some_indices(300, std::max<std::int64_t>(n_values, 1), 9)};
    if (n_values > 0) answers.emplace_back(300, n_values - 1);
    if (n_values == 0) answers.pop_back();  // only -1 is an answer over no values
    for (const auto& indices : answers) {
      std::vector<std::uint8_t> room(
          peaje::wire::search_response_bound(indices.size(), static_cast<std::size_t>(n_values)));
      ASSERT_EQ(peaje::wire::write_search_response(indices, room), reference(indices).size())
          << n_values;
    }
  }
}

// A request of the targets as one packed run.
std::vector<std::uint8_t> packed(const std::vector<std::int64_t>& targets) {
  return packed_field(0x1a, targets);
}

TEST(WireTargets, CountAndReadAgreeAcrossCounterBlocks) {
  std::mt19937_64 rng(5);
  // 255 words = 2040 bytes per counter block: runs from a few bytes to several blocks.
  for (const std::size_t n : {std::size_t{1}, std::size_t{9}, std::size_t{679}, std::size_t{680},
                              std::size_t{2040}, std::size_t{2041}, std::size_t{6000}}) {
    std::vector<std::int64_t> targets(n);
    for (auto& t : targets) t = static_cast<std::int64_t>(rng() >> (rng() % 64));
    const auto wire = packed(targets);
    EXPECT_EQ(peaje::wire::count_search_request_targets(wire, 1), n);
    EXPECT_EQ(peaje::wire::search_request_targets(wire, 1), targets);
    std::vector<std::int64_t> wrong(n + 1);
    EXPECT_THROW(peaje::wire::read_search_request_targets(wire, wrong), peaje::Error);
    std::vector<std::int64_t> fewer(n - 1);
    EXPECT_THROW(peaje::wire::read_search_request_targets(wire, fewer), peaje::Error);
  }
}

}  // namespace

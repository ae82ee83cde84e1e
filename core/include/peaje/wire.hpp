// The protobuf wire format of the two peaje.v1 messages whose batches are large: the targets of
// a SearchRequest, read from its wire bytes, and a SearchResponse written as protobuf's own
// SerializeToString writes it. No protobuf library: the in-process faces take these bytes
// straight from an HTTP body, so the 10,000 targets never become Python ints and back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace peaje::wire {

// peaje.v1.SearchRequest.targets (repeated sint64 = 3) and SearchResponse.indices (= 1).
inline constexpr std::uint32_t kRequestTargetsField = 3;
inline constexpr std::uint32_t kResponseIndicesField = 1;
// A varint is at most 10 bytes; a group nests at most this deep (protobuf's own default).
inline constexpr int kMaxVarintBytes = 10;
inline constexpr int kMaxTagBytes = 5;
inline constexpr int kMaxGroupDepth = 100;

// Every target of a SearchRequest's wire bytes, in order: packed and unpacked elements alike
// (a parser must accept both), every other field skipped by its wire type. Malformed wire ->
// kInvalidArgument: a truncated or over-long (> 10 bytes) varint, a value beyond 64 bits
// (outside int64 once unzigzagged; protobuf's parsers drop those bits instead), a tag over 5
// bytes or 32 bits, a length past the end, field number 0, wire type 6/7, an unmatched or
// too-deep group. Otherwise it accepts what protobuf (upb) accepts, with the same targets. The
// count is checked by check_batch(count, repeat) (kTooLarge / kInvalidArgument) before any target
// is stored.
std::vector<std::int64_t> search_request_targets(std::span<const std::uint8_t> wire,
                                                 std::int64_t repeat);

// The same in two steps, for a caller that stores the targets itself: their count (every
// record checked as above, then check_batch(count, repeat)), and the targets into `out`, which
// must hold exactly that count (a different count -> kInvalidArgument; nothing is written
// past `out`). A packed run's own varints are checked by the read, not the count.
std::size_t count_search_request_targets(std::span<const std::uint8_t> wire, std::int64_t repeat);
void read_search_request_targets(std::span<const std::uint8_t> wire, std::span<std::int64_t> out);

// The request without its targets: every other record copied to `rest` byte for byte (a
// protobuf parser then checks the small rest), and the number of targets, counted as pass 1
// above counts them (one per byte without the continuation bit in a packed run: exact on
// well-formed runs; search_request_targets checks each varint). Malformed records ->
// kInvalidArgument as above.
std::size_t search_request_without_targets(std::span<const std::uint8_t> wire,
                                           std::vector<std::uint8_t>& rest);

// The wire size of SearchResponse{indices, server_ns = 0}.
std::size_t search_response_size(std::span<const std::int64_t> indices) noexcept;
// Room that holds SearchResponse{indices} for any n_indices indices in [-1, n_values) (a
// search's answers over n_values values): at most a few bytes per index over the exact size,
// known before the search, so the answer is written in one pass (write_search_response).
std::size_t search_response_bound(std::size_t n_indices, std::size_t n_values) noexcept;
// SearchResponse{indices, server_ns = 0} written to the front of `out` in one pass: the bytes
// SerializeToString gives for the same message; returns their number. Never writes past
// `out`: one that is too small (smaller than search_response_size) -> kInvalidArgument.
std::size_t write_search_response(std::span<const std::int64_t> indices,
                                  std::span<std::uint8_t> out);

}  // namespace peaje::wire

// Fuzzes the wire decoder of peaje.v1.SearchRequest's targets (peaje::wire, what the in-process
// faces' search_packed reads from an HTTP body): arbitrary bytes either decode or raise the
// typed InvalidArgument/TooLarge, reads stay inside the input (ASan), and a decoded batch,
// written back as a packed field, decodes to the same values; a response written for them has
// exactly the size announced and decodes (as a request's field 1 is skipped) to no targets;
// the request without its targets counts them and keeps none. The one-pass response writer
// gives the same bytes in any room from the exact size up, refuses one byte less without
// writing past it (ASan), and fits the bound it announces for a search's indices.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "peaje/error.hpp"
#include "peaje/wire.hpp"

namespace {

std::vector<std::int64_t> decode(std::span<const std::uint8_t> wire, bool* ok) {
  *ok = true;
  try {
    return peaje::wire::search_request_targets(wire, 1);
  } catch (const peaje::Error& e) {
    if (e.kind() != peaje::ErrorKind::kInvalidArgument && e.kind() != peaje::ErrorKind::kTooLarge) {
      std::abort();
    }
    *ok = false;
    return {};
  }
}

}  // namespace

// search_request_without_targets on the same bytes: where the targets decode, it keeps the
// other records (no more bytes than the input, and no target left in them) and counts as many.
void check_without_targets(std::span<const std::uint8_t> wire, bool decoded, std::size_t n) {
  std::vector<std::uint8_t> rest;
  std::size_t count = 0;
  try {
    count = peaje::wire::search_request_without_targets(wire, rest);
  } catch (const peaje::Error& e) {
    if (e.kind() != peaje::ErrorKind::kInvalidArgument || decoded) std::abort();
    return;
  }
  if (rest.size() > wire.size()) std::abort();
  if (!decoded) return;  // a packed run's own varints are search_request_targets' to refuse
  bool ok = false;
  if (count != n || !decode(rest, &ok).empty() || !ok) std::abort();
}

// The writer in rooms other than the exact size: larger ones (up to a few bytes per index
// beyond it, where its length prefix is written shorter than the room's) give the same bytes;
// one byte short is refused. Then the targets as a search's indices over `n_values` values
// (clamped into [-1, n_values)) fit search_response_bound.
void check_rooms(const std::vector<std::int64_t>& targets, const std::vector<std::uint8_t>& exact,
                 std::uint8_t seed) {
  const std::size_t n = exact.size();
  for (const std::size_t extra : {std::size_t{1}, std::size_t{seed} * 3 * targets.size() + 7}) {
    std::vector<std::uint8_t> room(n + extra, 0xee);
    if (peaje::wire::write_search_response(targets, room) != n) std::abort();
    if (!std::equal(exact.begin(), exact.end(), room.begin())) std::abort();
  }
  std::vector<std::uint8_t> short_room(n - 1);
  try {
    peaje::wire::write_search_response(targets, short_room);
    std::abort();
  } catch (const peaje::Error& e) {
    if (e.kind() != peaje::ErrorKind::kInvalidArgument) std::abort();
  }
  const std::size_t n_values = std::size_t{seed} << (seed % 24);
  std::vector<std::int64_t> indices(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto span = static_cast<std::uint64_t>(n_values) + 1;  // -1 .. n_values - 1
    indices[i] = static_cast<std::int64_t>(static_cast<std::uint64_t>(targets[i]) % span) - 1;
  }
  std::vector<std::uint8_t> bound(peaje::wire::search_response_bound(indices.size(), n_values));
  const std::size_t written = peaje::wire::write_search_response(indices, bound);
  if (written != peaje::wire::search_response_size(indices)) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bool ok = false;
  const std::vector<std::int64_t> targets = decode({data, size}, &ok);
  check_without_targets({data, size}, ok, targets.size());
  if (!ok) return 0;
  // Round trip: the response writer's packed field 1, renumbered as field 3, is a request.
  const std::size_t n = peaje::wire::search_response_size(targets);
  std::vector<std::uint8_t> wire(n);
  if (peaje::wire::write_search_response(targets, wire) != n) std::abort();
  if (targets.empty() != (n == 0)) std::abort();
  if (n == 0) return 0;
  check_rooms(targets, wire, size == 0 ? 0 : data[0]);
  if (wire[0] != 0x0a) std::abort();
  const std::vector<std::int64_t> skipped = decode(wire, &ok);  // field 1: not a target
  if (!ok || !skipped.empty()) std::abort();
  wire[0] = 0x1a;  // field 3, length-delimited
  const std::vector<std::int64_t> again = decode(wire, &ok);
  if (!ok || again != targets) std::abort();
  return 0;
}

// The peaje.v1.Peaje service: converts protobuf <-> core types, delegates to the core, and maps
// every failure to a gRPC status at this edge (design.md, "Errors").
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataset_cache.hpp"
#include "peaje/v1/peaje.grpc.pb.h"
#include "stream_guard.hpp"

namespace peaje::server {

// The status for the exception being handled: core kInvalidArgument/kWrongType/kEncode ->
// INVALID_ARGUMENT, kTooLarge and out-of-memory -> RESOURCE_EXHAUSTED, anything else ->
// INTERNAL (a bug). Call only inside a catch block.
grpc::Status status_of_current_exception();

// Every status message a handler builds passes here: the caller's text inside it was already
// quoted by the core, and the edge still makes sure it is valid, printable UTF-8 (a NUL would cut
// it short in some clients) of at most kMaxStatusChars characters, cut on a character boundary.
inline constexpr std::size_t kMaxStatusChars = 512;
std::string status_text(std::string_view message);

// Statuses gRPC sends by itself, before any handler runs, mapped to the contract's meaning:
// - a request it cannot parse: INTERNAL with an empty message (handlers never send that)
//   -> INVALID_ARGUMENT;
// - every gRPC thread busy: RESOURCE_EXHAUSTED "Server Threadpool Exhausted", which would read
//   as "too large" -> UNAVAILABLE, a transient refusal the caller may retry, with the standard
//   grpc-retry-pushback-ms trailer saying when.
// With a StreamGuard, every streaming call (reflection, health Watch) is also reported to it.
class FrameworkStatusInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit FrameworkStatusInterceptorFactory(StreamGuard* streams = nullptr) : streams_(streams) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  StreamGuard* streams_;
};

// How long a caller refused for "server busy" is asked to wait before retrying.
inline constexpr int kBusyRetryMs = 1000;

// How many inline values (SearchRequest.values) a serialized request carries, read from its
// bytes without parsing or copying them, so that too many are refused before any is allocated:
// at least the true count, counting each packed byte as one value while the total stays within
// `stop_after` (nothing to read then); past it, the packed bytes are counted exactly (a value
// per byte below 0x80) and counting stops. nullopt when the bytes are not a well-formed message.
std::optional<std::uint64_t> count_inline_values(const grpc::ByteBuffer& request,
                                                 std::uint64_t stop_after);

// How many entries a serialized ToBytesDictRequest carries, from its field tags alone (each
// entry skipped by its length, never parsed). nullopt when the bytes are not well formed.
std::optional<std::uint64_t> count_entries(const grpc::ByteBuffer& request);

// What a ToBytesDict request of `entries` entries in `wire_bytes` bytes holds in memory while it
// is served: each parsed entry (measured at ~170 bytes with the dictionary's share, empty
// strings), plus the keys and values copied into the dictionary and into the answer.
inline constexpr std::size_t kBytesPerEntry = 192;
inline std::size_t bytes_dict_footprint(std::uint64_t entries, std::size_t wire_bytes) {
  return static_cast<std::size_t>(entries) * kBytesPerEntry + 2 * wire_bytes;
}

// peaje.v1.Peaje (proto/peaje/v1/peaje.proto), registered by hand rather than through the
// generated Peaje::Service so that Search and ToBytesDict receive their requests as bytes: the
// inline-value cap and the memory budget are checked before the request is parsed.
class PeajeService final : public grpc::Service {
 public:
  // `max_calls`: peaje.v1 calls served at once (--threads); past it a call is refused at once
  // with UNAVAILABLE "server busy". 0: no cap.
  explicit PeajeService(DatasetCache& datasets, int max_calls = 0);

  // Calls inside a handler right now; the drain waits for these, not for streams.
  int calls_in_flight() const noexcept { return in_flight_.load(); }

  // What gRPC calls for Search: admits, counts the inline values (RESOURCE_EXHAUSTED past
  // limits::kMaxDatasetSize), holds their bytes in the dataset budget, parses, searches.
  grpc::Status SearchBytes(grpc::ServerContext* context, const grpc::ByteBuffer* request,
                           peaje::v1::SearchResponse* response);
  // The same, on a request already parsed.
  grpc::Status Search(grpc::ServerContext* context, const peaje::v1::SearchRequest* request,
                      peaje::v1::SearchResponse* response);
  // What gRPC calls for ToBytesDict: admits, counts the entries, holds their footprint in the
  // dataset budget (RESOURCE_EXHAUSTED when it cannot), parses, converts.
  grpc::Status ToBytesDictBytes(grpc::ServerContext* context, const grpc::ByteBuffer* request,
                                peaje::v1::ToBytesDictResponse* response);
  grpc::Status ToBytesDict(grpc::ServerContext* context,
                           const peaje::v1::ToBytesDictRequest* request,
                           peaje::v1::ToBytesDictResponse* response);
  grpc::Status Noop(grpc::ServerContext* context, const peaje::v1::NoopRequest* request,
                    peaje::v1::NoopResponse* response);

 private:
  grpc::Status to_bytes_dict_admitted(const peaje::v1::ToBytesDictRequest* request,
                                      peaje::v1::ToBytesDictResponse* response);
  grpc::Status search_admitted(grpc::ServerContext* context,
                               const peaje::v1::SearchRequest* request,
                               peaje::v1::SearchResponse* response);

  DatasetCache& datasets_;
  const int max_calls_;
  std::atomic<int> in_flight_{0};
};

}  // namespace peaje::server

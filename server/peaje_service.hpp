// The peaje.v1.Peaje service: converts protobuf <-> core types, delegates to the core, and maps
// every failure to a gRPC status at this edge (design.md, "Errors").
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>

#include "dataset_cache.hpp"
#include "peaje/v1/peaje.grpc.pb.h"
#include "stream_guard.hpp"

namespace peaje::server {

// The status for the exception being handled: core kInvalidArgument/kWrongType/kEncode ->
// INVALID_ARGUMENT, kTooLarge and out-of-memory -> RESOURCE_EXHAUSTED, anything else ->
// INTERNAL (a bug). Call only inside a catch block.
grpc::Status status_of_current_exception();

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

class PeajeService final : public peaje::v1::Peaje::Service {
 public:
  // `max_calls`: peaje.v1 calls served at once (--threads); past it a call is refused at once
  // with UNAVAILABLE "server busy". 0: no cap.
  explicit PeajeService(DatasetCache& datasets, int max_calls = 0)
      : datasets_(datasets), max_calls_(max_calls) {}

  // Calls inside a handler right now; the drain waits for these, not for streams.
  int calls_in_flight() const noexcept { return in_flight_.load(); }

  grpc::Status Search(grpc::ServerContext* context, const peaje::v1::SearchRequest* request,
                      peaje::v1::SearchResponse* response) override;
  grpc::Status ToBytesDict(grpc::ServerContext* context,
                           const peaje::v1::ToBytesDictRequest* request,
                           peaje::v1::ToBytesDictResponse* response) override;
  grpc::Status Noop(grpc::ServerContext* context, const peaje::v1::NoopRequest* request,
                    peaje::v1::NoopResponse* response) override;

 private:
  DatasetCache& datasets_;
  const int max_calls_;
  std::atomic<int> in_flight_{0};
};

}  // namespace peaje::server

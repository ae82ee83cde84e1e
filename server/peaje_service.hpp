// The peaje.v1.Peaje service: converts protobuf <-> core types, delegates to the core, and maps
// every failure to a gRPC status at this edge (design.md, "Errors").
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>

#include "dataset_cache.hpp"
#include "peaje/v1/peaje.grpc.pb.h"

namespace peaje::server {

// The status for the exception being handled: core kInvalidArgument/kWrongType/kEncode ->
// INVALID_ARGUMENT, kTooLarge and out-of-memory -> RESOURCE_EXHAUSTED, anything else ->
// INTERNAL (a bug). Call only inside a catch block.
grpc::Status status_of_current_exception();

// Statuses gRPC sends by itself, before any handler runs, mapped to the contract's meaning:
// - a request it cannot parse: INTERNAL with an empty message (handlers never send that)
//   -> INVALID_ARGUMENT;
// - every call thread busy (--threads): RESOURCE_EXHAUSTED "Server Threadpool Exhausted", which
//   would read as "too large" -> UNAVAILABLE, a transient refusal the caller may retry, with
//   the standard grpc-retry-pushback-ms trailer saying when.
class FrameworkStatusInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit FrameworkStatusInterceptorFactory(int max_threads) : max_threads_(max_threads) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  int max_threads_;
};

class PeajeService final : public peaje::v1::Peaje::Service {
 public:
  explicit PeajeService(DatasetCache& datasets) : datasets_(datasets) {}

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
  std::atomic<int> in_flight_{0};
};

}  // namespace peaje::server

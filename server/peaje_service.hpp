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

// gRPC answers a request it cannot parse with INTERNAL and an empty message, before any handler
// runs. For the contract a malformed request is a bad argument: this interceptor rewrites exactly
// that status (handlers never return INTERNAL without a message) to INVALID_ARGUMENT.
class MalformedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
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

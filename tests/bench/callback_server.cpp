// peaje_callback_server: peaje.v1's Noop and Search (resident) on gRPC's callback API, for one
// measurement only: the server's own share of the remote toll, sync API (peaje-server) against
// callback API, with the C++ client (peaje.bench.server_api). Not a server to deploy: no health,
// reflection, caps or drain.
//   peaje_callback_server ADDRESS   -> {"event":"start","listen":["127.0.0.1:PORT"]} on stderr
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <span>
#include <string>

#include "dataset_cache.hpp"
#include "peaje/search.hpp"
#include "peaje/v1/peaje.grpc.pb.h"

namespace {

class CallbackPeaje final : public peaje::v1::Peaje::CallbackService {
 public:
  grpc::ServerUnaryReactor* Noop(grpc::CallbackServerContext* context,
                                 const peaje::v1::NoopRequest* /*request*/,
                                 peaje::v1::NoopResponse* response) override {
    response->set_server_ns(0);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context,
                                   const peaje::v1::SearchRequest* request,
                                   peaje::v1::SearchResponse* response) override {
    auto* reactor = context->DefaultReactor();
    const auto start = std::chrono::steady_clock::now();
    try {
      const std::span<const std::int64_t> targets(request->targets().data(),
                                                  request->targets().size());
      const std::int64_t repeat = request->repeat() == 0 ? 1 : request->repeat();
      peaje::check_batch(targets.size(), repeat);
      auto& indices = *response->mutable_indices();
      indices.Resize(static_cast<int>(targets.size()), -1);
      const auto array = datasets_.get(request->dataset());
      peaje::search_many(array->values(), targets, {indices.mutable_data(), targets.size()},
                         repeat);
      response->set_server_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count());
      reactor->Finish(grpc::Status::OK);
    } catch (const std::exception& e) {
      reactor->Finish({grpc::StatusCode::INVALID_ARGUMENT, e.what()});
    }
    return reactor;
  }

 private:
  peaje::server::DatasetCache datasets_{8};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: peaje_callback_server ADDRESS\n";
    return 2;
  }
  CallbackPeaje service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(argv[1], grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) return 1;
  const std::string address(argv[1]);
  std::cerr << "{\"event\":\"start\",\"listen\":[\"" << address.substr(0, address.rfind(':') + 1)
            << port << "\"]}" << std::endl;
  server->Wait();
  return 0;
}

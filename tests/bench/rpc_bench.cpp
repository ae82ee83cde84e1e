// peaje_rpc_bench: the C++ gRPC client row of the remote toll's decomposition
// (peaje.bench.rpc_latency), on the same generated peaje.v1 stubs as peaje-server. It keeps one
// channel open and reads commands from stdin so its calls can take turns with the Python rows:
//   "noop N" | "search N"  ->  one line of N per-call latencies in nanoseconds
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <iostream>
#include <string>

#include "peaje/v1/peaje.grpc.pb.h"

namespace {

template <typename Request, typename Response, typename Call>
bool timed_calls(int n, const Request& request, Call call) {
  for (int i = 0; i < n; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Response response;
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status status = call(&context, request, &response);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (!status.ok()) {
      std::cerr << "peaje_rpc_bench: " << status.error_message() << "\n";
      return false;
    }
    std::cout << (i ? " " : "") << ns;
  }
  std::cout << std::endl;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: peaje_rpc_bench TARGET  (then 'noop N' or 'search N' lines on stdin)\n";
    return 2;
  }
  auto stub =
      peaje::v1::Peaje::NewStub(grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));
  peaje::v1::NoopRequest noop;
  peaje::v1::SearchRequest search;
  search.set_dataset("range:100000");
  search.add_targets(66666);
  std::string command;
  int n = 0;
  while (std::cin >> command >> n) {
    bool ok = false;
    if (command == "noop") {
      ok = timed_calls<peaje::v1::NoopRequest, peaje::v1::NoopResponse>(
          n, noop, [&](auto* c, const auto& q, auto* r) { return stub->Noop(c, q, r); });
    } else if (command == "search") {
      ok = timed_calls<peaje::v1::SearchRequest, peaje::v1::SearchResponse>(
          n, search, [&](auto* c, const auto& q, auto* r) { return stub->Search(c, q, r); });
    } else {
      std::cerr << "peaje_rpc_bench: unknown command " << command << "\n";
    }
    if (!ok) return 1;
  }
  return 0;
}

// The server image's HEALTHCHECK: asks grpc.health.v1.Health/Check and exits 0 only on SERVING.
// grpc_health_probe is not packaged by Debian, so this is its smallest equivalent; it uses the
// generic stub so that it needs no generated code (the two messages are one field each).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace {

// HealthCheckRequest{service = 1: string}: a length-delimited field, or nothing for "".
std::string encode_request(const std::string& service) {
  if (service.empty()) return {};
  if (service.size() > 127) return {};  // one-byte length keeps this encoder trivial
  return std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
}

// HealthCheckResponse{status = 1: enum}; SERVING is 1. An absent field means UNKNOWN (0).
int decode_status(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes[0] == '\x08') return static_cast<unsigned char>(bytes[1]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: grpc-health-probe HOST:PORT [SERVICE]\n";
    return 2;
  }
  const std::string target = argv[1];
  const std::string service = argc == 3 ? argv[2] : "";

  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));

  const std::string request = encode_request(service);
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   done_cv.notify_one();
                 });
  {
    std::unique_lock<std::mutex> lock(mu);
    done_cv.wait(lock, [&] { return done; });
  }
  if (!status.ok()) {
    std::cerr << "grpc-health-probe: " << target << ": " << status.error_message() << "\n";
    return 1;
  }
  std::vector<grpc::Slice> slices;
  response_buffer.Dump(&slices);
  std::string response;
  for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  const int code = decode_status(response);
  std::cout << (code == 1 ? "SERVING" : code == 2 ? "NOT_SERVING" : "UNKNOWN") << "\n";
  return code == 1 ? 0 : 1;
}

// Fuzzes the server's Search handler: arbitrary bytes parsed as a peaje.v1.SearchRequest (what
// gRPC hands the handler), called in process. The handler must answer OK or a mapped status
// (INVALID_ARGUMENT, RESOURCE_EXHAUSTED), never INTERNAL/UNKNOWN or a crash, and an OK answer
// must hold one in-range index per target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dataset_cache.hpp"
#include "fuzz_status.hpp"
#include "peaje/limits.hpp"
#include "peaje_service.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  peaje::fuzz::silence_protobuf_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static peaje::server::DatasetCache datasets(4);
  static peaje::server::PeajeService service(datasets);

  peaje::v1::SearchRequest request;
  // Bytes that do not parse never reach a handler: gRPC answers them itself (INVALID_ARGUMENT
  // through the server's interceptor, tested in tests/grpc).
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Keep each input to milliseconds: an in-range repeat is clamped (the cap itself stays
  // fuzzed: out-of-range values pass through untouched and must be refused).
  if (request.repeat() > 4 && request.repeat() <= peaje::limits::kMaxRepeat) {
    request.set_repeat(1 + request.repeat() % 4);
  }

  grpc::ServerContext context;
  peaje::v1::SearchResponse response;
  const grpc::Status status = service.Search(&context, &request, &response);
  peaje::fuzz::require_mapped(status, std::string_view(reinterpret_cast<const char*>(data), size));
  if (status.ok()) {
    if (response.indices_size() != request.targets_size()) std::abort();
    const auto n =
        static_cast<std::int64_t>(request.has_values() ? request.values().values_size()
                                                       : datasets.get(request.dataset())->size());
    for (const std::int64_t index : response.indices()) {
      if (index < -1 || index >= n) std::abort();
    }
    std::string wire;
    if (!response.SerializeToString(&wire)) std::abort();
  }
  return 0;
}

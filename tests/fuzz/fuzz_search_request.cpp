// Fuzzes the server's Search handler: arbitrary bytes handed to SearchBytes as gRPC hands them
// (the inline-value count is read from the raw bytes before they are parsed), called in
// process. The handler must answer OK or a mapped status (INVALID_ARGUMENT, RESOURCE_EXHAUSTED),
// never INTERNAL/UNKNOWN or a crash; bytes protobuf cannot parse must be refused, bytes it can
// must not be called malformed, and
// an OK answer must hold one in-range index per target.
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

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  peaje::v1::SearchRequest request;
  const bool parses = request.ParseFromArray(data, static_cast<int>(size));
  std::string wire(input);
  // Keep each input to milliseconds: an in-range repeat is clamped, and the request re-encoded
  // (the cap itself stays fuzzed: out-of-range values pass through untouched and are refused).
  if (parses && request.repeat() > 4 && request.repeat() <= peaje::limits::kMaxRepeat) {
    request.set_repeat(1 + request.repeat() % 4);
    wire = request.SerializeAsString();
  }

  grpc::ServerContext context;
  peaje::v1::SearchResponse response;
  grpc::Slice slice(wire);
  const grpc::ByteBuffer buffer(&slice, 1);
  const grpc::Status status = service.SearchBytes(&context, &buffer, &response);
  peaje::fuzz::require_mapped(status, input);
  if (!parses && status.ok()) std::abort();
  // The raw-bytes count must accept whatever protobuf parses.
  if (parses && status.error_message().starts_with("malformed request")) std::abort();
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

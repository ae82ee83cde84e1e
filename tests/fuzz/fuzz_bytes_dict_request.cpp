// Fuzzes the server's ToBytesDict handler: arbitrary bytes handed to ToBytesDictBytes as gRPC
// hands them (entries counted from the raw bytes for the memory budget, then parsed), called in
// process. The handler must answer OK or a mapped status, never INTERNAL/UNKNOWN or a crash;
// bytes protobuf cannot parse must be refused, bytes it can must not be called malformed; an OK
// answer keeps every distinct key once, with the value of its last entry.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dataset_cache.hpp"
#include "fuzz_status.hpp"
#include "peaje_service.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  peaje::fuzz::silence_protobuf_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static peaje::server::DatasetCache datasets(1);
  static peaje::server::PeajeService service(datasets);

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  peaje::v1::ToBytesDictRequest request;
  const bool parses = request.ParseFromArray(data, static_cast<int>(size));

  grpc::ServerContext context;
  peaje::v1::ToBytesDictResponse response;
  grpc::Slice slice(input.data(), input.size());
  const grpc::ByteBuffer buffer(&slice, 1);
  const grpc::Status status = service.ToBytesDictBytes(&context, &buffer, &response);
  peaje::fuzz::require_mapped(status, input);
  if (!parses && status.ok()) std::abort();
  if (parses && status.error_message().starts_with("malformed request")) std::abort();
  if (status.ok()) {
    std::unordered_map<std::string, std::string> last;
    for (const auto& entry : request.entries()) {
      const std::string key = entry.has_key_text() ? entry.key_text() : entry.key_bytes();
      last[key] = entry.has_value_text() ? entry.value_text() : entry.value_bytes();
    }
    if (static_cast<std::size_t>(response.entries_size()) != last.size()) std::abort();
    for (const auto& pair : response.entries()) {
      const auto it = last.find(pair.key());
      if (it == last.end() || it->second != pair.value()) std::abort();
    }
    std::string wire;
    if (!response.SerializeToString(&wire)) std::abort();
  }
  return 0;
}

// What a server handler may answer a hostile request with (design.md, "Errors"): a status a
// client can act on, with a message that names no internal path or exception type.
#pragma once

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace peaje::fuzz {

// `input` is the request's bytes: text the caller sent may be echoed back, so only what the
// server added is judged.
inline void require_mapped(const grpc::Status& status, std::string_view input) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      break;
    default:
      std::fprintf(stderr, "unmapped status %d: %s\n", static_cast<int>(status.error_code()),
                   status.error_message().c_str());
      std::abort();
  }
  const std::string& message = status.error_message();
  for (const char* leak : {"/work/", ".cpp", ".hpp", "std::", "what()"}) {
    if (message.find(leak) != std::string::npos && input.find(leak) == std::string_view::npos) {
      std::fprintf(stderr, "status message leaks internals: %s\n", message.c_str());
      std::abort();
    }
  }
}

// Protobuf logs every string field that is not UTF-8; a fuzzer makes millions of those.
inline void silence_protobuf_logs() { google::protobuf::SetLogHandler(nullptr); }

}  // namespace peaje::fuzz

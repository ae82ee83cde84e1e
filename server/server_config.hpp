// peaje-server's settings: flags, each with an environment variable equivalent (flags win).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace peaje::server {

struct ServerConfig {
  // gRPC's API peaje.v1 is served on: callback (the default, measured faster in the README) or
  // sync (kept to measure against).
  enum class Api { kCallback, kSync };
  std::vector<std::string> listen;  // gRPC addresses: "host:port" or "unix:PATH"
  int threads = 0;                  // most peaje.v1 calls served at once; 0: no cap
  int max_streams = 16;             // reflection / health Watch streams open at once; 0: no cap
  int stream_idle_seconds = 30;     // a stream the client leaves silent this long is closed
  int max_message_bytes = 64 << 20;
  std::size_t dataset_cache = 8;                              // resident datasets kept
  std::size_t dataset_budget_bytes = std::size_t{512} << 20;  // datasets + inline values held
  int drain_seconds = 10;  // how long SIGTERM waits for in-flight calls
  Api api = Api::kCallback;

  static constexpr const char* kDefaultListen = "127.0.0.1:50051";
};

// A bad flag or environment value; the message is meant for the command line.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// Reads PEAJE_LISTEN (comma-separated), PEAJE_THREADS, PEAJE_MAX_STREAMS,
// PEAJE_STREAM_IDLE_SECONDS, PEAJE_MAX_MESSAGE_BYTES, PEAJE_DATASET_CACHE,
// PEAJE_DATASET_BUDGET_BYTES, PEAJE_DRAIN_SECONDS, PEAJE_SERVER_API, then the flags. Throws
// ConfigError. Returns nullopt for --help.
std::optional<ServerConfig> parse_config(const std::vector<std::string>& args,
                                         const GetEnv& getenv);

std::string usage();

}  // namespace peaje::server

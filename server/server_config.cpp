#include "server_config.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace peaje::server {
namespace {

long long parse_number(const std::string& name, const std::string& text, long long min,
                       long long max) {
  long long value = 0;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(text.data(), last, value);
  if (text.empty() || ec != std::errc() || end != last || value < min || value > max) {
    throw ConfigError(name + " must be an integer in [" + std::to_string(min) + ", " +
                      std::to_string(max) + "], got '" + text + "'");
  }
  return value;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

void check_listen(const std::string& address) {
  const bool unix_socket = address.starts_with("unix:") && address.size() > 5;
  const bool host_port = !address.starts_with("unix:") && address.rfind(':') != std::string::npos &&
                         address.rfind(':') + 1 < address.size();
  if (!unix_socket && !host_port) {
    throw ConfigError("--listen takes host:port or unix:PATH, got '" + address + "'");
  }
}

struct Setting {
  const char* flag;
  const char* env;
  std::function<void(ServerConfig&, const std::string&)> apply;
};

const std::vector<Setting>& settings() {
  constexpr long long kInt = std::numeric_limits<int>::max();
  static const std::vector<Setting> all = {
      {"--listen", "PEAJE_LISTEN",
       [](ServerConfig& c, const std::string& v) {
         for (auto& address : split_commas(v)) {
           check_listen(address);
           c.listen.push_back(address);
         }
       }},
      {"--threads", "PEAJE_THREADS",
       [=](ServerConfig& c, const std::string& v) {
         c.threads = static_cast<int>(parse_number("--threads", v, 0, 4096));
       }},
      {"--max-streams", "PEAJE_MAX_STREAMS",
       [](ServerConfig& c, const std::string& v) {
         c.max_streams = static_cast<int>(parse_number("--max-streams", v, 0, 4096));
       }},
      {"--stream-idle-seconds", "PEAJE_STREAM_IDLE_SECONDS",
       [](ServerConfig& c, const std::string& v) {
         c.stream_idle_seconds =
             static_cast<int>(parse_number("--stream-idle-seconds", v, 0, 86400));
       }},
      {"--max-message-bytes", "PEAJE_MAX_MESSAGE_BYTES",
       [=](ServerConfig& c, const std::string& v) {
         c.max_message_bytes = static_cast<int>(parse_number("--max-message-bytes", v, 1024, kInt));
       }},
      {"--dataset-cache", "PEAJE_DATASET_CACHE",
       [](ServerConfig& c, const std::string& v) {
         c.dataset_cache = static_cast<std::size_t>(parse_number("--dataset-cache", v, 0, 1024));
       }},
      {"--dataset-budget-bytes", "PEAJE_DATASET_BUDGET_BYTES",
       [](ServerConfig& c, const std::string& v) {
         c.dataset_budget_bytes = static_cast<std::size_t>(
             parse_number("--dataset-budget-bytes", v, 1 << 20, 1LL << 40));
       }},
      {"--drain-seconds", "PEAJE_DRAIN_SECONDS",
       [](ServerConfig& c, const std::string& v) {
         c.drain_seconds = static_cast<int>(parse_number("--drain-seconds", v, 0, 3600));
       }},
      {"--api", "PEAJE_SERVER_API",
       [](ServerConfig& c, const std::string& v) {
         if (v != "callback" && v != "sync") {
           throw ConfigError("--api takes callback or sync, got '" + v + "'");
         }
         c.api = v == "sync" ? ServerConfig::Api::kSync : ServerConfig::Api::kCallback;
       }},
  };
  return all;
}

}  // namespace

std::string usage() {
  return "usage: peaje-server [--listen host:port|unix:PATH]... [--threads N] [--max-streams N]\n"
         "                    [--stream-idle-seconds N] [--max-message-bytes N]\n"
         "                    [--dataset-cache N] [--dataset-budget-bytes N] [--drain-seconds N]\n"
         "                    [--api callback|sync]\n"
         "  --listen             address to serve on, repeatable (default 127.0.0.1:50051)\n"
         "  --threads            most peaje.v1 calls served at once, more are refused\n"
         "                       UNAVAILABLE; 0 = no cap, gRPC adds threads as needed (default 0)\n"
         "  --max-streams        reflection and health Watch streams open at once, apart from\n"
         "                       --threads; more are refused UNAVAILABLE; 0 = no cap (default 16)\n"
         "  --stream-idle-seconds  a reflection stream the client leaves silent this long is\n"
         "                       closed (UNAVAILABLE); 0 = never (default 30)\n"
         "  --max-message-bytes  largest request or response (default 67108864)\n"
         "  --dataset-cache      resident datasets kept, least recently used evicted (default 8)\n"
         "  --dataset-budget-bytes  bytes of datasets (cached, being built or in use) and inline\n"
         "                       values held at once; a request past it waits up to 5 s, then\n"
         "                       RESOURCE_EXHAUSTED (default 536870912)\n"
         "  --drain-seconds      SIGTERM/SIGINT wait for in-flight calls (default 10)\n"
         "  --api                gRPC's server API for peaje.v1: callback (long work on the\n"
         "                       server's own threads) or sync (a gRPC thread per call);\n"
         "                       the same service either way (default callback)\n"
         "Each flag has an environment equivalent: PEAJE_LISTEN (comma-separated),\n"
         "PEAJE_THREADS, PEAJE_MAX_STREAMS, PEAJE_STREAM_IDLE_SECONDS, PEAJE_MAX_MESSAGE_BYTES,\n"
         "PEAJE_DATASET_CACHE, PEAJE_DATASET_BUDGET_BYTES, PEAJE_DRAIN_SECONDS, PEAJE_SERVER_API.\n"
         "Flags win over the environment.\n";
}

std::optional<ServerConfig> parse_config(const std::vector<std::string>& args,
                                         const GetEnv& getenv) {
  ServerConfig env_config;
  for (const auto& setting : settings()) {
    if (auto value = getenv(setting.env)) {
      try {
        setting.apply(env_config, *value);
      } catch (const ConfigError& e) {
        throw ConfigError(std::string(setting.env) + ": " + e.what());
      }
    }
  }
  ServerConfig config = env_config;
  bool listen_flag = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") return std::nullopt;
    const Setting* match = nullptr;
    std::string value;
    for (const auto& setting : settings()) {
      const std::string flag = setting.flag;
      if (arg == flag) {
        if (i + 1 >= args.size()) throw ConfigError(flag + " needs a value");
        match = &setting;
        value = args[++i];
      } else if (arg.starts_with(flag + "=")) {
        match = &setting;
        value = arg.substr(flag.size() + 1);
      }
      if (match) break;
    }
    if (!match) throw ConfigError("unknown argument '" + arg + "'");
    if (match->flag == std::string("--listen") && !listen_flag) {
      config.listen.clear();  // --listen replaces PEAJE_LISTEN rather than adding to it
      listen_flag = true;
    }
    match->apply(config, value);
  }
  if (config.listen.empty()) config.listen.push_back(ServerConfig::kDefaultListen);
  return config;
}

}  // namespace peaje::server

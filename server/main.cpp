// peaje-server: builds the gRPC server (peaje.v1, health, reflection), serves until SIGTERM or
// SIGINT, then drains in-flight calls within a deadline and exits 0.
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataset_cache.hpp"
#include "grpc/health/v1/health.pb.h"
#include "peaje_service.hpp"
#include "server_config.hpp"

namespace {

using peaje::server::ServerConfig;

// Well above the API's own cap (PEAJE_MAX_IN_FLIGHT, 128 by default) on its one channel.
constexpr int kMaxStreamsPerConnection = 256;

// Measured in the README (Reliability, burst memory): what returns a burst's memory to the system.
constexpr int kMmapThresholdBytes = 2 << 20;
constexpr std::size_t kTrimAfterBytes = 1 << 20;

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// One structured line per lifecycle event, on stderr.
void log_event(const std::string& event, const std::string& fields) {
  std::cerr << "{\"event\":" << json_string(event) << ",\"pid\":" << getpid() << fields << "}"
            << std::endl;
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_string(items[i]);
  return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<ServerConfig> parsed;
  try {
    parsed = peaje::server::parse_config(std::vector<std::string>(argv + 1, argv + argc),
                                         [](const std::string& name) -> std::optional<std::string> {
                                           const char* value = std::getenv(name.c_str());
                                           return value ? std::optional<std::string>(value)
                                                        : std::nullopt;
                                         });
  } catch (const peaje::server::ConfigError& e) {
    std::cerr << "peaje-server: " << e.what() << "\n" << peaje::server::usage();
    return 2;
  }
  if (!parsed) {
    std::cout << peaje::server::usage();
    return 0;
  }
  const ServerConfig& config = *parsed;

  // Signals are taken by sigwait below; block them before gRPC starts its threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Memory comes back after a burst: buffers of 2 MiB and more (inline values, big answers) are
  // mapped apart and unmapped when freed (datasets, 8 bytes a value, always were), and once a
  // second, after megabytes were released, malloc_trim returns the freed heap pages.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  peaje::server::DatasetCache datasets(config.dataset_cache, config.dataset_budget_bytes);
  // peaje.v1 on the callback API (the default) or, for comparison, the sync API: the same steps.
  std::unique_ptr<peaje::server::PeajeService> callback_service;
  std::unique_ptr<peaje::server::SyncPeajeService> sync_service;
  peaje::server::PeajeCalls* service = nullptr;
  if (config.api == ServerConfig::Api::kSync) {
    sync_service = std::make_unique<peaje::server::SyncPeajeService>(datasets, config.threads);
    service = sync_service.get();
  } else {
    callback_service = std::make_unique<peaje::server::PeajeService>(datasets, config.threads);
    service = callback_service.get();
  }
  // Outlives the server: its calls report to it until they end.
  peaje::server::StreamGuard streams(config.max_streams,
                                     std::chrono::seconds(config.stream_idle_seconds));

  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's built-in health service registers no descriptors; touching the generated ones links
  // them in, so reflection (and grpcurl) can describe grpc.health.v1.Health.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(config.listen.size(), 0);
  for (std::size_t i = 0; i < config.listen.size(); ++i) {
    builder.AddListeningPort(config.listen[i], grpc::InsecureServerCredentials(), &ports[i]);
  }
  // A second server on a busy port must fail, not silently share it (Linux SO_REUSEPORT).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // One connection cannot hold unbounded calls at once (HTTP/2 SETTINGS; more wait client-side).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.SetMaxSendMessageSize(config.max_message_bytes);
  if (config.threads > 0) {
    // Every sync call holds a thread for its life: streams (reflection is a sync service) and,
    // on --api sync, the peaje.v1 calls. The service admits `threads` peaje.v1 calls and
    // refuses the next at once (UNAVAILABLE), not queued; the StreamGuard admits `max_streams`
    // streams. The quota leaves room for both, one polling thread and one to refuse with, so
    // open streams can never take the calls' threads. On the callback API peaje.v1 calls hold
    // none of these threads (the service runs long work on its own pool, capped by the same
    // admission count), so the quota only has to cover the streams.
    const int sync_calls = config.api == ServerConfig::Api::kSync ? config.threads : 0;
    grpc::ResourceQuota quota("peaje-server");
    quota.SetMaxThreads(sync_calls + config.max_streams + 2);
    builder.SetResourceQuota(quota);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, 1);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 1);
  }
  if (callback_service) builder.RegisterService(callback_service.get());
  if (sync_service) builder.RegisterService(sync_service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(
      std::make_unique<peaje::server::FrameworkStatusInterceptorFactory>(&streams));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  bool all_bound = server != nullptr;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    all_bound = all_bound && (ports[i] != 0 || config.listen[i].starts_with("unix:"));
  }
  if (!all_bound) {
    log_event("start_failed", ",\"listen\":" + json_list(config.listen) +
                                  ",\"reason\":\"could not bind every --listen address\"");
    if (server) server->Shutdown();
    return 1;
  }

  std::vector<std::string> bound;
  for (std::size_t i = 0; i < config.listen.size(); ++i) {
    const std::string& address = config.listen[i];
    bound.push_back(address.starts_with("unix:")
                        ? address
                        : address.substr(0, address.rfind(':') + 1) + std::to_string(ports[i]));
  }
  auto* health = server->GetHealthCheckService();
  health->SetServingStatus(true);
  health->SetServingStatus(peaje::v1::Peaje::service_full_name(), true);
  log_event("start",
            ",\"listen\":" + json_list(bound) + ",\"api\":" +
                json_string(config.api == ServerConfig::Api::kSync ? "sync" : "callback") +
                ",\"threads\":" + std::to_string(config.threads) +
                ",\"max_streams\":" + std::to_string(config.max_streams) +
                ",\"stream_idle_seconds\":" + std::to_string(config.stream_idle_seconds) +
                ",\"max_message_bytes\":" + std::to_string(config.max_message_bytes) +
                ",\"dataset_cache\":" + std::to_string(config.dataset_cache) +
                ",\"dataset_budget_bytes\":" + std::to_string(config.dataset_budget_bytes) +
                ",\"drain_seconds\":" + std::to_string(config.drain_seconds));

  std::atomic<bool> stopping = false;
  std::thread trimmer([&] {
    while (!stopping) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (datasets.take_released_bytes() >= kTrimAfterBytes) malloc_trim(0);
    }
  });

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);

  // Drain: health says NOT_SERVING, new calls are refused, in-flight calls get until the
  // deadline, then are cancelled (long searches check for it between slices).
  const auto drain_start = std::chrono::steady_clock::now();
  const auto drain_deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(config.drain_seconds);
  health->SetServingStatus(false);
  std::atomic<bool> drained = false;
  // Streams never end by themselves: an open health Watch would hold the drain to its deadline.
  // Once the last unary call has answered, end whatever is left. The grace lets Shutdown stop
  // accepting calls first (grpc_server_cancel_all_calls is only meant for after shutdown).
  std::thread end_streams([&] {
    const auto grace = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    while (!drained &&
           (service->calls_in_flight() > 0 || std::chrono::steady_clock::now() < grace)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!drained) grpc_server_cancel_all_calls(server->c_server());
  });
  server->Shutdown(drain_deadline);
  drained = true;
  end_streams.join();
  server->Wait();
  stopping = true;
  trimmer.join();
  const auto drain_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - drain_start)
                            .count();
  log_event("stop", std::string(",\"signal\":") +
                        json_string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                        ",\"drain_ms\":" + std::to_string(drain_ms));
  return 0;
}

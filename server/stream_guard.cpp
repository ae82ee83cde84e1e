#include "stream_guard.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace peaje::server {

StreamGuard::StreamGuard(int max_streams, std::chrono::milliseconds idle_timeout)
    : max_streams_(max_streams), idle_timeout_(idle_timeout) {
  grpc_init();  // gRPC stays initialised until the last call reference is dropped
  watchdog_ = std::thread([this] { watch(); });
}

StreamGuard::~StreamGuard() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
  for (auto& [id, stream] : streams_) grpc_call_unref(stream.call);
  grpc_shutdown();
}

std::uint64_t StreamGuard::open(grpc_call* call, bool client_sends) {
  grpc_call_ref(call);
  bool refused = false;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    refused = max_streams_ > 0 && open_ >= max_streams_;
    ++open_;
    streams_.emplace(id, Stream{call, Clock::now(), client_sends, refused, false});
  }
  // Ended here, on the call's own thread, before its handler runs: it never answers anything.
  if (refused) {
    const std::string busy = "server busy: all " + std::to_string(max_streams_) +
                             " stream slots (reflection, health Watch) are in use "
                             "(--max-streams); retry";
    grpc_call_cancel_with_status(call, GRPC_STATUS_UNAVAILABLE, busy.c_str(), nullptr);
  }
  return id;
}

void StreamGuard::touch(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto found = streams_.find(id); found != streams_.end()) {
    found->second.last_message = Clock::now();
  }
}

void StreamGuard::close(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto found = streams_.find(id); found != streams_.end() && !found->second.closed) {
    found->second.closed = true;
    --open_;
  }
}

int StreamGuard::open_streams() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void StreamGuard::watch() {
  using namespace std::chrono_literals;
  const auto period = idle_timeout_.count() > 0
                          ? std::clamp<std::chrono::milliseconds>(idle_timeout_ / 4, 10ms, 1000ms)
                          : std::chrono::milliseconds(1000);
  const std::string idle = "stream closed: no message from the client for " +
                           std::to_string(idle_timeout_.count()) + " ms (--stream-idle-seconds)";
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, period);
    std::vector<std::pair<grpc_call*, const std::string*>> to_end;
    std::vector<grpc_call*> to_release;
    const auto now = Clock::now();
    for (auto it = streams_.begin(); it != streams_.end();) {
      Stream& stream = it->second;
      if (stream.closed) {
        to_release.push_back(stream.call);
        it = streams_.erase(it);
        continue;
      }
      if (!stream.cancelled && stream.client_sends && idle_timeout_.count() > 0 &&
          now - stream.last_message > idle_timeout_) {
        to_end.emplace_back(stream.call, &idle);
        stream.cancelled = true;
      }
      ++it;
    }
    // The references are the guard's own and only this thread drops them: safe unlocked.
    lock.unlock();
    for (const auto& [call, message] : to_end) {
      grpc_call_cancel_with_status(call, GRPC_STATUS_UNAVAILABLE, message->c_str(), nullptr);
    }
    for (grpc_call* call : to_release) grpc_call_unref(call);
    lock.lock();
  }
}

}  // namespace peaje::server

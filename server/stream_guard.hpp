// Streams (reflection, health Watch) get an allowance and an idle timeout of their own, so that
// a client holding them open never takes the call slots that --threads exists to bound.
#pragma once

#include <grpc/grpc.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace peaje::server {

class StreamGuard {
 public:
  using Clock = std::chrono::steady_clock;

  // `max_streams` open at once (0: none refused); a stream whose client may send and has sent
  // nothing for `idle_timeout` is closed (zero: never).
  StreamGuard(int max_streams, std::chrono::milliseconds idle_timeout);
  ~StreamGuard();  // after the server has stopped: no call is opened or closed any more
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

  // A stream started. The guard holds a reference to `call` until close(); a stream past the
  // allowance is ended at once, here, with UNAVAILABLE. `client_sends`: bidi or client
  // streaming (the idle timeout applies to those only).
  std::uint64_t open(grpc_call* call, bool client_sends);
  void touch(std::uint64_t id);  // the client sent a message
  void close(std::uint64_t id);  // the call is over

  int open_streams() const;
  int max_streams() const noexcept { return max_streams_; }

 private:
  struct Stream {
    grpc_call* call;
    Clock::time_point last_message;
    bool client_sends;
    bool cancelled;  // ended by the guard (over the allowance, or idle)
    bool closed;     // over; the reference is dropped by the watchdog
  };

  // The one thread that ends streams and drops call references, off gRPC's own threads.
  void watch();

  const int max_streams_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<std::uint64_t, Stream> streams_;
  std::uint64_t next_id_ = 1;
  int open_ = 0;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace peaje::server

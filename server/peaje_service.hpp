// The peaje.v1.Peaje service: converts protobuf <-> core types, delegates to the core, and maps
// every failure to a gRPC status at this edge (design.md, "Errors").
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "dataset_cache.hpp"
#include "peaje/v1/peaje.grpc.pb.h"
#include "stream_guard.hpp"

namespace peaje::server {

// The status for the exception being handled: core kInvalidArgument/kWrongType/kEncode ->
// INVALID_ARGUMENT, kTooLarge and out-of-memory -> RESOURCE_EXHAUSTED, anything else ->
// INTERNAL (a bug). Call only inside a catch block.
grpc::Status status_of_current_exception();

// Every status message a handler builds passes here: the caller's text inside it was already
// quoted by the core, and the edge still makes sure it is valid, printable UTF-8 (a NUL would cut
// it short in some clients) of at most kMaxStatusChars characters, cut on a character boundary.
inline constexpr std::size_t kMaxStatusChars = 512;
std::string status_text(std::string_view message);

// Statuses gRPC sends by itself, before any handler runs, mapped to the contract's meaning:
// - a request it cannot parse: INTERNAL with an empty message (handlers never send that)
//   -> INVALID_ARGUMENT;
// - every gRPC thread busy: RESOURCE_EXHAUSTED "Server Threadpool Exhausted", which would read
//   as "too large" -> UNAVAILABLE, a transient refusal the caller may retry, with the standard
//   grpc-retry-pushback-ms trailer saying when.
// With a StreamGuard, every streaming call (reflection, health Watch) is also reported to it.
class FrameworkStatusInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit FrameworkStatusInterceptorFactory(StreamGuard* streams = nullptr) : streams_(streams) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  StreamGuard* streams_;
};

// How long a caller refused for "server busy" is asked to wait before retrying.
inline constexpr int kBusyRetryMs = 1000;

// How many inline values (SearchRequest.values) a serialized request carries, read from its
// bytes without parsing or copying them, so that too many are refused before any is allocated:
// at least the true count, counting each packed byte as one value while the total stays within
// `stop_after` (nothing to read then); past it, the packed bytes are counted exactly (a value
// per byte below 0x80) and counting stops. nullopt when the bytes are not a well-formed message.
std::optional<std::uint64_t> count_inline_values(const grpc::ByteBuffer& request,
                                                 std::uint64_t stop_after);

// How many entries a serialized ToBytesDictRequest carries, from its field tags alone (each
// entry skipped by its length, never parsed). nullopt when the bytes are not well formed.
std::optional<std::uint64_t> count_entries(const grpc::ByteBuffer& request);

// What a ToBytesDict request of `entries` entries in `wire_bytes` bytes holds in memory while it
// is served: each parsed entry (measured at ~170 bytes with the dictionary's share, empty
// strings), plus the keys and values copied into the dictionary and into the answer.
inline constexpr std::size_t kBytesPerEntry = 192;
inline std::size_t bytes_dict_footprint(std::uint64_t entries, std::size_t wire_bytes) {
  return static_cast<std::size_t>(entries) * kBytesPerEntry + 2 * wire_bytes;
}

// How many calls are in a handler right now, and the cap on them (--threads).
class CallCount {
 public:
  explicit CallCount(int max_calls) : max_calls_(max_calls) {}
  int in_flight() const noexcept { return in_flight_.load(); }
  int max_calls() const noexcept { return max_calls_; }

  // One admitted call: counted while it lives (moved along with the call's work). Empty when the
  // cap was reached: the call must be refused with server_busy().
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    Slot& operator=(Slot&& other) noexcept {
      release();
      count_ = std::exchange(other.count_, nullptr);
      return *this;
    }
    ~Slot() { release(); }
    explicit operator bool() const noexcept { return count_ != nullptr; }
    void release() noexcept {
      if (count_ != nullptr) std::exchange(count_, nullptr)->in_flight_.fetch_sub(1);
    }

   private:
    friend class CallCount;
    explicit Slot(CallCount* count) : count_(count) {}
    CallCount* count_ = nullptr;
  };

  Slot admit() {
    if (in_flight_.fetch_add(1) < max_calls_ || max_calls_ == 0) return Slot(this);
    in_flight_.fetch_sub(1);
    return {};
  }

 private:
  const int max_calls_;
  std::atomic<int> in_flight_{0};
};

// UNAVAILABLE "server busy" with the grpc-retry-pushback-ms trailer: a call past --threads.
grpc::Status server_busy(grpc::ServerContextBase* context, int max_calls);

// What peaje.v1.Peaje (proto/peaje/v1/peaje.proto) does, apart from how gRPC calls it: the sync
// API (SyncPeajeService) and the callback API (PeajeService) share every step. Requests arrive
// as bytes so that the inline-value cap and the memory budget are checked before the parse.
class PeajeCalls {
 public:
  // `max_calls`: peaje.v1 calls served at once (--threads); past it a call is refused at once
  // with UNAVAILABLE "server busy". 0: no cap.
  explicit PeajeCalls(DatasetCache& datasets, int max_calls = 0)
      : datasets_(datasets), calls_(max_calls) {}

  // Calls inside a handler right now; the drain waits for these, not for streams.
  int calls_in_flight() const noexcept { return calls_.in_flight(); }

  // Whole calls, admission included, on the calling thread (the sync API, tests, fuzzers).
  // Search: admits, counts the inline values (RESOURCE_EXHAUSTED past limits::kMaxDatasetSize),
  // holds their bytes in the dataset budget, parses, searches.
  grpc::Status SearchBytes(grpc::ServerContextBase* context, const grpc::ByteBuffer* request,
                           peaje::v1::SearchResponse* response);
  // ToBytesDict: admits, counts the entries, holds their footprint in the dataset budget
  // (RESOURCE_EXHAUSTED when it cannot), parses, converts.
  grpc::Status ToBytesDictBytes(grpc::ServerContextBase* context, const grpc::ByteBuffer* request,
                                peaje::v1::ToBytesDictResponse* response);
  grpc::Status NoopBytes(grpc::ServerContextBase* context, const grpc::ByteBuffer* request,
                         peaje::v1::NoopResponse* response);

 protected:
  // The steps, for an admitted call. decode_search counts, reserves (may wait for the budget)
  // and parses into `parsed`; the handle holds the reservation. Throws the core's errors.
  std::shared_ptr<void> decode_search(grpc::ServerContextBase* context,
                                      const grpc::ByteBuffer& request,
                                      peaje::v1::SearchRequest& parsed);
  // Searches `request`; `resident`, when given, is its dataset already looked up.
  grpc::Status search_parsed(grpc::ServerContextBase* context,
                             const peaje::v1::SearchRequest& request,
                             peaje::v1::SearchResponse* response,
                             std::shared_ptr<const SortedArray> resident = nullptr);
  grpc::Status to_bytes_dict_admitted(grpc::ServerContextBase* context,
                                      const grpc::ByteBuffer& request,
                                      peaje::v1::ToBytesDictResponse* response);
  grpc::Status noop_admitted(const grpc::ByteBuffer& request, peaje::v1::NoopResponse* response);

  DatasetCache& datasets_;
  CallCount calls_;
};

// peaje.v1.Peaje on gRPC's sync API: every call holds one of gRPC's threads for its life.
// Kept for `peaje-server --api sync` and the measurement of the server's share against it.
class SyncPeajeService final : public grpc::Service, public PeajeCalls {
 public:
  explicit SyncPeajeService(DatasetCache& datasets, int max_calls = 0);
};

// Threads that run the callback API's long work (see PeajeService). A task goes to an idle
// worker or to a new one, never behind another task: the admission cap (--threads) is what
// bounds how many run at once. Workers idle for `idle_timeout` exit, all but `keep_idle`.
class WorkPool {
 public:
  explicit WorkPool(std::size_t keep_idle = 4,
                    std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
  ~WorkPool();  // runs what is queued, then joins every worker
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Throws std::system_error when a needed thread cannot be started (the task is not run).
  void run(std::function<void()> task);
  std::size_t workers() const;

 private:
  void work(std::list<std::thread>::iterator self);

  const std::size_t keep_idle_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::size_t waiting_ = 0;  // workers waiting for a task
  bool stopping_ = false;
  std::list<std::thread> workers_;
  std::vector<std::thread> finished_;  // exited on their own, joined by the next run()
};

// peaje.v1.Peaje on gRPC's callback API (peaje-server's default): a call needs no thread of its
// own while gRPC reads or writes it. Short work (Noop; a search of at most kInlineSearches on a
// resident dataset or on inline values, a bytes dict, each in at most kInlineBytes of request)
// runs inline on gRPC's callback thread; anything that may take long or wait (a dataset to
// build, the budget, big requests, long repeats) runs on the WorkPool, so gRPC's threads are
// never held by it. The admission count (--threads) caps both together.
class PeajeService final : public grpc::Service, public PeajeCalls {
 public:
  static constexpr std::size_t kInlineBytes = 64 << 10;
  static constexpr std::int64_t kInlineSearches = 4096;

  explicit PeajeService(DatasetCache& datasets, int max_calls = 0);
  std::size_t workers() const { return pool_.workers(); }

 private:
  grpc::ServerUnaryReactor* search(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   peaje::v1::SearchResponse* response);
  grpc::ServerUnaryReactor* to_bytes_dict(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          peaje::v1::ToBytesDictResponse* response);
  grpc::ServerUnaryReactor* noop(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 peaje::v1::NoopResponse* response);
  // Runs `work` on the pool, then finishes the call with its status.
  void offload(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
               CallCount::Slot slot, std::function<grpc::Status()> work);

  WorkPool pool_;
};

}  // namespace peaje::server

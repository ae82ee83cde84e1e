// peaje._grpc_client: a C++ gRPC client (Debian's libgrpc++) for the "grpc" engine's client="cpp".
// Bytes cross, not messages: Python's protobuf serializes the same peaje.v1 messages as the
// grpcio clients, so this module links no protobuf and cannot clash with the Python one. A call
// is one blocking unary RPC on the calling thread's own completion queue, with the GIL released,
// or, for an event loop, a call on a LoopQueue whose answers the loop drains (an eventfd).
#include <fcntl.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/byte_buffer.h>
#include <pybind11/pybind11.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

constexpr double kMaxTimeoutSeconds = 1e9;

// The same settings as remote.CHANNEL_OPTIONS for grpcio: no client-side size cap (the server
// bounds messages), a short reconnect backoff, round robin over every resolved address.
std::shared_ptr<grpc::Channel> make_channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

void set_timeout(grpc::ClientContext& context, double timeout_seconds) {
  // Beyond ~30 years (or infinite) a deadline would overflow the clock: no deadline then.
  if (timeout_seconds < kMaxTimeoutSeconds) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::duration<double>(timeout_seconds)));
  }
}

// A serialized message is bytes (what SerializeToString gives): a buffer could be strided or
// change under the call, so only bytes are taken (anything else is a TypeError from pybind11).
grpc::ByteBuffer buffer_of(const py::bytes& request) {
  grpc::Slice slice(PyBytes_AS_STRING(request.ptr()),
                    static_cast<std::size_t>(PyBytes_GET_SIZE(request.ptr())));
  return grpc::ByteBuffer(&slice, 1);
}

py::bytes bytes_of(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return py::bytes();
  if (slices.size() == 1) {
    return py::bytes(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size());
  }
  std::string joined;
  joined.reserve(buffer.Length());
  for (const auto& slice : slices)
    joined.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return py::bytes(joined);
}

// (0, response bytes, None) or (status code, details, [(key, value), ...] trailing metadata).
py::tuple outcome(const grpc::Status& status, const grpc::ClientContext& context,
                  const grpc::ByteBuffer& response) {
  if (status.ok()) return py::make_tuple(0, bytes_of(response), py::none());
  py::list trailing;
  for (const auto& [key, value] : context.GetServerTrailingMetadata()) {
    trailing.append(
        py::make_tuple(py::str(key.data(), key.size()), py::str(value.data(), value.size())));
  }
  return py::make_tuple(static_cast<int>(status.error_code()), py::str(status.error_message()),
                        trailing);
}

std::int64_t monotonic_ns() noexcept {  // CLOCK_MONOTONIC, as Python's time.perf_counter_ns
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// One call for an event loop: started on the channel's shared completion queue, finished by
// the completion thread (which touches no Python object), handed to the loop by drain().
struct LoopCall {
  std::uint64_t id = 0;
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  std::int64_t done_ns = 0;  // when the answer (or the failure) reached this process
  void cancel() { context.TryCancel(); }
};

// The event loop's side of a channel: one completion queue, one thread waiting on it with no
// GIL, and an eventfd the loop watches (loop.add_reader). A finished call is queued for the
// loop and the eventfd written once per batch; the loop's reader calls drain() and resolves the
// calls' futures itself. So no thread ever waits for the GIL to deliver an answer, and a busy
// loop delivers a whole batch of answers in one wake-up.
class LoopQueue {
 public:
  explicit LoopQueue(std::shared_ptr<grpc::Channel> channel)
      : stub_(std::move(channel)), fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    thread_ = std::thread([this] { run(); });
  }
  LoopQueue(const LoopQueue&) = delete;
  LoopQueue& operator=(const LoopQueue&) = delete;
  ~LoopQueue() { close(); }

  int fd() const noexcept { return fd_; }

  // Calls started and not yet ended (a cancelled call ends as soon as gRPC says so).
  std::size_t in_flight() {
    std::lock_guard lock(mutex_);
    return in_flight_.size();
  }

  // Cancels what is in flight, waits for the completion thread; later starts raise. Idempotent.
  void close() {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      for (const auto& [key, call] : in_flight_) call->cancel();
    }
    queue_.Shutdown();  // every started call still completes (cancelled), then Next() ends
    thread_.join();
    ::close(fd_);
  }

  std::shared_ptr<LoopCall> start(const std::string& path, const py::bytes& request,
                                  double timeout_seconds, std::uint64_t id);

  // Every call finished since the last drain: (id, code, payload or details, trailing, done_ns).
  py::list drain();

 private:
  void run() {
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
      auto* call = static_cast<LoopCall*>(tag);
      call->done_ns = monotonic_ns();
      bool was_empty = false;
      {
        std::lock_guard lock(mutex_);
        const auto found = in_flight_.find(call);
        if (found == in_flight_.end()) continue;
        was_empty = done_.empty();
        done_.push_back(std::move(found->second));
        in_flight_.erase(found);
      }
      if (was_empty) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = write(fd_, &one, sizeof one);  // never full: drained
      }
    }
  }

  grpc::GenericStub stub_;
  int fd_;
  bool closed_ = false;  // under mutex_
  grpc::CompletionQueue queue_;
  std::mutex mutex_;
  std::unordered_map<const LoopCall*, std::shared_ptr<LoopCall>> in_flight_;
  std::vector<std::shared_ptr<LoopCall>> done_;
  std::thread thread_;
};

std::shared_ptr<LoopCall> LoopQueue::start(const std::string& path, const py::bytes& request,
                                           double timeout_seconds, std::uint64_t id) {
  auto call = std::make_shared<LoopCall>();
  call->id = id;
  set_timeout(call->context, timeout_seconds);
  grpc::ByteBuffer buffer = buffer_of(request);
  std::lock_guard lock(mutex_);  // against close(): no call starts on a queue shut down
  if (closed_) throw std::logic_error("the loop queue is closed");
  call->reader = stub_.PrepareUnaryCall(&call->context, path, buffer, &queue_);
  in_flight_.emplace(call.get(), call);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call.get());
  return call;
}

py::list LoopQueue::drain() {
  std::vector<std::shared_ptr<LoopCall>> done;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return py::list();
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = read(fd_, &count, sizeof count);  // EAGAIN if none: fine
    done.swap(done_);
  }
  py::list results;
  for (const auto& call : done) {
    const py::tuple result = outcome(call->status, call->context, call->response);
    results.append(py::make_tuple(call->id, result[0], result[1], result[2], call->done_ns));
  }
  return results;
}

// One method of one channel: calling it sends serialized request bytes and returns
// (0, response bytes, None) or (status code, details, [(key, value), ...] trailing metadata).
class UnaryMethod {
 public:
  UnaryMethod(std::shared_ptr<grpc::Channel> channel, std::string path)
      : channel_(std::move(channel)),
        path_(std::move(path)),
        method_(path_.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel_) {}

  py::tuple call(const py::bytes& request, double timeout_seconds) {
    const grpc::ByteBuffer request_buffer = buffer_of(request);
    grpc::ByteBuffer response_buffer;
    grpc::ClientContext context;
    set_timeout(context, timeout_seconds);
    grpc::Status status;
    {
      py::gil_scoped_release release;
      status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
          channel_.get(), method_, &context, request_buffer, &response_buffer);
    }
    return outcome(status, context, response_buffer);
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string path_;  // RpcMethod keeps the pointer, not a copy
  grpc::internal::RpcMethod method_;
};

class Channel {
 public:
  explicit Channel(const std::string& target) : channel_(make_channel(target)) {}
  UnaryMethod unary(const std::string& path) { return UnaryMethod(channel_, path); }
  std::unique_ptr<LoopQueue> loop_queue() { return std::make_unique<LoopQueue>(channel_); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace

PYBIND11_MODULE(_grpc_client, m) {
  m.doc() = "A C++ gRPC client (libgrpc++): serialized requests in, serialized responses out.";
  py::class_<UnaryMethod>(m, "UnaryMethod")
      .def("__call__", &UnaryMethod::call, py::arg("request"), py::arg("timeout"),
           "(0, response, None) or (status code, details, trailing metadata pairs)");
  py::class_<LoopCall, std::shared_ptr<LoopCall>>(m, "LoopCall")
      .def("cancel", &LoopCall::cancel, "ends the call (it is drained as CANCELLED)");
  py::class_<LoopQueue>(m, "LoopQueue")
      .def_property_readonly("fd", &LoopQueue::fd, "readable when drain() has answers")
      .def_property_readonly("in_flight", &LoopQueue::in_flight, "calls started, not ended")
      .def("start", &LoopQueue::start, py::arg("path"), py::arg("request"), py::arg("timeout"),
           py::arg("id"), "start a call; its answer comes out of drain() under `id`")
      .def("drain", &LoopQueue::drain,
           "[(id, code, payload or details, trailing metadata, done_ns)] of the ended calls")
      .def("close", &LoopQueue::close, py::call_guard<py::gil_scoped_release>(),
           "cancel what is in flight and stop the completion thread (idempotent)");
  py::class_<Channel>(m, "Channel")
      .def(py::init<const std::string&>(), py::arg("target"))
      .def("unary", &Channel::unary, py::arg("path"))
      .def("loop_queue", &Channel::loop_queue, py::keep_alive<0, 1>(),
           "a completion queue and thread of its own, for one event loop");
  m.attr("GRPC_VERSION") = grpc::Version();
}

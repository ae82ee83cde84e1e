// peaje._grpc_client: a C++ gRPC client (Debian's libgrpc++) for the "grpc" engine's client="cpp".
// Bytes cross, not messages: Python's protobuf serializes the same peaje.v1 messages as the
// grpcio clients, so this module links no protobuf and cannot clash with the Python one. A call
// is one blocking unary RPC on the calling thread's own completion queue, with the GIL released.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/byte_buffer.h>
#include <pybind11/pybind11.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
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

grpc::ByteBuffer buffer_of(const py::buffer& request) {
  const py::buffer_info info = request.request();
  grpc::Slice slice(info.ptr, static_cast<std::size_t>(info.size * info.itemsize));
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

// A call started on a completion queue of its own, for an event loop: wait(seconds) first
// briefly with the GIL held (a fast answer then never waits for the GIL to come back), and if
// that is not enough, again in a worker thread with the GIL released.
class PendingCall {
 public:
  PendingCall(grpc::GenericStub& stub, const std::string& path, const py::buffer& request,
              double timeout_seconds) {
    set_timeout(context_, timeout_seconds);
    reader_ = stub.PrepareUnaryCall(&context_, path, buffer_of(request), &queue_);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  ~PendingCall() {
    py::gil_scoped_release release;
    if (!done_) {  // abandoned: cancel it and take its completion back before the queue goes
      context_.TryCancel();
      void* tag = nullptr;
      bool ok = false;
      queue_.Next(&tag, &ok);
    }
    queue_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
    }
  }

  // True once the call has ended; a negative `seconds` waits for the end (bounded by the
  // call's own deadline). `release_gil` lets other Python threads run meanwhile.
  bool wait(double seconds, bool release_gil) {
    if (done_) return true;
    std::optional<py::gil_scoped_release> release;
    if (release_gil) release.emplace();
    void* tag = nullptr;
    bool ok = false;
    if (seconds < 0) {
      done_ = queue_.Next(&tag, &ok);
    } else {
      const auto until = std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::duration<double>(seconds));
      done_ = queue_.AsyncNext(&tag, &ok, until) == grpc::CompletionQueue::GOT_EVENT;
    }
    return done_;
  }

  py::tuple result() {
    if (!done_) throw std::logic_error("the call has not ended: wait() for it first");
    return outcome(status_, context_, response_);
  }

 private:
  grpc::ClientContext context_;
  grpc::CompletionQueue queue_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;
  bool done_ = false;
};

// One method of one channel: calling it sends serialized request bytes and returns
// (0, response bytes, None) or (status code, details, [(key, value), ...] trailing metadata).
class UnaryMethod {
 public:
  UnaryMethod(std::shared_ptr<grpc::Channel> channel, std::string path)
      : channel_(std::move(channel)),
        path_(std::move(path)),
        method_(path_.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel_) {}

  py::tuple call(const py::buffer& request, double timeout_seconds) {
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
  explicit Channel(const std::string& target) : channel_(make_channel(target)), stub_(channel_) {}
  UnaryMethod unary(const std::string& path) { return UnaryMethod(channel_, path); }
  std::unique_ptr<PendingCall> start(const std::string& path, const py::buffer& request,
                                     double timeout_seconds) {
    return std::make_unique<PendingCall>(stub_, path, request, timeout_seconds);
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
};

}  // namespace

PYBIND11_MODULE(_grpc_client, m) {
  m.doc() = "A C++ gRPC client (libgrpc++): serialized requests in, serialized responses out.";
  py::class_<UnaryMethod>(m, "UnaryMethod")
      .def("__call__", &UnaryMethod::call, py::arg("request"), py::arg("timeout"),
           "(0, response, None) or (status code, details, trailing metadata pairs)");
  py::class_<PendingCall>(m, "PendingCall")
      .def("wait", &PendingCall::wait, py::arg("seconds"), py::arg("release_gil"),
           "True once the call has ended; seconds < 0 waits for the end")
      .def("result", &PendingCall::result, "as UnaryMethod's call, once ended");
  py::class_<Channel>(m, "Channel")
      .def(py::init<const std::string&>(), py::arg("target"))
      .def("unary", &Channel::unary, py::arg("path"))
      .def("start", &Channel::start, py::arg("path"), py::arg("request"), py::arg("timeout"),
           py::keep_alive<0, 1>(), "a call started on its own completion queue");
  m.attr("GRPC_VERSION") = grpc::Version();
}

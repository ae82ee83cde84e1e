#include "peaje_service.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <system_error>

#include "peaje/bytes_dict.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/search.hpp"
#include "peaje/text.hpp"

namespace peaje::server {
namespace {

using Clock = std::chrono::steady_clock;
using peaje::v1::BytesDictEntry;

constexpr const char* kMalformedRequest =
    "malformed request: not a valid protobuf message for this method (or a string field that "
    "is not UTF-8)";

// Requests that would hold less than this skip the budget (and its lock).
constexpr std::size_t kReserveFromBytes = std::size_t{1} << 20;

Error too_many_inline_values() {
  return too_large("values: more than " + std::to_string(limits::kMaxDatasetSize) +
                   " inline values (the cap, as for datasets); send a dataset spec instead");
}

// A call the client abandoned (deadline passed, gone) or the server cancelled while draining.
struct Cancelled {};

// Searches per slice of a long repeat: a few milliseconds of work between cancellation checks.
constexpr std::int64_t kSearchesPerSlice = 1 << 20;

// When a call stops waiting for the dataset budget: its own deadline, at most DatasetCache's.
Clock::time_point budget_deadline(const grpc::ServerContextBase* context) {
  const auto now = Clock::now();
  const auto left = context->deadline() - std::chrono::system_clock::now();
  return left < DatasetCache::kMaxWait ? now + std::chrono::duration_cast<Clock::duration>(left)
                                       : now + DatasetCache::kMaxWait;
}

std::int64_t elapsed_ns(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// The core's search_many, run in slices of whole passes so that a cancelled call stops within a
// slice instead of burning a core to the end of its repeat.
void search_until_cancelled(const grpc::ServerContextBase* context,
                            std::span<const std::int64_t> values,
                            std::span<const std::int64_t> targets, std::span<std::int64_t> out,
                            std::int64_t repeat) {
  const std::int64_t n = std::max<std::int64_t>(1, static_cast<std::int64_t>(targets.size()));
  const std::int64_t passes_per_slice = std::max<std::int64_t>(1, kSearchesPerSlice / n);
  for (std::int64_t done = 0; done < repeat;) {
    const std::int64_t passes = std::min(passes_per_slice, repeat - done);
    search_many(values, targets, out, passes);
    done += passes;
    if (done < repeat && context->IsCancelled()) throw Cancelled{};
  }
}

// Text arrives as valid UTF-8 (a proto3 string), so it is already the bytes every error handler
// would produce; bytes pass through unchanged, NULs included.
std::string key_bytes(const BytesDictEntry& entry, int position) {
  switch (entry.key_case()) {
    case BytesDictEntry::kKeyText:
      return entry.key_text();
    case BytesDictEntry::kKeyBytes:
      return entry.key_bytes();
    default:
      throw invalid_argument("entries[" + std::to_string(position) +
                             "]: key is missing (set key_text or key_bytes)");
  }
}

std::string value_bytes(const BytesDictEntry& entry, int position) {
  switch (entry.value_case()) {
    case BytesDictEntry::kValueText:
      return entry.value_text();
    case BytesDictEntry::kValueBytes:
      return entry.value_bytes();
    default:
      throw invalid_argument("entries[" + std::to_string(position) +
                             "]: value is missing (set value_text or value_bytes)");
  }
}

class FrameworkStatusInterceptor final : public grpc::experimental::Interceptor {
 public:
  FrameworkStatusInterceptor(grpc::experimental::ServerRpcInfo* info, StreamGuard* streams)
      : info_(info),
        streams_(info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY ? nullptr
                                                                                : streams) {}
  ~FrameworkStatusInterceptor() override {
    if (stream_id_ != 0) streams_->close(stream_id_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (streams_ != nullptr) {
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
        const Type type = info_->type();
        stream_id_ = streams_->open(info_->server_context()->c_call(),
                                    type == Type::BIDI_STREAMING || type == Type::CLIENT_STREAMING);
      } else if (stream_id_ != 0 &&
                 methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
        streams_->touch(stream_id_);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty()) {
        methods->ModifySendStatus({grpc::StatusCode::INVALID_ARGUMENT, kMalformedRequest});
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                 status.error_message() == "Server Threadpool Exhausted") {
        methods->ModifySendStatus(
            {grpc::StatusCode::UNAVAILABLE, "server busy: every gRPC thread is in use; retry"});
        methods->GetSendTrailingMetadata()->emplace("grpc-retry-pushback-ms",
                                                    std::to_string(kBusyRetryMs));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  StreamGuard* streams_;  // null for unary calls
  std::uint64_t stream_id_ = 0;
};

}  // namespace

grpc::experimental::Interceptor* FrameworkStatusInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new FrameworkStatusInterceptor(info, streams_);  // owned and deleted by gRPC
}

grpc::Status status_of_current_exception() {
  try {
    throw;
  } catch (const Cancelled&) {
    return {grpc::StatusCode::CANCELLED, "call cancelled"};
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::kTooLarge:
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, status_text(e.what())};
      case ErrorKind::kInvalidArgument:
      case ErrorKind::kWrongType:
      case ErrorKind::kEncode:
        return {grpc::StatusCode::INVALID_ARGUMENT, status_text(e.what())};
      case ErrorKind::kDeadlineExceeded:
        return {grpc::StatusCode::DEADLINE_EXCEEDED, status_text(e.what())};
    }
    return {grpc::StatusCode::INTERNAL, status_text(e.what())};
  } catch (const std::bad_alloc&) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, "out of memory"};
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INTERNAL, status_text(std::string("internal error: ") + e.what())};
  } catch (...) {
    return {grpc::StatusCode::INTERNAL, "internal error"};
  }
}

std::string status_text(std::string_view message) {
  return printable(truncate_utf8(message, kMaxStatusChars));
}

std::optional<std::uint64_t> count_inline_values(const grpc::ByteBuffer& request,
                                                 std::uint64_t stop_after) {
  using google::protobuf::internal::WireFormatLite;
  if (!request.Valid()) return 0;
  grpc::ByteBuffer copy(request);  // shares the slices; the reader needs a mutable buffer
  grpc::ProtoBufferReader reader(&copy);
  google::protobuf::io::CodedInputStream in(&reader);
  std::uint64_t count = 0;
  // values = 2 (Int64Values, length-delimited, may repeat) holding values = 1 (sint64, packed
  // or not); anything else is skipped unread.
  while (const std::uint32_t tag = in.ReadTag()) {
    if (tag != WireFormatLite::MakeTag(2, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    std::uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return std::nullopt;
    const auto outer = in.PushLimit(static_cast<int>(length));
    while (const std::uint32_t inner = in.ReadTag()) {
      if (inner == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT)) {
        std::uint64_t ignored = 0;
        if (!in.ReadVarint64(&ignored)) return std::nullopt;
        ++count;
      } else if (inner == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
        std::uint32_t packed = 0;
        if (!in.ReadVarint32(&packed)) return std::nullopt;
        if (count + packed <= stop_after) {  // at most one value per byte: within the cap unread
          if (!in.Skip(static_cast<int>(packed))) return std::nullopt;
          count += packed;
          continue;
        }
        // Each varint ends at a byte below 0x80: count those, chunk by chunk, without copying.
        for (std::uint32_t left = packed; left > 0;) {
          const void* data = nullptr;
          int size = 0;
          if (!in.GetDirectBufferPointer(&data, &size) || size <= 0) return std::nullopt;
          const auto chunk = std::min<std::uint32_t>(left, static_cast<std::uint32_t>(size));
          const auto* bytes = static_cast<const std::uint8_t*>(data);
          count += static_cast<std::uint64_t>(
              std::count_if(bytes, bytes + chunk, [](std::uint8_t b) { return b < 0x80; }));
          in.Skip(static_cast<int>(chunk));
          left -= chunk;
        }
      } else if (!WireFormatLite::SkipField(&in, inner)) {
        return std::nullopt;
      }
      if (count > stop_after) return count;
    }
    if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) return std::nullopt;
    in.PopLimit(outer);
  }
  return in.ConsumedEntireMessage() ? std::optional(count) : std::nullopt;
}

std::optional<std::uint64_t> count_entries(const grpc::ByteBuffer& request) {
  using google::protobuf::internal::WireFormatLite;
  if (!request.Valid()) return 0;
  grpc::ByteBuffer copy(request);
  grpc::ProtoBufferReader reader(&copy);
  google::protobuf::io::CodedInputStream in(&reader);
  std::uint64_t count = 0;
  while (const std::uint32_t tag = in.ReadTag()) {
    if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) ++count;
  }
  return in.ConsumedEntireMessage() ? std::optional(count) : std::nullopt;
}

grpc::Status server_busy(grpc::ServerContextBase* context, int max_calls) {
  // The standard hint of when to retry (gRFC A6); peaje's client reads it as Overloaded.
  context->AddTrailingMetadata("grpc-retry-pushback-ms", std::to_string(kBusyRetryMs));
  return {grpc::StatusCode::UNAVAILABLE, "server busy: all " + std::to_string(max_calls) +
                                             " call slots are in use (--threads); retry"};
}

// ---- the steps, shared by both APIs ----------------------------------------------------------

grpc::Status PeajeCalls::SearchBytes(grpc::ServerContextBase* context,
                                     const grpc::ByteBuffer* request,
                                     peaje::v1::SearchResponse* response) {
  const CallCount::Slot slot = calls_.admit();
  if (!slot) return server_busy(context, calls_.max_calls());
  try {
    peaje::v1::SearchRequest parsed;
    const std::shared_ptr<void> held = decode_search(context, *request, parsed);
    return search_parsed(context, parsed, response);
  } catch (...) {
    return status_of_current_exception();
  }
}

std::shared_ptr<void> PeajeCalls::decode_search(grpc::ServerContextBase* context,
                                                const grpc::ByteBuffer& request,
                                                peaje::v1::SearchRequest& parsed) {
  const auto cap = static_cast<std::uint64_t>(limits::kMaxDatasetSize);
  const std::optional<std::uint64_t> count = count_inline_values(request, cap);
  if (!count) throw invalid_argument(kMalformedRequest);
  if (*count > cap) throw too_many_inline_values();
  // The values' bytes are held in the budget before the parse allocates them.
  std::shared_ptr<void> held =
      *count * sizeof(std::int64_t) < kReserveFromBytes
          ? nullptr
          : datasets_.reserve(*count * sizeof(std::int64_t),
                              std::to_string(*count) + " inline values", budget_deadline(context));
  if (request.Valid()) {
    grpc::ByteBuffer copy(request);
    grpc::ProtoBufferReader reader(&copy);
    if (!parsed.ParseFromZeroCopyStream(&reader)) throw invalid_argument(kMalformedRequest);
  }
  return held;
}

grpc::Status PeajeCalls::search_parsed(grpc::ServerContextBase* context,
                                       const peaje::v1::SearchRequest& request,
                                       peaje::v1::SearchResponse* response,
                                       std::shared_ptr<const SortedArray> resident) {
  try {
    if (request.values().values_size() > limits::kMaxDatasetSize) {
      throw too_many_inline_values();
    }
    const auto start = Clock::now();
    const std::int64_t repeat = request.repeat() == 0 ? 1 : request.repeat();
    const std::span<const std::int64_t> targets(request.targets().data(), request.targets().size());
    check_batch(targets.size(), repeat);
    auto& indices = *response->mutable_indices();
    indices.Resize(static_cast<int>(targets.size()), -1);
    const std::span<std::int64_t> out(indices.mutable_data(), indices.size());

    switch (request.data_case()) {
      case peaje::v1::SearchRequest::kDataset: {  // resident: only the targets crossed
        const auto array = resident ? std::move(resident)
                                    : datasets_.get(request.dataset(), budget_deadline(context));
        search_until_cancelled(context, array->values(), targets, out, repeat);
        break;
      }
      case peaje::v1::SearchRequest::kValues: {  // inline: searched in place, checked first
        const auto& values = request.values().values();
        const std::span<const std::int64_t> view(values.data(), values.size());
        require_sorted(view);
        search_until_cancelled(context, view, targets, out, repeat);
        break;
      }
      default:
        throw invalid_argument("one of dataset or values is required");
    }
    response->set_server_ns(elapsed_ns(start));
    return grpc::Status::OK;
  } catch (...) {
    return status_of_current_exception();
  }
}

grpc::Status PeajeCalls::ToBytesDictBytes(grpc::ServerContextBase* context,
                                          const grpc::ByteBuffer* request,
                                          peaje::v1::ToBytesDictResponse* response) {
  const CallCount::Slot slot = calls_.admit();
  if (!slot) return server_busy(context, calls_.max_calls());
  return to_bytes_dict_admitted(context, *request, response);
}

grpc::Status PeajeCalls::to_bytes_dict_admitted(grpc::ServerContextBase* context,
                                                const grpc::ByteBuffer& request,
                                                peaje::v1::ToBytesDictResponse* response) {
  try {
    const std::optional<std::uint64_t> entries = count_entries(request);
    if (!entries) throw invalid_argument(kMalformedRequest);
    const std::size_t wire_bytes = request.Valid() ? request.Length() : 0;
    const std::size_t footprint = bytes_dict_footprint(*entries, wire_bytes);
    // Small requests (most) skip the budget's lock; what they hold is bounded by their count.
    const std::shared_ptr<void> held =
        footprint < kReserveFromBytes
            ? nullptr
            : datasets_.reserve(footprint,
                                "a bytes dict of " + std::to_string(*entries) + " entries",
                                budget_deadline(context));
    peaje::v1::ToBytesDictRequest parsed;
    if (request.Valid()) {
      grpc::ByteBuffer copy(request);
      grpc::ProtoBufferReader reader(&copy);
      if (!parsed.ParseFromZeroCopyStream(&reader)) throw invalid_argument(kMalformedRequest);
    }
    const auto start = Clock::now();
    // Every handler encodes valid UTF-8 alike; the name is still checked so a typo is an error.
    if (!parsed.errors().empty()) parse_utf8_errors(parsed.errors());
    BytesDict dict;
    dict.reserve(static_cast<std::size_t>(parsed.entries_size()));
    for (int i = 0; i < parsed.entries_size(); ++i) {
      const auto& entry = parsed.entries(i);
      dict.insert(key_bytes(entry, i), value_bytes(entry, i));
    }
    response->mutable_entries()->Reserve(static_cast<int>(dict.size()));
    for (const auto& [key, value] : dict.entries()) {
      auto* pair = response->add_entries();
      pair->set_key(key);
      pair->set_value(value);
    }
    response->set_server_ns(elapsed_ns(start));
    return grpc::Status::OK;
  } catch (...) {
    return status_of_current_exception();
  }
}

grpc::Status PeajeCalls::NoopBytes(grpc::ServerContextBase* context,
                                   const grpc::ByteBuffer* request,
                                   peaje::v1::NoopResponse* response) {
  const CallCount::Slot slot = calls_.admit();
  if (!slot) return server_busy(context, calls_.max_calls());
  return noop_admitted(*request, response);
}

grpc::Status PeajeCalls::noop_admitted(const grpc::ByteBuffer& request,
                                       peaje::v1::NoopResponse* response) {
  // An empty message (the usual case) arrives as no bytes: nothing to parse.
  if (request.Valid() && request.Length() > 0) {
    peaje::v1::NoopRequest parsed;
    grpc::ByteBuffer copy(request);
    grpc::ProtoBufferReader reader(&copy);
    if (!parsed.ParseFromZeroCopyStream(&reader)) {
      return {grpc::StatusCode::INVALID_ARGUMENT, kMalformedRequest};
    }
  }
  response->set_server_ns(0);
  return grpc::Status::OK;
}

// ---- the sync API ----------------------------------------------------------------------------

SyncPeajeService::SyncPeajeService(DatasetCache& datasets, int max_calls)
    : PeajeCalls(datasets, max_calls) {
  using grpc::internal::RpcMethod;
  using grpc::internal::RpcMethodHandler;
  using grpc::internal::RpcServiceMethod;
  using grpc::protobuf::MessageLite;
  AddMethod(new RpcServiceMethod(
      "/peaje.v1.Peaje/Search", RpcMethod::NORMAL_RPC,
      new RpcMethodHandler<PeajeCalls, grpc::ByteBuffer, peaje::v1::SearchResponse,
                           grpc::ByteBuffer, MessageLite>(std::mem_fn(&PeajeCalls::SearchBytes),
                                                          this)));
  AddMethod(new RpcServiceMethod(
      "/peaje.v1.Peaje/ToBytesDict", RpcMethod::NORMAL_RPC,
      new RpcMethodHandler<PeajeCalls, grpc::ByteBuffer, peaje::v1::ToBytesDictResponse,
                           grpc::ByteBuffer, MessageLite>(
          std::mem_fn(&PeajeCalls::ToBytesDictBytes), this)));
  AddMethod(new RpcServiceMethod(
      "/peaje.v1.Peaje/Noop", RpcMethod::NORMAL_RPC,
      new RpcMethodHandler<PeajeCalls, grpc::ByteBuffer, peaje::v1::NoopResponse, grpc::ByteBuffer,
                           MessageLite>(std::mem_fn(&PeajeCalls::NoopBytes), this)));
}

// ---- the callback API ------------------------------------------------------------------------

WorkPool::WorkPool(std::size_t keep_idle, std::chrono::milliseconds idle_timeout)
    : keep_idle_(keep_idle), idle_timeout_(idle_timeout) {}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // from here on no worker moves itself between the lists
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  for (auto& worker : finished_) worker.join();
}

void WorkPool::run(std::function<void()> task) {
  std::vector<std::thread> exited;
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
    if (waiting_ >= tasks_.size()) {
      wake_.notify_one();
    } else {
      try {
        const auto slot = workers_.emplace(workers_.end());
        try {
          *slot = std::thread(&WorkPool::work, this, slot);  // waits for the lock held here
        } catch (...) {
          workers_.erase(slot);
          throw;
        }
      } catch (...) {
        tasks_.pop_back();
        throw;
      }
    }
    exited.swap(finished_);
  }
  for (auto& worker : exited) worker.join();
}

std::size_t WorkPool::workers() const {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

void WorkPool::work(std::list<std::thread>::iterator self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!tasks_.empty()) {
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // its captures go outside the lock
      lock.lock();
      continue;
    }
    if (stopping_) return;
    ++waiting_;
    const bool woken =
        wake_.wait_for(lock, idle_timeout_, [&] { return !tasks_.empty() || stopping_; });
    --waiting_;
    if (!woken && waiting_ >= keep_idle_) {  // idle for long, and enough others wait
      finished_.push_back(std::move(*self));
      workers_.erase(self);
      return;
    }
  }
}

PeajeService::PeajeService(DatasetCache& datasets, int max_calls)
    : PeajeCalls(datasets, max_calls) {
  using grpc::internal::CallbackUnaryHandler;
  using grpc::internal::RpcMethod;
  using grpc::internal::RpcServiceMethod;
  for (const char* name :
       {"/peaje.v1.Peaje/Search", "/peaje.v1.Peaje/ToBytesDict", "/peaje.v1.Peaje/Noop"}) {
    AddMethod(new RpcServiceMethod(name, RpcMethod::NORMAL_RPC, nullptr));
  }
  MarkMethodCallback(
      0, new CallbackUnaryHandler<grpc::ByteBuffer, peaje::v1::SearchResponse>(
             [this](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                    peaje::v1::SearchResponse* response) {
               return search(context, request, response);
             }));
  MarkMethodCallback(
      1, new CallbackUnaryHandler<grpc::ByteBuffer, peaje::v1::ToBytesDictResponse>(
             [this](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                    peaje::v1::ToBytesDictResponse* response) {
               return to_bytes_dict(context, request, response);
             }));
  MarkMethodCallback(
      2,
      new CallbackUnaryHandler<grpc::ByteBuffer, peaje::v1::NoopResponse>(
          [this](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                 peaje::v1::NoopResponse* response) { return noop(context, request, response); }));
}

namespace {

bool small_request(const grpc::ByteBuffer* request) {
  return !request->Valid() || request->Length() <= PeajeService::kInlineBytes;
}

}  // namespace

grpc::ServerUnaryReactor* PeajeService::search(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               peaje::v1::SearchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallCount::Slot slot = calls_.admit();
  if (!slot) {
    reactor->Finish(server_busy(context, calls_.max_calls()));
    return reactor;
  }
  if (!small_request(request)) {  // counted, held in the budget and parsed off gRPC's threads
    offload(reactor, context, std::move(slot), [this, context, request, response] {
      peaje::v1::SearchRequest parsed;
      const std::shared_ptr<void> held = decode_search(context, *request, parsed);
      return search_parsed(context, parsed, response);
    });
    return reactor;
  }
  auto parsed = std::make_unique<peaje::v1::SearchRequest>();
  try {
    decode_search(context, *request, *parsed);  // small: nothing to hold in the budget
  } catch (...) {
    slot.release();
    reactor->Finish(status_of_current_exception());
    return reactor;
  }
  // Short work only: a bounded batch on a dataset already built, or on the (small) inline values.
  const std::int64_t repeat = parsed->repeat() == 0 ? 1 : parsed->repeat();
  const std::int64_t targets = std::max(1, parsed->targets_size());
  std::shared_ptr<const SortedArray> resident;
  const bool inline_work = repeat >= 1 && repeat <= kInlineSearches / targets &&
                           (parsed->data_case() != peaje::v1::SearchRequest::kDataset ||
                            (resident = datasets_.find_built(parsed->dataset())) != nullptr);
  if (inline_work) {
    grpc::Status status = search_parsed(context, *parsed, response, std::move(resident));
    slot.release();
    reactor->Finish(std::move(status));
    return reactor;
  }
  offload(reactor, context, std::move(slot),
          [this, context, response, parsed = std::shared_ptr(std::move(parsed))] {
            return search_parsed(context, *parsed, response);
          });
  return reactor;
}

grpc::ServerUnaryReactor* PeajeService::to_bytes_dict(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      peaje::v1::ToBytesDictResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallCount::Slot slot = calls_.admit();
  if (!slot) {
    reactor->Finish(server_busy(context, calls_.max_calls()));
  } else if (small_request(request)) {
    grpc::Status status = to_bytes_dict_admitted(context, *request, response);
    slot.release();
    reactor->Finish(std::move(status));
  } else {
    offload(reactor, context, std::move(slot), [this, context, request, response] {
      return to_bytes_dict_admitted(context, *request, response);
    });
  }
  return reactor;
}

grpc::ServerUnaryReactor* PeajeService::noop(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             peaje::v1::NoopResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallCount::Slot slot = calls_.admit();
  grpc::Status status =
      slot ? noop_admitted(*request, response) : server_busy(context, calls_.max_calls());
  slot.release();
  reactor->Finish(std::move(status));
  return reactor;
}

void PeajeService::offload(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
                           CallCount::Slot slot, std::function<grpc::Status()> work) {
  // std::function copies what it holds: the slot (move-only) is shared with the task.
  auto held = std::make_shared<CallCount::Slot>(std::move(slot));
  try {
    pool_.run([reactor, held, work = std::move(work)] {
      grpc::Status status;
      try {
        status = work();
      } catch (...) {
        status = status_of_current_exception();
      }
      held->release();
      reactor->Finish(std::move(status));
    });
  } catch (const std::system_error&) {  // no thread to run it on: busy, as past --threads
    held->release();
    context->AddTrailingMetadata("grpc-retry-pushback-ms", std::to_string(kBusyRetryMs));
    reactor->Finish({grpc::StatusCode::UNAVAILABLE,
                     "server busy: no thread could be started for the call; retry"});
  }
}

}  // namespace peaje::server

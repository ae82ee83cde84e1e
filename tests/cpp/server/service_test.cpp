// The service in-process, over a real Unix socket, on both of gRPC's APIs (callback, peaje-server's
// default, and sync): statuses, conversions, cancellation, the call cap.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dataset_cache.hpp"
#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje_service.hpp"

namespace peaje::server {
namespace {

using peaje::v1::BytesDictEntry;
using peaje::v1::SearchRequest;
using peaje::v1::SearchResponse;
using peaje::v1::ToBytesDictRequest;
using peaje::v1::ToBytesDictResponse;
using Clock = std::chrono::steady_clock;

constexpr int kMaxMessageBytes = 1 << 20;

grpc::ByteBuffer buffer_of(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

enum class Api { kCallback, kSync };

class ServiceTest : public ::testing::TestWithParam<Api> {
 protected:
  void SetUp() override {
    if (GetParam() == Api::kCallback) {
      auto service = std::make_unique<PeajeService>(datasets_, max_calls_);
      calls_ = service.get();
      service_ = std::move(service);
    } else {
      auto service = std::make_unique<SyncPeajeService>(datasets_, max_calls_);
      calls_ = service.get();
      service_ = std::move(service);
    }
    char dir[] = "/tmp/peaje-service-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    address_ = "unix:" + dir_ + "/peaje.sock";
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.SetMaxReceiveMessageSize(max_message_bytes_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
    stub_ = peaje::v1::Peaje::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    unlink((dir_ + "/peaje.sock").c_str());
    rmdir(dir_.c_str());
  }

  grpc::Status search(const SearchRequest& request, SearchResponse& response,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->Search(&context, request, &response);
  }

  grpc::Status to_bytes_dict(const ToBytesDictRequest& request, ToBytesDictResponse& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->ToBytesDict(&context, request, &response);
  }

  static SearchRequest resident(const std::string& spec, std::vector<std::int64_t> targets,
                                std::int64_t repeat = 1) {
    SearchRequest request;
    request.set_dataset(spec);
    request.mutable_targets()->Add(targets.begin(), targets.end());
    request.set_repeat(repeat);
    return request;
  }

  static SearchRequest inline_values(const std::vector<std::int64_t>& values,
                                     std::vector<std::int64_t> targets) {
    SearchRequest request;
    request.mutable_values()->mutable_values()->Add(values.begin(), values.end());
    request.mutable_targets()->Add(targets.begin(), targets.end());
    return request;
  }

  static std::vector<std::int64_t> indices(const SearchResponse& response) {
    return {response.indices().begin(), response.indices().end()};
  }

  int max_message_bytes_ = kMaxMessageBytes;
  int max_calls_ = 0;
  DatasetCache datasets_{4};
  std::unique_ptr<grpc::Service> service_;
  PeajeCalls* calls_ = nullptr;
  std::string dir_;
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<peaje::v1::Peaje::Stub> stub_;
};

TEST_P(ServiceTest, SearchesAResidentDatasetBuiltOnce) {
  SearchResponse response;
  ASSERT_TRUE(search(resident("range:100000", {66666, -1, 100000, 0}), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{66666, -1, -1, 0}));
  EXPECT_GT(response.server_ns(), 0);
  ASSERT_TRUE(search(resident("range:100000:1", {5}, 100), response).ok());
  EXPECT_EQ(datasets_.size(), 1u);
}

TEST_P(ServiceTest, SearchesInlineValuesLeftmost) {
  SearchResponse response;
  ASSERT_TRUE(search(inline_values({1, 2, 2, 2, 9}, {2, 9, 3}), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{1, 4, -1}));
  ASSERT_TRUE(search(inline_values({}, {1}), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{-1}));
}

TEST_P(ServiceTest, RepeatZeroMeansOnce) {
  SearchResponse response;
  ASSERT_TRUE(search(resident("range:10", {3}, 0), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{3}));
}

TEST_P(ServiceTest, UnsortedInlineValuesNameTheFirstBadIndex) {
  SearchResponse response;
  const auto status = search(inline_values({1, 5, 3, 2}, {1}), response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("values[2]"), std::string::npos) << status.error_message();
}

TEST_P(ServiceTest, BadArgumentsAreInvalidArgument) {
  SearchResponse response;
  SearchRequest no_data;
  no_data.add_targets(1);
  EXPECT_EQ(search(no_data, response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search(resident("range:abc", {1}), response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search(resident("range:10", {1}, -1), response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search(resident("range:10", {1}, limits::kMaxRepeat + 1), response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(ServiceTest, TooLargeIsResourceExhausted) {
  SearchResponse response;
  EXPECT_EQ(search(resident("range:10000001", {1}), response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(
      search(resident("range:10", std::vector<std::int64_t>(1001, 1), limits::kMaxRepeat), response)
          .error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Over --max-message-bytes: refused by gRPC itself, before the service.
  std::vector<std::int64_t> big(kMaxMessageBytes / 2);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::int64_t>(i) << 20;
  EXPECT_EQ(search(inline_values(big, {1}), response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_P(ServiceTest, DeadlineStopsTheWorkBetweenSlices) {
  std::vector<std::int64_t> targets(1000);
  for (std::size_t i = 0; i < targets.size(); ++i) targets[i] = static_cast<std::int64_t>(i);
  SearchResponse response;
  const auto status = search(resident("range:100000", targets, limits::kMaxRepeat), response,
                             std::chrono::milliseconds(200));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  const auto start = Clock::now();
  server_->Shutdown();  // waits for the handler, which must notice the cancellation
  server_.reset();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

TEST_P(ServiceTest, ConcurrentCallsShareTheResidentDataset) {
  std::vector<std::thread> threads;
  std::vector<bool> ok(8);
  for (std::size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&, i] {
      SearchResponse response;
      ok[i] = search(resident("range:2000000:3", {3 * static_cast<std::int64_t>(i)}, 10), response)
                  .ok() &&
              indices(response) == std::vector<std::int64_t>{static_cast<std::int64_t>(i)};
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < ok.size(); ++i) EXPECT_TRUE(ok[i]) << i;
  EXPECT_EQ(datasets_.size(), 1u);
}

TEST_P(ServiceTest, BytesDictLaterWinsFirstPositionKeptBytesUnchanged) {
  ToBytesDictRequest request;
  auto add = [&](const std::string& key, bool key_text, const std::string& value, bool value_text) {
    BytesDictEntry* entry = request.add_entries();
    key_text ? entry->set_key_text(key) : entry->set_key_bytes(key);
    value_text ? entry->set_value_text(value) : entry->set_value_bytes(value);
  };
  add("a", true, "1", true);
  add(std::string("n\0ul", 4), false, std::string("\0\xff", 2), false);
  add("a", false, "2", true);  // bytes b"a" collides with text "a": later value, first position
  add("", true, "", false);
  ToBytesDictResponse response;
  ASSERT_TRUE(to_bytes_dict(request, response).ok());
  ASSERT_EQ(response.entries_size(), 3);
  EXPECT_EQ(response.entries(0).key(), "a");
  EXPECT_EQ(response.entries(0).value(), "2");
  EXPECT_EQ(response.entries(1).key(), std::string("n\0ul", 4));
  EXPECT_EQ(response.entries(1).value(), std::string("\0\xff", 2));
  EXPECT_EQ(response.entries(2).key(), "");
  EXPECT_GT(response.server_ns(), 0);
}

TEST_P(ServiceTest, BytesDictRefusesMissingFieldsAndUnknownHandlers) {
  ToBytesDictResponse response;
  ToBytesDictRequest missing_key;
  missing_key.add_entries()->set_value_text("v");
  auto status = to_bytes_dict(missing_key, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("entries[0]: key is missing"), std::string::npos);

  ToBytesDictRequest bad_errors;
  bad_errors.set_errors("ignore");
  status = to_bytes_dict(bad_errors, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  for (const char* name : {"strict", "surrogatepass", "surrogateescape", ""}) {
    ToBytesDictRequest request;
    request.set_errors(name);
    EXPECT_TRUE(to_bytes_dict(request, response).ok()) << name;
  }
}

TEST_P(ServiceTest, NoopAnswers) {
  grpc::ClientContext context;
  peaje::v1::NoopResponse response;
  EXPECT_TRUE(stub_->Noop(&context, peaje::v1::NoopRequest(), &response).ok());
}

// Servers that accept gRPC's default 64 MiB messages, as peaje-server does.
class BigMessageServiceTest : public ServiceTest {
 protected:
  BigMessageServiceTest() { max_message_bytes_ = 64 << 20; }

  // Sends `payload` as the serialized SearchRequest: its wire bytes, built without a message
  // object holding the values (BytesDictEntry's field 2 is `bytes`, SearchRequest's is the
  // Int64Values message: the same wire format).
  grpc::Status search_wire(const std::string& values_message, SearchResponse& response) {
    BytesDictEntry wire;
    wire.set_key_bytes(values_message);
    auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
    grpc::ChannelArguments unused;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return grpc::internal::BlockingUnaryCall<BytesDictEntry, SearchResponse>(
        channel.get(),
        grpc::internal::RpcMethod("/peaje.v1.Peaje/Search", grpc::internal::RpcMethod::NORMAL_RPC),
        &context, wire, &response);
  }
};

// Int64Values with `count` zeros in one packed field: one byte per value.
std::string packed_zeros(std::size_t count) {
  std::string packed(count, '\0');
  std::string message = "\x0a";  // field 1, length-delimited
  for (std::size_t n = count;; n >>= 7) {
    message += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    if (n < 0x80) break;
  }
  return message + packed;
}

// The process's peak resident set (VmHWM), reset by clear_peak_rss().
std::size_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

void clear_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Under ASan, freed memory sits in quarantine and every allocation touches new pages: peak RSS
// says nothing about what the handler allocated there, so only the statuses are checked.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPeakRssIsMeaningful = false;
#else
constexpr bool kPeakRssIsMeaningful = true;
#endif

TEST_P(BigMessageServiceTest, TooManyInlineValuesAreRefusedBeforeTheyAreAllocated) {
  const std::string values = packed_zeros(limits::kMaxDatasetSize + 1);  // 10 MB of varints
  clear_peak_rss();
  const std::size_t before = peak_rss_bytes();
  SearchResponse response;
  const auto status = search_wire(values, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("more than 10000000 inline values"), std::string::npos)
      << status.error_message();
  // Parsing them would take 80 MB (10M int64) and more while the array grows; the message
  // itself is ~10 MB on each side of the socket.
  if (kPeakRssIsMeaningful) EXPECT_LT(peak_rss_bytes() - before, std::size_t{60} << 20);
}

TEST_P(BigMessageServiceTest, InlineValuesAtTheCapAreSearched) {
  SearchResponse response;
  const auto status = search_wire(packed_zeros(limits::kMaxDatasetSize), response);
  // Ten million zeros: sorted; no targets were sent, so no indices come back.
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_P(BigMessageServiceTest, InlineValuesAreHeldInTheBudgetBeforeTheyAreParsed) {
  // The budget (16 MiB, see below) cannot hold 3M values (24 MB): refused, not parsed.
  DatasetCache small(4, std::size_t{16} << 20);
  PeajeCalls service(small);
  grpc::ServerContext context;
  SearchResponse response;
  const std::string wire = "\x12" + [] {
    const std::string values = packed_zeros(3'000'000);
    std::string length;
    for (std::size_t n = values.size();; n >>= 7) {
      length += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      if (n < 0x80) break;
    }
    return length + values;
  }();
  grpc::Slice slice(wire);
  const grpc::ByteBuffer buffer(&slice, 1);
  const auto status = service.SearchBytes(&context, &buffer, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("more than the server's whole dataset budget"),
            std::string::npos)
      << status.error_message();
  EXPECT_EQ(small.bytes_in_use(), 0u);
}

TEST_P(BigMessageServiceTest, AHugeBytesDictIsRefusedBeforeItIsParsed) {
  // Three million empty entries: an 18 MB message that would parse into ~550 MB.
  std::string wire;
  for (int i = 0; i < 3'000'000; ++i) wire += std::string("\x0a\x04\x0a\x00\x1a\x00", 6);
  grpc::Slice slice(wire);
  const grpc::ByteBuffer request(&slice, 1);
  clear_peak_rss();
  const std::size_t before = peak_rss_bytes();
  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ToBytesDictResponse response;
  const auto status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, ToBytesDictResponse>(
      channel.get(),
      grpc::internal::RpcMethod("/peaje.v1.Peaje/ToBytesDict",
                                grpc::internal::RpcMethod::NORMAL_RPC),
      &context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("bytes dict of 3000000 entries"), std::string::npos)
      << status.error_message();
  if (kPeakRssIsMeaningful) EXPECT_LT(peak_rss_bytes() - before, std::size_t{100} << 20);
}

std::string api_name(const ::testing::TestParamInfo<Api>& info) {
  return info.param == Api::kCallback ? "callback" : "sync";
}

INSTANTIATE_TEST_SUITE_P(Apis, ServiceTest, ::testing::Values(Api::kCallback, Api::kSync),
                         api_name);
INSTANTIATE_TEST_SUITE_P(Apis, BigMessageServiceTest, ::testing::Values(Api::kCallback, Api::kSync),
                         api_name);

TEST_P(ServiceTest, AMalformedNoopIsInvalidArgument) {
  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  peaje::v1::NoopResponse response;
  const auto status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, peaje::v1::NoopResponse>(
      channel.get(),
      grpc::internal::RpcMethod("/peaje.v1.Peaje/Noop", grpc::internal::RpcMethod::NORMAL_RPC),
      &context, buffer_of("\xff\xff\xff"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("malformed request"), std::string::npos);
}

// --threads 2: two long calls in flight, the next call of any method is refused at once.
class CappedServiceTest : public ServiceTest {
 protected:
  CappedServiceTest() { max_calls_ = 2; }

  // A search of minutes, running on the server until `context` is cancelled.
  std::thread long_search(grpc::ClientContext& context, grpc::Status& status) {
    return std::thread([this, &context, &status] {
      std::vector<std::int64_t> targets(1000);
      for (std::size_t i = 0; i < targets.size(); ++i) targets[i] = static_cast<std::int64_t>(i);
      SearchResponse response;
      status =
          stub_->Search(&context, resident("range:100000", targets, limits::kMaxRepeat), &response);
    });
  }

  bool wait_for_in_flight(int calls) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (calls_->calls_in_flight() != calls) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
};

INSTANTIATE_TEST_SUITE_P(Apis, CappedServiceTest, ::testing::Values(Api::kCallback, Api::kSync),
                         api_name);

TEST_P(CappedServiceTest, PastTheCapACallIsRefusedAtOnceWithPushback) {
  grpc::ClientContext first_context, second_context;
  grpc::Status first, second;
  std::thread one = long_search(first_context, first);
  std::thread two = long_search(second_context, second);
  ASSERT_TRUE(wait_for_in_flight(2));
  if (GetParam() == Api::kCallback) {  // the long work runs on the service's pool, not gRPC's
    // A call is counted in flight when admitted, a moment before it reaches the pool: wait.
    const auto& service = dynamic_cast<PeajeService&>(*service_);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (service.workers() < 2 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(service.workers(), 2u);
  }
  for (const char* method : {"Noop", "Search"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const auto start = Clock::now();
    grpc::Status status;
    if (method == std::string("Noop")) {
      peaje::v1::NoopResponse response;
      status = stub_->Noop(&context, peaje::v1::NoopRequest(), &response);
    } else {
      SearchResponse response;
      status = stub_->Search(&context, resident("range:100000", {1}), &response);
    }
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << method;  // not queued
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << method;
    EXPECT_NE(status.error_message().find("all 2 call slots are in use (--threads)"),
              std::string::npos)
        << status.error_message();
    const auto& trailers = context.GetServerTrailingMetadata();
    const auto pushback = trailers.find("grpc-retry-pushback-ms");
    ASSERT_NE(pushback, trailers.end()) << method;
    EXPECT_EQ(std::string(pushback->second.data(), pushback->second.size()), "1000");
  }
  first_context.TryCancel();
  second_context.TryCancel();
  one.join();
  two.join();
  EXPECT_EQ(first.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(wait_for_in_flight(0));  // the server noticed between slices and let go
  SearchResponse response;
  ASSERT_TRUE(search(resident("range:100000", {7}), response).ok());
  EXPECT_EQ(indices(response), std::vector<std::int64_t>{7});
}

TEST(WorkPool, RunsEveryTaskAtOnceNeverQueuedAndShedsIdleWorkers) {
  WorkPool pool(2, std::chrono::milliseconds(50));
  std::mutex mutex;
  std::condition_variable changed;
  int running = 0;
  bool release = false;
  for (int i = 0; i < 8; ++i) {
    pool.run([&] {
      std::unique_lock lock(mutex);
      ++running;
      changed.notify_all();
      changed.wait(lock, [&] { return release; });
      --running;
      changed.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    // All eight wait on one another: only possible if none waits behind another.
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return running == 8; }));
    release = true;
    changed.notify_all();
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return running == 0; }));
  }
  EXPECT_EQ(pool.workers(), 8u);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (pool.workers() > 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(pool.workers(), 2u);  // idle ones exit, all but keep_idle
  std::atomic<int> ran = 0;
  for (int i = 0; i < 4; ++i) pool.run([&] { ++ran; });
  while (ran < 4 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(ran, 4);
}

TEST(CountEntries, CountsTopLevelEntriesFromTheirTags) {
  ToBytesDictRequest request;
  request.set_errors("strict");
  for (int i = 0; i < 5; ++i) request.add_entries()->set_key_text("k" + std::to_string(i));
  grpc::Slice slice(request.SerializeAsString());
  EXPECT_EQ(count_entries(grpc::ByteBuffer(&slice, 1)), 5u);
  grpc::Slice truncated(request.SerializeAsString().substr(0, 5));
  EXPECT_FALSE(count_entries(grpc::ByteBuffer(&truncated, 1)));
}

TEST(CountInlineValues, CountsPackedUnpackedAndRepeatedFieldsWithoutParsing) {
  SearchRequest request;
  request.set_repeat(3);
  request.add_targets(7);
  request.mutable_values()->mutable_values()->Add(5);  // packed, 3 values
  request.mutable_values()->mutable_values()->Add(300);
  request.mutable_values()->mutable_values()->Add(-1);
  std::string wire = request.SerializeAsString();
  wire += "\x12\x04\x08\x01\x08\x02";  // values again, unpacked: 2 more (fields merge)
  // Within the cap each packed byte counts as a value (300 takes two): an upper bound.
  EXPECT_EQ(count_inline_values(buffer_of(wire), 100), 6u);
  EXPECT_EQ(count_inline_values(buffer_of(wire), 4), 5u);  // past the cap: exact
  EXPECT_EQ(count_inline_values(buffer_of(""), 100), 0u);
  SearchRequest dataset;
  dataset.set_dataset("range:10");
  EXPECT_EQ(count_inline_values(buffer_of(dataset.SerializeAsString()), 100), 0u);
  // Past stop_after the count stops early; it is still more than stop_after.
  EXPECT_GT(*count_inline_values(buffer_of("\x12" + std::string(1, 0x66) + packed_zeros(100)), 10),
            10u);
  using namespace std::string_literals;
  for (const std::string& bad : {"\x12\x05\x08"s, "\x12\x03\x0a\x09\x00"s, "\xff"s,
                                 "\x12\x02\x00\x00"s, "\x12\x02"s, "\x12\x02\x0a\x05"s}) {
    EXPECT_FALSE(count_inline_values(buffer_of(bad), 100)) << testing::PrintToString(bad);
  }
}

grpc::Status status_of(auto thrower) {
  try {
    thrower();
  } catch (...) {
    return status_of_current_exception();
  }
  return grpc::Status::OK;
}

TEST(StatusOfCurrentException, MapsTheCoreVocabularyOnce) {
  EXPECT_EQ(status_of([] { throw invalid_argument("x"); }).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status_of([] { throw Error(ErrorKind::kWrongType, "x"); }).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status_of([] { throw EncodeError(0, 1, "x"); }).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status_of([] { throw too_large("x"); }).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status_of([] { throw std::bad_alloc(); }).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status_of([] { throw std::logic_error("bug"); }).error_code(),
            grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status_of([] { throw 42; }).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status_of([] { throw invalid_argument("named values[3]"); }).error_message(),
            "named values[3]");
}

TEST(StatusOfCurrentException, MessagesArePrintableUtf8CutOnCharacterBoundaries) {
  // Control characters and a byte that is not UTF-8 reach the status escaped, with the text
  // after them kept; a backslash escape the core already wrote passes unchanged. (A raw NUL
  // cannot reach here: what() is a C string, which is why the core escapes it in quoted().)
  EXPECT_EQ(status_of([] {
              throw invalid_argument(
                  "a\x01"
                  "b\x1b\xff c \\x00");
            }).error_message(),
            "a\\x01b\\x1b\\xff c \\x00");
  const std::string long_text(2000, 'x');
  const std::string accents = [] {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "\xc3\xa9";  // é, two bytes each
    return text;
  }();
  const auto cut = status_of([&] { throw too_large(accents); }).error_message();
  EXPECT_EQ(cut, accents.substr(0, 2 * kMaxStatusChars) + "...");
  EXPECT_EQ(status_of([&] { throw invalid_argument(long_text); }).error_message().size(),
            kMaxStatusChars + 3);
}

TEST_P(ServiceTest, MessagesQuotingTheRequestKeepWhatFollowsANul) {
  SearchResponse response;
  const auto status = search(resident(std::string("range:1\0tail", 12), {1}), response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("'range:1\\x00tail'"), std::string::npos)
      << status.error_message();
  ToBytesDictRequest request;
  std::string name;
  for (int i = 0; i < 200; ++i) name += "\xc3\xb1";  // ñ
  request.set_errors(name + std::string("\0x", 2));
  ToBytesDictResponse dict;
  const auto refused = to_bytes_dict(request, dict);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message().find('\0'), std::string::npos);
  EXPECT_NE(refused.error_message().find("\xc3\xb1...'"), std::string::npos)  // whole characters
      << refused.error_message();
}

}  // namespace
}  // namespace peaje::server

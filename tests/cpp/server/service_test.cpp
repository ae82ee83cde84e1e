// The service in-process, over a real Unix socket: statuses, conversions, cancellation.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
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

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/peaje-service-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    address_ = "unix:" + dir_ + "/peaje.sock";
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
    builder.RegisterService(&service_);
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

  DatasetCache datasets_{4};
  PeajeService service_{datasets_};
  std::string dir_;
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<peaje::v1::Peaje::Stub> stub_;
};

TEST_F(ServiceTest, SearchesAResidentDatasetBuiltOnce) {
  SearchResponse response;
  ASSERT_TRUE(search(resident("range:100000", {66666, -1, 100000, 0}), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{66666, -1, -1, 0}));
  EXPECT_GT(response.server_ns(), 0);
  ASSERT_TRUE(search(resident("range:100000:1", {5}, 100), response).ok());
  EXPECT_EQ(datasets_.size(), 1u);
}

TEST_F(ServiceTest, SearchesInlineValuesLeftmost) {
  SearchResponse response;
  ASSERT_TRUE(search(inline_values({1, 2, 2, 2, 9}, {2, 9, 3}), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{1, 4, -1}));
  ASSERT_TRUE(search(inline_values({}, {1}), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{-1}));
}

TEST_F(ServiceTest, RepeatZeroMeansOnce) {
  SearchResponse response;
  ASSERT_TRUE(search(resident("range:10", {3}, 0), response).ok());
  EXPECT_EQ(indices(response), (std::vector<std::int64_t>{3}));
}

TEST_F(ServiceTest, UnsortedInlineValuesNameTheFirstBadIndex) {
  SearchResponse response;
  const auto status = search(inline_values({1, 5, 3, 2}, {1}), response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("values[2]"), std::string::npos) << status.error_message();
}

TEST_F(ServiceTest, BadArgumentsAreInvalidArgument) {
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

TEST_F(ServiceTest, TooLargeIsResourceExhausted) {
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

TEST_F(ServiceTest, DeadlineStopsTheWorkBetweenSlices) {
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

TEST_F(ServiceTest, ConcurrentCallsShareTheResidentDataset) {
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

TEST_F(ServiceTest, BytesDictLaterWinsFirstPositionKeptBytesUnchanged) {
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

TEST_F(ServiceTest, BytesDictRefusesMissingFieldsAndUnknownHandlers) {
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

TEST_F(ServiceTest, NoopAnswers) {
  grpc::ClientContext context;
  peaje::v1::NoopResponse response;
  EXPECT_TRUE(stub_->Noop(&context, peaje::v1::NoopRequest(), &response).ok());
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

}  // namespace
}  // namespace peaje::server

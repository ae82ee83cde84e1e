// Typed errors of the core. Each face (pybind11, gRPC, HTTP) maps them once, in one place.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace peaje {

// What went wrong, in the vocabulary of design.md's error table.
enum class ErrorKind {
  kInvalidArgument,   // bad value: not an int64, unsorted, malformed spec, bad option
  kTooLarge,          // a size cap was exceeded (dataset, batch, repeat x batch)
  kWrongType,         // a value of the wrong type (bytes-dict entries)
  kEncode,            // text that cannot be encoded under the chosen error handler
  kDeadlineExceeded,  // the call's deadline passed before its work was done
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// A code point the UTF-8 encoder refused; positions are in code points, as Python reports them.
class EncodeError : public Error {
 public:
  EncodeError(std::size_t start, std::size_t end, const std::string& reason)
      : Error(ErrorKind::kEncode, reason), start_(start), end_(end) {}
  std::size_t start() const noexcept { return start_; }
  std::size_t end() const noexcept { return end_; }

 private:
  std::size_t start_;
  std::size_t end_;
};

inline Error invalid_argument(const std::string& message) {
  return Error(ErrorKind::kInvalidArgument, message);
}
inline Error too_large(const std::string& message) { return Error(ErrorKind::kTooLarge, message); }
inline Error deadline_exceeded(const std::string& message) {
  return Error(ErrorKind::kDeadlineExceeded, message);
}

}  // namespace peaje

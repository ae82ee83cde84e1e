#include "peaje/dataset.hpp"

#include <charconv>
#include <limits>

#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/text.hpp"

namespace peaje {
namespace {

constexpr std::string_view kPrefix = "range:";

bool is_digits(std::string_view field) {
  return !field.empty() && field.find_first_not_of("0123456789") == std::string_view::npos;
}

// The value of a field of ASCII digits (leading zeros allowed, any length), or -1 past int64.
std::int64_t decimal_or_minus_one(std::string_view field) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc() && end == field.data() + field.size() ? value : -1;
}

}  // namespace

// The grammar (README, "Dataset specs"), checked in this order so every engine refuses a spec
// with the same error: syntax (InvalidArgument), then N's cap (TooLarge), then STEP's range.
DatasetSpec DatasetSpec::parse(std::string_view text) {
  if (!text.starts_with(kPrefix)) {
    throw invalid_argument("unknown dataset spec " + quoted(text) +
                           ": expected 'range:N' or 'range:N:STEP'");
  }
  const std::string_view rest = text.substr(kPrefix.size());
  const std::size_t colon = rest.find(':');
  const std::string_view n_field = rest.substr(0, colon);
  const bool has_step = colon != std::string_view::npos;
  const std::string_view step_field = has_step ? rest.substr(colon + 1) : "1";
  if (!is_digits(n_field) || !is_digits(step_field)) {
    throw invalid_argument("dataset spec " + quoted(text) +
                           ": N and STEP must be non-negative decimal integers");
  }
  DatasetSpec spec;
  spec.size = decimal_or_minus_one(n_field);
  if (spec.size < 0 || spec.size > limits::kMaxDatasetSize) {
    throw too_large("dataset spec " + quoted(text) + ": N = " + truncate_utf8(n_field, 24) +
                    " exceeds the cap of " + std::to_string(limits::kMaxDatasetSize));
  }
  spec.step = decimal_or_minus_one(step_field);
  if (spec.step < 1) {
    throw invalid_argument("dataset spec " + quoted(text) +
                           ": STEP must be between 1 and 9223372036854775807");
  }
  if (spec.size > 1 && spec.step > std::numeric_limits<std::int64_t>::max() / (spec.size - 1)) {
    throw invalid_argument("dataset spec " + quoted(text) + ": (N-1)*STEP overflows int64");
  }
  return spec;
}

std::string DatasetSpec::canonical() const {
  return std::string(kPrefix) + std::to_string(size) + ":" + std::to_string(step);
}

std::vector<std::int64_t> DatasetSpec::generate() const {
  std::vector<std::int64_t> values;
  values.reserve(static_cast<std::size_t>(size));
  for (std::int64_t i = 0; i < size; ++i) values.push_back(i * step);
  return values;
}

}  // namespace peaje

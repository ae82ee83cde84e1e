#include "peaje/dataset.hpp"

#include <charconv>
#include <limits>

#include "peaje/error.hpp"
#include "peaje/limits.hpp"
#include "peaje/text.hpp"

namespace peaje {
namespace {

constexpr std::string_view kPrefix = "range:";

// Strict decimal: digits only, no sign, no spaces, no overflow.
std::int64_t parse_count(std::string_view field, std::string_view what, std::string_view spec) {
  std::int64_t value = 0;
  const char* first = field.data();
  const char* last = field.data() + field.size();
  const bool digits_only =
      !field.empty() && field.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits_only) {
    throw invalid_argument("dataset spec " + quoted(spec) + ": " + std::string(what) +
                           " must be a non-negative integer");
  }
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range) {
    throw too_large("dataset spec " + quoted(spec) + ": " + std::string(what) + " is too large");
  }
  if (ec != std::errc() || end != last) {
    throw invalid_argument("dataset spec " + quoted(spec) + ": bad " + std::string(what));
  }
  return value;
}

}  // namespace

DatasetSpec DatasetSpec::parse(std::string_view text) {
  if (!text.starts_with(kPrefix)) {
    throw invalid_argument("unknown dataset spec " + quoted(text) +
                           ": expected 'range:N' or 'range:N:STEP'");
  }
  const std::string_view rest = text.substr(kPrefix.size());
  const std::size_t colon = rest.find(':');
  DatasetSpec spec;
  spec.size = parse_count(rest.substr(0, colon), "N", text);
  if (colon != std::string_view::npos) {
    spec.step = parse_count(rest.substr(colon + 1), "STEP", text);
    if (spec.step < 1) {
      throw invalid_argument("dataset spec " + quoted(text) + ": STEP must be at least 1");
    }
  }
  if (spec.size > limits::kMaxDatasetSize) {
    throw too_large("dataset spec " + quoted(text) + ": N = " + std::to_string(spec.size) +
                    " exceeds the cap of " + std::to_string(limits::kMaxDatasetSize));
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

// The core alone, no crossing: search, the copy a `copy`-mode call makes, dataset builds and the
// bytes-dict encoder. Each benchmark reports items_per_second for one unit of its work.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "peaje/bytes_dict.hpp"
#include "peaje/dataset.hpp"
#include "peaje/search.hpp"
#include "peaje/sorted_array.hpp"
#include "peaje/wire.hpp"

namespace {

std::string range_spec(std::int64_t n) { return "range:" + std::to_string(n); }

// One target (the talk's 66666 of 100000, scaled) searched `repeat` times: cache-warm searches.
void BM_SearchRepeat(benchmark::State& state) {
  const auto array = peaje::SortedArray::from_spec(range_spec(state.range(0)));
  const std::int64_t repeat = state.range(1);
  const std::vector<std::int64_t> targets{state.range(0) * 2 / 3};
  std::vector<std::int64_t> out(1);
  for (auto _ : state) {
    array.search_many(targets, out, repeat);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * repeat);
}
BENCHMARK(BM_SearchRepeat)->ArgsProduct({{1000, 100000, 1000000}, {1, 1000}});

// 1000 targets spread over the array: searches that miss the cache, as a real batch would.
void BM_SearchSpread(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto array = peaje::SortedArray::from_spec(range_spec(n));
  std::vector<std::int64_t> targets(1000);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    targets[i] = static_cast<std::int64_t>(i * 7919) % n;
  }
  std::vector<std::int64_t> out(targets.size());
  for (auto _ : state) {
    array.search_many(targets, out, 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(targets.size()));
}
BENCHMARK(BM_SearchSpread)->Arg(1000)->Arg(100000)->Arg(1000000);

// 10,000 uniformly random targets (fixed seed) over range:n, the API's 10k-target resident
// request: no two consecutive searches share a path, so the branches cannot be predicted.
std::vector<std::int64_t> random_targets(std::int64_t n, std::int64_t count) {
  std::vector<std::int64_t> targets(static_cast<std::size_t>(count));
  std::mt19937_64 rng(16);
  std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
  for (auto& t : targets) t = pick(rng);
  return targets;
}

void BM_SearchRandom(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto array = peaje::SortedArray::from_spec(range_spec(n));
  const auto targets = random_targets(n, state.range(1));
  std::vector<std::int64_t> out(targets.size());
  for (auto _ : state) {
    array.search_many(targets, out, 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(targets.size()));
}
BENCHMARK(BM_SearchRandom)->ArgsProduct({{1000, 100000, 1000000}, {16, 10000}});

// The same batch searched whole (peaje::search_many over the values alone, as copy and buffer
// modes do): what the resident array's SearchIndex saves (BM_SearchRandom).
void BM_SearchRandomWhole(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto array = peaje::SortedArray::from_spec(range_spec(n));
  const auto targets = random_targets(n, state.range(1));
  std::vector<std::int64_t> out(targets.size());
  for (auto _ : state) {
    peaje::search_many(array.values(), targets, out, 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(targets.size()));
}
BENCHMARK(BM_SearchRandomWhole)->ArgsProduct({{100000, 1000000}, {10000}});

// The native half of a copy-mode call: fill a vector (reserved) and check its order.
void BM_CopyAndValidate(benchmark::State& state) {
  const auto source = peaje::DatasetSpec::parse(range_spec(state.range(0))).generate();
  for (auto _ : state) {
    std::vector<std::int64_t> copy;
    copy.reserve(source.size());
    copy.insert(copy.end(), source.begin(), source.end());
    peaje::require_sorted(copy);
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CopyAndValidate)->Arg(1000)->Arg(100000)->Arg(1000000);

// A resident dataset's one-time cost: parse the spec and generate the values.
void BM_DatasetBuild(benchmark::State& state) {
  const std::string spec = range_spec(state.range(0));
  for (auto _ : state) {
    auto array = peaje::SortedArray::from_spec(spec);
    benchmark::DoNotOptimize(array.values().data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DatasetBuild)->Arg(100000)->Arg(1000000);

// The bytes-dict encoder over ASCII text keys and values (code units of width 1).
void BM_BytesDict(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  std::vector<std::string> keys, values;
  for (std::int64_t i = 0; i < n; ++i) {
    keys.push_back("key-" + std::to_string(i));
    values.push_back("value-" + std::to_string(i));
  }
  auto units = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  for (auto _ : state) {
    peaje::BytesDict dict;
    dict.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      std::string key, value;
      peaje::encode_utf8(units(keys[i]), peaje::Utf8Errors::kStrict, key);
      peaje::encode_utf8(units(values[i]), peaje::Utf8Errors::kStrict, value);
      dict.insert(std::move(key), std::move(value));
    }
    benchmark::DoNotOptimize(dict.entries().data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BytesDict)->Arg(100)->Arg(10000);

// The packed path's wire work (peaje::wire), on the API's 10k-target request (make api-rps:
// targets 0, 10, ..., 99990): the request's targets decoded, and the answer written.
std::vector<std::uint8_t> packed_request(std::int64_t n_targets) {
  std::vector<std::uint8_t> payload;
  for (std::int64_t t = 0; t < n_targets * 10; t += 10) {
    auto z = static_cast<std::uint64_t>(t) << 1;
    for (; z >= 0x80; z >>= 7) payload.push_back(static_cast<std::uint8_t>(z | 0x80));
    payload.push_back(static_cast<std::uint8_t>(z));
  }
  std::vector<std::uint8_t> wire{(peaje::wire::kRequestTargetsField << 3) | 2};
  for (auto n = payload.size();; n >>= 7) {
    wire.push_back(static_cast<std::uint8_t>(n >= 0x80 ? (n | 0x80) : n));
    if (n < 0x80) break;
  }
  wire.insert(wire.end(), payload.begin(), payload.end());
  return wire;
}

void BM_WireTargets(benchmark::State& state) {
  const auto wire = packed_request(state.range(0));
  for (auto _ : state) {
    auto targets = peaje::wire::search_request_targets(wire, 1);
    benchmark::DoNotOptimize(targets.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_WireTargets)->Arg(10000);

void BM_WireWithoutTargets(benchmark::State& state) {
  const auto wire = packed_request(state.range(0));
  std::vector<std::uint8_t> rest;
  for (auto _ : state) {
    benchmark::DoNotOptimize(peaje::wire::search_request_without_targets(wire, rest));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_WireWithoutTargets)->Arg(10000);

// Arg 2: 0 = the API request's answer (indices 0, 10, ..., 99990), 1 = random indices over
// range:100000 (mostly 3-byte varints, lengths mixed).
void BM_WireResponse(benchmark::State& state) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(state.range(0)));
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<std::int64_t> pick(-1, 99999);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    indices[i] = state.range(1) == 0 ? static_cast<std::int64_t>(i) * 10 : pick(rng);
  }
  std::vector<std::uint8_t> out(peaje::wire::search_response_bound(indices.size(), 100000));
  for (auto _ : state) {
    benchmark::DoNotOptimize(peaje::wire::write_search_response(indices, out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_WireResponse)->Args({10000, 0})->Args({10000, 1});

}  // namespace

BENCHMARK_MAIN();

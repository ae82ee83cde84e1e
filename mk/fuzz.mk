# libFuzzer + ASan/UBSan over the core and the server's request handlers (tests/fuzz). `make test` runs a bounded smoke;
# `make fuzz FUZZ_SECONDS=3600` runs long.
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 15
FUZZERS := fuzz_bytes_dict fuzz_search fuzz_dataset_spec fuzz_search_request fuzz_bytes_dict_request fuzz_packed_request

.PHONY: fuzz-build test-fuzz fuzz
fuzz-build: setup
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPEAJE_BUILD_FUZZERS=ON -DPEAJE_BUILD_TESTS=OFF -DPEAJE_BUILD_SERVER=ON \
	  -DPEAJE_BUILD_BENCHMARKS=OFF -DPEAJE_SANITIZE=address,undefined,fuzzer-no-link >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

test-fuzz: fuzz-build
	@scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZERS)

fuzz: fuzz-build
	@scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZERS)

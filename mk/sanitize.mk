# The contract suite once against ASan+UBSan builds (UBSan with -fsanitize=alignment named, so an
# unaligned int64 read aborts the run) of the extension and the server, plus the
# C++ tests under the same sanitizers, and the tests of the front's compiled layer; every
# compiled module (pybind11, nanobind, Cython, peaje.api._front) is loaded from the sanitized
# build (PEAJE_EXTENSION_DIR). Python itself is not instrumented:
# libasan is preloaded.
SAN_BUILD := build/sanitize
SAN_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: sanitize-build test-sanitize
sanitize-build: build
	@cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPEAJE_SANITIZE=address,undefined,alignment -DPEAJE_BUILD_BINDINGS=ON -DPEAJE_BUILD_SERVER=ON \
	  -DPEAJE_BUILD_TESTS=ON -DPEAJE_BUILD_BENCHMARKS=OFF -DPEAJE_BUILD_TALK=OFF \
	  -DPython_EXECUTABLE=$(CURDIR)/$(PY) \
	  -Dpybind11_DIR=$$($(PY) -m pybind11 --cmakedir) >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)

test-sanitize: sanitize-build
	@$(SAN_ENV) ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS)
	@$(SAN_ENV) LD_PRELOAD="$$(g++ -print-file-name=libasan.so) $$(g++ -print-file-name=libstdc++.so)" \
	  PEAJE_EXTENSION_DIR=$(SAN_BUILD)/bindings \
	  PEAJE_SERVER_BIN=$(SAN_BUILD)/server/peaje-server \
	  $(PY) -m pytest -q -p no:cacheprovider tests/contract tests/native \
	  tests/api/test_front_compiled.py tests/api/test_front.py $(SANITIZE_PYTEST_ARGS)
	@echo "test-sanitize: contract suite passed on ASan+UBSan builds"

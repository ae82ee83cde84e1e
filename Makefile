# peaje: every entry point. `make demo` runs the main job, `make test` every test; both
# install what they need first (scripts/bootstrap.sh). Areas add targets in mk/*.mk.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
BUILD := build/cmake
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# Extension points for mk/*.mk fragments.
EXTRA_BUILD :=
EXTRA_TESTS :=
-include mk/*.mk

.PHONY: help setup build build-cpp build-py test test-unit test-cpp test-py demo fmt lint clean

help:
	@echo "make demo    run the toll report (quick profile) and print the headline table"
	@echo "make test    build everything and run every test (what CI runs)"
	@echo "make test-unit  the quick loop: C++ tests, fuzz smoke, pytest (no containers)"
	@echo "make up      run the local stack (gRPC :50051, API :8000, Locust :8089)"
	@echo "make fuzz    long fuzzing run (FUZZ_SECONDS per target, default 600)"
	@echo "make fmt | lint | clean"

setup:
	@scripts/bootstrap.sh

build: setup build-cpp build-py $(EXTRA_BUILD)

build-cpp: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The extension, installed editable into .venv; rebuilt when core/ or bindings/ change.
build-py: $(VENV)/.peaje-native
$(VENV)/.peaje-native: $(shell find core bindings -type f) client/peaje/api/_front.pyx CMakeLists.txt pyproject.toml | setup
	@echo "build: peaje._native (scikit-build-core)"
	@$(PY) -m pip install -q --no-build-isolation -e .
	@touch $@

# The main job: the toll report's quick profile (mk/report.mk has the others); prints the
# headline table and writes results/<timestamp>-quick/report.html.
demo: build
	@$(PY) -m peaje report

# Every test, as CI runs it (.ci/run): the unit and contract suites first, then the whole stack
# against sanitizer builds, under injected faults, soaked, and in containers.
test: test-cpp test-fuzz test-unit test-sanitize test-faults soak test-compose
	@echo "make test: all suites passed"

# The quick loop: C++ tests, fuzz smoke, every pytest suite (containers excepted).
test-unit: build test-cpp test-fuzz test-py $(EXTRA_TESTS)
	@echo "make test-unit: all suites passed"

test-cpp: build-cpp
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-py: build
	@$(PY) -m pytest -q tests --ignore=tests/deploy  # containers: make test-compose

CPP_SOURCES = $(shell git ls-files '*.cpp' '*.hpp')

fmt: setup
	@clang-format-14 -i $(CPP_SOURCES)
	@$(PY) -m ruff format client tests scripts
	@$(PY) -m ruff check --fix client tests scripts

lint: setup
	@clang-format-14 --dry-run --Werror $(CPP_SOURCES)
	@cmake -S . -B $(BUILD) -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
	@clang-tidy-14 -p $(BUILD) --quiet $$(git ls-files 'core/src/*.cpp') 2>/dev/null
	@$(PY) -m ruff check client tests scripts
	@$(PY) -m ruff format --check client tests scripts

clean:
	rm -rf build results $(VENV)/.peaje-native

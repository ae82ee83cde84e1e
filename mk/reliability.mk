# Reliability (issue 8): faults, overload, hostile input, soak. See the README's Reliability
# section for the figures of the last run.
#   make test-faults            kill -9, SIGTERM, slow network, stalled and silent server, under
#                               load through a real Toxiproxy; prints the table (~30 s)
#   make soak SOAK_SECONDS=600  mixed load; API and server RSS and open fds must stay flat
#   make overload               p99 of admitted requests vs offered load, shed excess counted
#   make fuzz-python            atheris on peaje._native for FUZZ_SECONDS (make fuzz: libFuzzer)
# `make test` runs a bounded atheris pass (ATHERIS_RUNS inputs).
RELIABILITY_PYTEST := PEAJE_RELIABILITY=1 $(PY) -m pytest -q -p no:cacheprovider
SOAK_SECONDS ?= 60
ATHERIS_RUNS ?= 20000
ATHERIS := $(PY) tests/fuzz/atheris_native.py -artifact_prefix=build/atheris- build/atheris-corpus \
  tests/fuzz/corpus/atheris_native

EXTRA_TESTS += test-fuzz-python
# make test-sanitize also sends the hostile-input catalogue to the ASan+UBSan server.
SANITIZE_PYTEST_ARGS += tests/security/test_hostile_input.py
# ... and the hostile-object differential over every in-process engine (hypothesis, bounded).
SANITIZE_PYTEST_ARGS += tests/fuzz/test_hostile_objects.py

.PHONY: test-faults soak overload test-fuzz-python fuzz-python

test-faults: build
	@$(RELIABILITY_PYTEST) tests/faults/test_faults.py

soak: build
	@SOAK_SECONDS=$(SOAK_SECONDS) $(RELIABILITY_PYTEST) tests/faults/test_soak.py

overload: build
	@$(PY) -m peaje.bench.overload $(OVERLOAD_ARGS)

test-fuzz-python: build
	@mkdir -p build/atheris-corpus
	@$(ATHERIS) -atheris_runs=$(ATHERIS_RUNS) 2>build/atheris.log || \
	  { grep -v "^INFO\|^#" build/atheris.log | tail -30 >&2; exit 1; }
	@echo "fuzz: atheris_native: $(ATHERIS_RUNS) executions, 0 crashes"

fuzz-python: build
	@mkdir -p build/atheris-corpus
	@$(ATHERIS) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 2>build/atheris.log || \
	  { grep -v "^INFO\|^#" build/atheris.log | tail -30 >&2; exit 1; }
	@echo "fuzz: atheris_native: $$(grep -oE 'number_of_executed_units: [0-9]+' build/atheris.log | \
	  grep -oE '[0-9]+$$') executions in $(FUZZ_SECONDS)s, 0 crashes"

# The toll report (issue 6). `make demo` runs its quick profile; these run the others.
# REPORT_ARGS passes options through, e.g. make report REPORT_ARGS="--flamegraph native-copy".
REPORT_ARGS ?=
FLAME ?= native-copy
FLAME_SECONDS ?= 5

EXTRA_BUILD += toxiproxy

.PHONY: toxiproxy report-binaries report report-full report-tiny flamegraph

# The report needs peaje-server and the core benchmark from build/cmake. Both are on by default;
# a build dir configured with them off (a cached -D...=OFF) is switched back on here.
demo: report-binaries
report-binaries: build-cpp
	@if [[ ! -x $(BUILD)/server/peaje-server || ! -x $(BUILD)/tests/bench/peaje_core_bench ]]; then \
	  echo "build: peaje-server and peaje_core_bench for the report"; \
	  cmake -S . -B $(BUILD) -DPEAJE_BUILD_SERVER=ON -DPEAJE_BUILD_BENCHMARKS=ON >/dev/null; \
	  cmake --build $(BUILD) -j $(JOBS); \
	fi

# Toxiproxy for the latency rungs of the transport ladder (skipped with a note without Go).
toxiproxy:
	@scripts/install-toxiproxy.sh

report: build report-binaries
	@$(PY) -m peaje report $(REPORT_ARGS)

report-full: build report-binaries
	@$(PY) -m peaje report --full $(REPORT_ARGS)

report-tiny: build report-binaries
	@$(PY) -m peaje report --profile tiny $(REPORT_ARGS)

# py-spy record --native of one path (FLAME=python|native-copy|...|grpc-resident) as SVG.
flamegraph: build
	@mkdir -p results
	@$(PY) -m peaje.bench.flamegraph $(FLAME) --seconds $(FLAME_SECONDS) -o results/flame-$(FLAME).svg

# The toll report (issue 6). `make demo` runs its quick profile; these run the others.
# REPORT_ARGS passes options through, e.g. make report REPORT_ARGS="--flamegraph native-copy".
REPORT_ARGS ?=
FLAME ?= native-copy
FLAME_SECONDS ?= 5

EXTRA_BUILD += toxiproxy

.PHONY: toxiproxy report report-full report-tiny flamegraph

# Toxiproxy for the latency rungs of the transport ladder (skipped with a note without Go).
toxiproxy:
	@scripts/install-toxiproxy.sh

report: build
	@$(PY) -m peaje report $(REPORT_ARGS)

report-full: build
	@$(PY) -m peaje report --full $(REPORT_ARGS)

report-tiny: build
	@$(PY) -m peaje report --profile tiny $(REPORT_ARGS)

# py-spy record --native of one path (FLAME=python|native-copy|...|grpc-resident) as SVG.
flamegraph: build
	@mkdir -p results
	@$(PY) -m peaje.bench.flamegraph $(FLAME) --seconds $(FLAME_SECONDS) -o results/flame-$(FLAME).svg

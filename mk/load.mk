# Load: Locust against the local stack (client/peaje/load). Bounded runs that stop by
# themselves and write results/load-<timestamp>/; `make test` runs tests/load (seconds).
#   make load DURATION=20s USERS=8 WORKERS=2      one run, every path (WORKERS=0: one process)
#   make load-sweep SWEEP_DURATION=10s            users 1/4/16/64, native-in-API vs grpc
#   make load-sweep SWEEP_PROFILE=sweep-heavy     the same with 10x the core work per call
DURATION ?= 30s
USERS ?= 8
WORKERS ?= 0
SWEEP_DURATION ?= 10s
SWEEP_PROFILE ?= sweep

.PHONY: load load-sweep

load: build
	@$(PY) -m peaje.load.runner --duration $(DURATION) --users $(USERS) --workers $(WORKERS)

load-sweep: build
	@$(PY) -m peaje.load.sweep --duration $(SWEEP_DURATION) --profile $(SWEEP_PROFILE)

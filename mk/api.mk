# The HTTP front (client/peaje/api) and the local stack. `make test` runs tests/api with the
# rest of pytest; these targets are for people.
#   make up                     gRPC :50051, API :8000, Locust UI :8089 on 127.0.0.1; Ctrl-C stops
#   make up UP_ARGS=--no-locust
#   make api-rps                the front's goals as req/s ratios from one run (peaje.bench.http_rps)
#   make api-rps RPS_ARGS="--restarts 12"   the no-op / floor goal on 12 fresh API processes
#   make api-instructions       the front's toll in instructions per request, by callgrind (~3 min)
#   make api-instructions INSTRUCTIONS_ARGS=--cache   with cachegrind's cache misses and
#                               mispredicted branches per request too (~6 min)
UP_ARGS ?=
RPS_ARGS ?=
INSTRUCTIONS_ARGS ?=

.PHONY: up api-rps api-instructions

up: build
	@$(PY) -m peaje.stack $(UP_ARGS)

api-rps: build
	@$(PY) -m peaje.bench.http_rps $(RPS_ARGS)

api-instructions: build
	@$(PY) -m peaje.bench.front_instructions $(INSTRUCTIONS_ARGS)

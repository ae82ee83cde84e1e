# The HTTP front (client/peaje/api) and the local stack. `make test` runs tests/api with the
# rest of pytest; these targets are for people.
#   make up                     gRPC :50051, API :8000, Locust UI :8089 on 127.0.0.1; Ctrl-C stops
#   make up UP_ARGS=--no-locust
#   make api-rps                the front's goals as req/s ratios from one run (peaje.bench.http_rps)
UP_ARGS ?=

.PHONY: up api-rps

up: build
	@$(PY) -m peaje.stack $(UP_ARGS)

api-rps: build
	@$(PY) -m peaje.bench.http_rps

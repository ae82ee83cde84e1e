# Containers: the stack of compose.yaml (server, api, locust master + workers) built and run
# with Docker; scripts/docker-env.sh installs and starts what that needs (root or sudo).
.PHONY: docker-env compose-up compose-down test-compose

docker-env:
	@scripts/docker-env.sh >/dev/null

# Foreground, Ctrl-C stops it; `make compose-up ARGS=-d` detaches.
compose-up:
	@scripts/compose.sh up --build $(ARGS)

compose-down:
	@scripts/compose.sh down --remove-orphans

# Build, start, health, HTTP contract suite against the containers, headless Locust with
# workers, two server replicas, one stopped under load; always torn down (tests/deploy).
test-compose: build
	@PEAJE_TEST_COMPOSE=1 PEAJE_BUILD_JOBS=$(JOBS) $(PY) -m pytest -q -p no:cacheprovider -s \
		tests/deploy

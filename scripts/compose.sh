#!/usr/bin/env bash
# Runs compose on this repository's compose.yaml with whichever compose this machine has
# (docker compose v2, else docker-compose v1), after scripts/docker-env.sh has made sure that
# dockerd runs and the base image exists. Usage: scripts/compose.sh up --build
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-peaje}
read -r -a compose <<<"$(scripts/docker-env.sh 2>/dev/null | tail -1)"
exec "${compose[@]}" -f compose.yaml "$@"

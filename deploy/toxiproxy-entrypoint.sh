#!/bin/sh
# Starts toxiproxy-server, creates the proxy "server" (TOXIPROXY_LISTEN -> TOXIPROXY_UPSTREAM)
# with a latency toxic on its responses, then stays with the server until it exits.
set -eu
toxiproxy-server -host 0.0.0.0 -port 8474 &
server_pid=$!
trap 'kill -TERM "$server_pid"' TERM INT
until toxiproxy-cli list >/dev/null 2>&1; do sleep 0.2; done
toxiproxy-cli create --listen "$TOXIPROXY_LISTEN" --upstream "$TOXIPROXY_UPSTREAM" server
toxiproxy-cli toxic add --type latency --downstream --toxicName latency \
  --attribute "latency=$TOXIPROXY_LATENCY_MS" --attribute "jitter=$TOXIPROXY_JITTER_MS" server
wait "$server_pid"

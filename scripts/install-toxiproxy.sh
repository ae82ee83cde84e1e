#!/usr/bin/env bash
# Installs Toxiproxy (the latency proxy of the report's transport ladder) at a pinned version into
# .tools/bin. Idempotent. Without Go it says so and exits 0: the report skips those rungs.
set -euo pipefail
cd "$(dirname "$0")/.."

TOXIPROXY_VERSION=v2.12.0
BIN="$PWD/.tools/bin"
stamp="$BIN/.toxiproxy-server.version"

if [[ -x $BIN/toxiproxy-server && -f $stamp && $(<"$stamp") == "$TOXIPROXY_VERSION" ]]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "install-toxiproxy: go is not on PATH; the report will skip the latency-proxy rungs" >&2
  exit 0
fi
mkdir -p "$BIN"
echo "install-toxiproxy: toxiproxy-server $TOXIPROXY_VERSION"
# Since v2.6 the server's package is cmd/server; `go install` names the binary after it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" go install -p 2 "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION"
mv "$tmp/server" "$BIN/toxiproxy-server"
echo "$TOXIPROXY_VERSION" >"$stamp"

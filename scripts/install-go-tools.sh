#!/usr/bin/env bash
# Installs the gRPC tools users bring (grpcurl, ghz) at pinned versions into .tools/bin.
# Idempotent: a tool already at its pinned version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCURL_VERSION=v1.9.3
GHZ_VERSION=v0.121.0
BIN="$PWD/.tools/bin"
mkdir -p "$BIN"

command -v go >/dev/null || { echo "install-go-tools: go is not on PATH" >&2; exit 1; }

install_tool() {  # name module@version
  local name=$1 package=$2 version=$3
  local stamp="$BIN/.$name.version"
  if [[ -x $BIN/$name && -f $stamp && $(<"$stamp") == "$version" ]]; then
    return
  fi
  echo "install-go-tools: $name $version"
  GOBIN="$BIN" go install -p 2 "$package@$version"
  echo "$version" >"$stamp"
}

install_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
install_tool ghz github.com/bojand/ghz/cmd/ghz "$GHZ_VERSION"

#!/usr/bin/env bash
# Installs what peaje needs on a fresh Debian 12 machine: system packages, then .venv with the
# pinned Python packages. Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libgtest-dev libbenchmark-dev
  gdb  # the talk's segfault demo: a backtrace of the crashed child (make talk-segfault)
  wrk chromium  # HTTP load generator; headless browser for the offline /docs check
  linux-perf  # perf: where each binding's call spends its time (peaje.bench.bindings)
  valgrind  # callgrind's instruction counts: the front's toll, repeatable on a noisy VM
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [[ ! -x .venv/bin/python ]]; then
  echo "bootstrap: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.peaje-requirements
if [[ ! -f $stamp ]] || ! cmp -s <(cat requirements.txt constraints.txt) "$stamp"; then
  echo "bootstrap: installing pinned Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt -c constraints.txt
  cat requirements.txt constraints.txt >"$stamp"
fi

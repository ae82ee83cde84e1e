#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS over its seed corpus (tests/fuzz/corpus/<target>) and
# prints one line per target with its executions; exits non-zero on the first crash.
# Usage: scripts/run-fuzzers.sh BUILD_DIR SECONDS TARGET...
set -euo pipefail
build=$1 seconds=$2
shift 2
work=$build/corpus
for target in "$@"; do
  mkdir -p "$work/$target"
  log=$build/$target.log
  if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=4096 -print_final_stats=1 -artifact_prefix="$build/$target-" \
      "$work/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    echo "fuzz: $target FAILED; log: $log" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
    exit 1
  fi
  runs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | grep -oE "[0-9]+$")
  echo "fuzz: $target: $runs executions in ${seconds}s, 0 crashes"
done

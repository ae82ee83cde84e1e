#!/usr/bin/env bash
# Instructions per one-target SortedArray.search call through a build of peaje._native, counted
# by valgrind callgrind (110,000 calls minus 10,000): scripts/crossing_instructions.sh A.so [B.so]
set -euo pipefail
PY=${PY:-.venv/bin/python}
CHILD='
import importlib.util, sys, gc
spec = importlib.util.spec_from_file_location("_native", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
search, targets = m.SortedArray(list(range(100_000))).search, [66666]
gc.disable()
for _ in range(int(sys.argv[2])): search(targets)
'
count() {
  PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$PY" -c "$CHILD" "$1" "$2" 2>&1 |
    grep -oE 'Collected : [0-9]+' | grep -oE '[0-9]+$'
}
for so in "$@"; do
  echo "$so: $(( ($(count "$so" 110000) - $(count "$so" 10000)) / 100000 )) instructions per call"
done

#!/usr/bin/env bash
# Garbage calendar at scale: next-collection queries per second over Saga City's 314 areas against
# a trivial plugin in the same run, and one evening's reminders for N residents. Writes
# bench/results/garbage-latest.md.
# Usage: bench/run_garbage.sh [N=100000] [SECONDS=5] [CLIENTS=4]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BUILD=${BUILD:-$root/build-release}
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF \
      -DMACHI_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target garbage_bench >/dev/null
"$BUILD/bench/garbage_bench" "${1:-100000}" "${2:-5}" "${3:-4}" 2>"$BUILD/garbage_bench.log" | tee bench/results/garbage-latest.md

#!/usr/bin/env bash
# Waiting count live updates: C SSE clients on one counter, R rounds of "call next", time to each
# client and to the last one. Writes bench/results/live-latest.md.
# Usage: bench/run_live.sh [CLIENTS=5000] [ROUNDS=30] [IO_THREADS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BUILD=${BUILD:-$root/build-release}
ulimit -n 65536 2>/dev/null || true
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF \
      -DMACHI_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target live_bench >/dev/null
"$BUILD/bench/live_bench" "${1:-5000}" "${2:-30}" "${3:-1}" 2>"$BUILD/live_bench.log" | tee bench/results/live-latest.md

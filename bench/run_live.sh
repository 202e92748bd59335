#!/usr/bin/env bash
# Waiting count live updates: C SSE clients on one counter, R rounds of "call next", time to each
# client and to the last one. Writes bench/results/live-latest.md.
# Usage: bench/run_live.sh [CLIENTS=5000] [ROUNDS=30] [IO_THREADS=1]
source "$(dirname "$0")/build.sh" live_bench
ulimit -n 65536 2>/dev/null || true
"$BUILD/bench/live_bench" "${1:-5000}" "${2:-30}" "${3:-1}" 2>"$BUILD/live_bench.log" | tee bench/results/live-latest.md

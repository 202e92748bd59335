#!/usr/bin/env bash
# Garbage calendar at scale: next-collection queries per second over Saga City's 314 areas against
# a trivial plugin in the same run, and one evening's reminders for N residents. Writes
# bench/results/garbage-latest.md.
# Usage: bench/run_garbage.sh [N=100000] [SECONDS=5] [CLIENTS=4]
source "$(dirname "$0")/build.sh" garbage_bench
"$BUILD/bench/garbage_bench" "${1:-100000}" "${2:-5}" "${3:-4}" 2>"$BUILD/garbage_bench.log" | tee bench/results/garbage-latest.md

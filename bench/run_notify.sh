#!/usr/bin/env bash
# Notifications at scale: a broadcast to N synthetic residents (request → all committed), its Web
# Push delivery to P subscriptions on a local HTTPS sink against the sink's own measured rate,
# and N reminders enqueued by a plugin. Writes bench/results/notify-latest.md.
# Usage: bench/run_notify.sh [N=100000] [P=2000]
source "$(dirname "$0")/build.sh" notify_bench
"$BUILD/bench/notify_bench" "${1:-100000}" "${2:-2000}" 2>"$BUILD/notify_bench.log" | tee bench/results/notify-latest.md

#!/usr/bin/env bash
# Authenticated vs unauthenticated GET /apps/hello/ (the inline plugin path), in one run:
# 10,000 distinct valid bearer tokens in rotation (minted through refresh-token rotation) against
# the same requests without a token. The server (one I/O thread) is pinned to CPU 0 and wrk (with
# its Lua script) to CPU 1, so the client's cost of formatting large headers does not take the
# server's CPU. The two kinds of requests alternate in short windows of wrk -t1 -c64 (REPS pairs
# of DURATION each, the order flipping every pair, after a warm-up of each): this VM's speed
# drifts by ±20 % over tens of seconds (other tenants), and a pair measured side by side shares
# the drift, so the figure reported is the median of the pairs' ratios (the medians of each kind's
# throughput are shown too). Reports requests/s and server CPU µs per request.
# Writes bench/results/auth-latest.md.  Usage: bench/run_auth.sh (DURATION, REPS)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source "$root/bench/wrk_fields.sh"
DURATION=${DURATION:-3s}
REPS=${REPS:-12}
TOKENS_N=${TOKENS_N:-10000}
BUILD=${BUILD:-$root/build-release}
command -v wrk >/dev/null || { echo "run bench/run.sh once first (installs wrk)"; exit 1; }
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF \
      -DMACHI_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target machi bench_inline bench_pool >/dev/null
work=$(mktemp -d)
"$BUILD/runtime/machi" serve --manifest "$root/bench/manifest.json" \
  --plugin-dir "$BUILD/bench/plugins" --data "$work/data" --listen 127.0.0.1:18091 \
  --io-threads 1 >"$work/machi.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
taskset -a -cp 0 "$pid" >/dev/null
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
python3 "$root/bench/mint_tokens.py" http://127.0.0.1:18091 "$TOKENS_N" "$work/tokens.txt"
url=http://127.0.0.1:18091
measure() {  # rep mode: one window, appended to rows
  local rep=$1 mode=$2
  if [ "$mode" = bearer ]; then export TOKENS="$work/tokens.txt"; else unset TOKENS; fi
  local before after out rps requests non2xx p50 p99 cpu_us
  before=$(cpu)
  out=$(taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency -s "$root/bench/rotate_tokens.lua" "$url")
  after=$(cpu)
  wrk_fields "$out"
  cpu_us=$(cpu_per_request "$before" "$after" "$requests")
  echo "$rep $mode $rps cpu_us=$cpu_us non-2xx=$non2xx"
  rows+=("$rep $mode $rps $cpu_us $non2xx")
}
rows=()
measure 0 anonymous; measure 0 bearer  # warm-up (every token verified once), not counted
rows=()
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then measure "$rep" anonymous; measure "$rep" bearer
  else measure "$rep" bearer; measure "$rep" anonymous; fi
done
printf '%s\n' "${rows[@]}" | DURATION="$DURATION" python3 -c '
import os, sys, statistics, collections, datetime
d = collections.defaultdict(dict); c = collections.defaultdict(dict); bad = 0
for line in sys.stdin:
    rep, mode, rps, cpu, non2xx = line.split()
    d[mode][rep] = float(rps); c[mode][rep] = float(cpu); bad += int(non2xx)
reps = sorted(d["bearer"], key=int)
ratios = [d["bearer"][r] / d["anonymous"][r] for r in reps]
cpu_ratios = [c["bearer"][r] / c["anonymous"][r] for r in reps]
a, b = statistics.median(d["anonymous"].values()), statistics.median(d["bearer"].values())
ca, cb = statistics.median(c["anonymous"].values()), statistics.median(c["bearer"].values())
r, cr = statistics.median(ratios), statistics.median(cpu_ratios)
q = statistics.quantiles(ratios, n=4)
text = f"""# Authenticated requests (bench/run_auth.sh, {datetime.date.today()})

GET /apps/hello/ (inline plugin), wrk -t1 -c64 (CPU 1), server one I/O thread (CPU 0),
{len(reps)} pairs of {os.environ["DURATION"]} windows (order flipping each pair). Bearer: 10,000
distinct valid access tokens in rotation. Non-2xx answers in all runs: {bad}.

| requests | requests/s (median) | server CPU µs/req (median) |
| --- | ---: | ---: |
| anonymous | {a:,.0f} | {ca:.2f} |
| bearer (10,000 tokens) | {b:,.0f} | {cb:.2f} |

**Bearer vs anonymous, median of the pairs: throughput {r:.2f}x (quartiles {q[0]:.2f}–{q[2]:.2f}),
CPU per request {cr:.2f}x.** Ratio of the medians: {b/a:.2f}x.

Pairs (bearer/anonymous requests/s): {", ".join(f"{x:.2f}" for x in ratios)}
"""
open("bench/results/auth-latest.md", "w").write(text); print(text)'

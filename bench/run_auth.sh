#!/usr/bin/env bash
# Authenticated vs unauthenticated GET /apps/hello/ (the inline plugin path), in one run:
# 10,000 distinct valid bearer tokens in rotation (minted through refresh-token rotation) against
# the same requests without a token. Interleaved repetitions of wrk -t1 -c64 -d10s, server with
# one I/O thread pinned to CPU 0 and wrk (with its Lua script) on CPU 1, so the client's cost of
# formatting large headers does not take the server's CPU. Reports requests/s and server CPU µs
# per request. Writes bench/results/auth-latest.md.  Usage: bench/run_auth.sh (DURATION, REPS)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
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
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
python3 "$root/bench/mint_tokens.py" http://127.0.0.1:18091 "$TOKENS_N" "$work/tokens.txt"
url=http://127.0.0.1:18091
rows=()
for rep in $(seq 1 "$REPS"); do
  for mode in anonymous bearer; do
    if [ "$mode" = bearer ]; then export TOKENS="$work/tokens.txt"; else unset TOKENS; fi
    before=$(cpu)
    out=$(taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency -s "$root/bench/rotate_tokens.lua" "$url")
    after=$(cpu)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    cpu_us=$(awk -v a="$before" -v b="$after" -v t="$tick" -v n="$requests" 'BEGIN{printf "%.2f", (b-a)*1e6/t/n}')
    echo "$rep $mode $rps cpu_us=$cpu_us non-2xx=${non2xx:-0}"
    rows+=("$rep $mode $rps $cpu_us ${non2xx:-0}")
  done
done
printf '%s\n' "${rows[@]}" | python3 -c '
import sys, statistics, collections, datetime
d = collections.defaultdict(list); c = collections.defaultdict(list); bad = 0
for line in sys.stdin:
    rep, mode, rps, cpu, non2xx = line.split()
    d[mode].append(float(rps)); c[mode].append(float(cpu)); bad += int(non2xx)
a, b = statistics.median(d["anonymous"]), statistics.median(d["bearer"])
ca, cb = statistics.median(c["anonymous"]), statistics.median(c["bearer"])
text = f"""# Authenticated requests (bench/run_auth.sh, {datetime.date.today()})

GET /apps/hello/ (inline plugin), wrk -t1 -c64 (CPU 1), server one I/O thread (CPU 0),
{len(d["bearer"])} interleaved repetitions, medians. Bearer: 10,000 distinct valid access tokens
in rotation. Non-2xx answers in all runs: {bad}.

| requests | requests/s | vs anonymous | server CPU µs/req | vs anonymous |
| --- | ---: | ---: | ---: | ---: |
| anonymous | {a:,.0f} | 1.00x | {ca:.2f} | 1.00x |
| bearer (10,000 tokens) | {b:,.0f} | {b/a:.2f}x | {cb:.2f} | {cb/ca:.2f}x |

Raw requests/s: {dict(d)}; raw CPU µs/req: {dict(c)}
"""
open("bench/results/auth-latest.md", "w").write(text); print(text)'

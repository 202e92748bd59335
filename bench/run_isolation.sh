#!/usr/bin/env bash
# Out-of-process vs in-process, the same plugin binaries, in one run: GET /apps/{id}/ on
#   pool         bench_pool.so in the runtime's process (a blocking plugin: worker pool)
#   pool-oop     the same file with "isolation": "process" (its own machi plugin-host)
#   inline       bench_inline.so in process (non-blocking: runs on the I/O thread)
#   inline-oop   the same file out of process
# Interleaved repetitions of wrk -t1 -c64 (wrk on CPU 1); the runtime and its plugin hosts share
# CPU 0, so both modes get the same one-core budget and the out-of-process round trip is the
# same-core one. Server CPU per request counts the runtime and every plugin host (utime+stime).
# Writes bench/results/isolation-latest.md.  Usage: bench/run_isolation.sh (DURATION, REPS)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source "$root/bench/wrk_fields.sh"
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
BUILD=${BUILD:-$root/build-release}
command -v wrk >/dev/null || { echo "run bench/run.sh once first (installs wrk)"; exit 1; }
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF \
      -DMACHI_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target machi bench_inline bench_pool >/dev/null
work=$(mktemp -d)
cat >"$work/manifest.json" <<JSON
{"municipality": "bench", "name": "Benchmark", "public_url": "http://127.0.0.1:18092",
 "hostnames": ["127.0.0.1"], "timezone": "Asia/Tokyo", "mini_apps": [
  {"id": "pool", "name": "pool", "plugin": "bench_pool.so", "concurrency": 10000},
  {"id": "pool-oop", "name": "pool", "plugin": "bench_pool.so", "concurrency": 10000, "isolation": "process"},
  {"id": "inline", "name": "inline", "plugin": "bench_inline.so", "concurrency": 10000},
  {"id": "inline-oop", "name": "inline", "plugin": "bench_inline.so", "concurrency": 10000, "isolation": "process"}]}
JSON
"$BUILD/runtime/machi" serve --manifest "$work/manifest.json" \
  --plugin-dir "$BUILD/bench/plugins" --data "$work/data" --listen 127.0.0.1:18092 \
  --io-threads 1 >"$work/machi.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 1.5
hosts=$(pgrep -P "$pid" | tr '\n' ' ')
[ "$(wc -w <<<"$hosts")" -eq 2 ] || { echo "expected two plugin hosts, found: $hosts"; cat "$work/machi.log"; exit 1; }
for p in $pid $hosts; do taskset -a -cp 0 "$p" >/dev/null; done
cpu() { local sum=0; for p in $pid $hosts; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $sum; }
url=http://127.0.0.1:18092
rows=()
for rep in $(seq 1 "$REPS"); do
  for mode in pool pool-oop inline inline-oop; do
    before=$(cpu)
    out=$(taskset -c 1 wrk -t1 -c64 -d"$DURATION" --latency "$url/apps/$mode/")
    after=$(cpu)
    wrk_fields "$out"
    cpu_us=$(cpu_per_request "$before" "$after" "$requests")
    echo "$rep $mode $rps p50=$p50 p99=$p99 cpu_us=$cpu_us non-2xx=$non2xx"
    rows+=("$rep $mode $rps $cpu_us $p50 $p99 $non2xx")
  done
done
restarts=$(curl -s "$url/metrics" | awk '/^machi_mini_app_host_restarts_total/ {s += $2} END {print s + 0}')
printf '%s\n' "${rows[@]}" | RESTARTS="$restarts" python3 -c '
import os, sys, statistics, collections, datetime
d = collections.defaultdict(list); c = collections.defaultdict(list); lat = collections.defaultdict(list); bad = 0
def ms(t):
    return float(t[:-2]) if t.endswith("ms") else float(t[:-2]) / 1000 if t.endswith("us") else float(t[:-1]) * 1000
for line in sys.stdin:
    rep, mode, rps, cpu, p50, p99, non2xx = line.split()
    d[mode].append(float(rps)); c[mode].append(float(cpu)); lat[mode].append((ms(p50), ms(p99))); bad += int(non2xx)
med = lambda xs: statistics.median(xs)
rows = []
for base in ("pool", "inline"):
    oop = base + "-oop"
    for mode in (base, oop):
        p50 = med([l[0] for l in lat[mode]]); p99 = med([l[1] for l in lat[mode]])
        rows.append(f"| {mode} | {med(d[mode]):,.0f} | {med(d[mode]) / med(d[base]):.2f}× | {med(c[mode]):.2f} | {med(c[mode]) / med(c[base]):.2f}× | {p50:.2f} | {p99:.2f} |")
text = f"""# Out-of-process vs in-process (bench/run_isolation.sh, {datetime.date.today()})

GET /apps/{{id}}/, wrk -t1 -c64 (CPU 1); the runtime (one I/O thread) and its plugin hosts on
CPU 0. {len(d["pool"])} interleaved repetitions, medians. Non-2xx answers in all runs: {bad}; plugin
hosts restarted during the run: {os.environ["RESTARTS"]}.

| mini-app | requests/s | vs in-process | server CPU µs/req | vs in-process | p50 ms | p99 ms |
|---|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + "\n"
open("bench/results/isolation-latest.md", "w").write(text)
print(text)
'

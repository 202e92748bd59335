#!/usr/bin/env bash
# Benchmarks the runtime's request path against a bare Beast server and nginx (loopback only).
# Interleaved repetitions of `wrk -t1 -c64 -d10s --latency` against:
#   bare    bench/bare_beast.cc: one-thread Beast answering the same bytes
#   inline  machi --io-threads 1, GET /apps/hello/ (non-blocking plugin, runs on the I/O thread)
#   pool    machi --io-threads 1, GET /apps/pool/  (blocking plugin, runs on the worker pool)
#   nginx   one worker, `return 200`, access_log off
# in two variants: unpinned, and pinned (servers on CPU 0, wrk on CPU 1). Reports requests/s,
# p50/p99 latency and server CPU µs per request (utime+stime from /proc/PID/stat), and the ratios
# against bare Beast measured in the same run. Writes bench/results/latest.md.
# Usage: bench/run.sh   (env: DURATION=10s REPS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
BUILD=${BUILD:-$root/build-release}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
for pkg in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
done

cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF \
      -DMACHI_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target machi bare_beast bench_inline bench_pool >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$BUILD/bench/bare_beast" 18090 >/dev/null &
bare_pid=$!; pids+=("$bare_pid")
"$BUILD/runtime/machi" serve --manifest "$root/bench/manifest.json" \
  --plugin-dir "$BUILD/bench/plugins" --data "$work/data" --listen 127.0.0.1:18091 \
  --io-threads 1 >"$work/machi.log" 2>&1 &
machi_pid=$!; pids+=("$machi_pid")
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18092;
    location / { default_type application/json; return 200 '{"message":"hello"}'; }
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!; pids+=("$nginx_pid")
sleep 1

server_pids() {  # all processes of a server (nginx: master and worker)
  case $1 in
    bare) echo "$bare_pid" ;;
    inline|pool) echo "$machi_pid" ;;
    nginx) echo "$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')" ;;
  esac
}
url() {
  case $1 in
    bare) echo http://127.0.0.1:18090/apps/hello/ ;;
    inline) echo http://127.0.0.1:18091/apps/hello/ ;;
    pool) echo http://127.0.0.1:18091/apps/pool/ ;;
    nginx) echo http://127.0.0.1:18092/apps/hello/ ;;
  esac
}
cpu_ticks() { local t=0; for p in $1; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
to_us() {  # wrk latency "123.45us" / "1.20ms" / "1.00s" → µs
  awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us/,"",v); print v+0} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else {sub(/s/,"",v); print v*1000000} }'
}
pin() {  # pin every thread of the server's processes
  for p in $(server_pids "$1"); do taskset -a -cp "$2" "$p" >/dev/null; done
}

tick=$(getconf CLK_TCK)
results="$work/results.tsv"
for variant in unpinned pinned; do
  for rep in $(seq 1 "$REPS"); do
    for target in bare inline pool nginx; do
      if [ "$variant" = pinned ]; then pin "$target" 0; wrk_cmd=(taskset -c 1 wrk); else pin "$target" 0-$(($(nproc) - 1)); wrk_cmd=(wrk); fi
      before=$(cpu_ticks "$(server_pids "$target")")
      out=$("${wrk_cmd[@]}" -t1 -c64 -d"$DURATION" --latency "$(url "$target")")
      after=$(cpu_ticks "$(server_pids "$target")")
      requests=$(awk '/requests in/ {print $1}' <<<"$out")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")
      p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
      errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
      cpu_us=$(awk -v a="$before" -v b="$after" -v t="$tick" -v n="$requests" 'BEGIN{printf "%.2f", (b-a)*1e6/t/n}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$rep" "$target" "$rps" "$p50" "$p99" "$cpu_us" "$errors" | tee -a "$results"
    done
  done
done

mkdir -p "$root/bench/results"
python3 - "$results" "$root/bench/results/latest.md" "$DURATION" "$REPS" <<'PY'
import sys, statistics, collections, datetime, platform, os
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
data = collections.defaultdict(list)
errors = collections.defaultdict(set)
for variant, rep, target, rps, p50, p99, cpu, err in rows:
    data[(variant, target)].append((float(rps), float(p50), float(p99), float(cpu)))
    if err.strip(): errors[(variant, target)].add(err.strip())
def med(v, i): return statistics.median(x[i] for x in v)
out = [f"# Benchmark results ({datetime.date.today()}, `bench/run.sh`, wrk -t1 -c64 -d{sys.argv[3]}, {sys.argv[4]} interleaved repetitions, medians)", "",
       f"Machine: {os.cpu_count()} cores, {platform.machine()}, loopback. Server CPU µs/request = (utime+stime)/requests.", ""]
for variant in ("unpinned", "pinned"):
    base = data[(variant, "bare")]
    out += [f"## {variant}" + (" (servers on CPU 0, wrk on CPU 1)" if variant == "pinned" else ""), "",
            "| target | requests/s | p50 µs | p99 µs | CPU µs/req | throughput vs bare | CPU/req vs bare |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for target in ("bare", "inline", "pool", "nginx"):
        v = data[(variant, target)]
        out.append(f"| {target} | {med(v,0):,.0f} | {med(v,1):.0f} | {med(v,2):.0f} | {med(v,3):.2f} | "
                   f"{med(v,0)/med(base,0):.2f}× | {med(v,3)/med(base,3):.2f}× |")
    out.append("")
if errors:
    out += ["Errors reported by wrk:", ""] + [f"- {k[0]} {k[1]}: {'; '.join(v)}" for k, v in errors.items()] + [""]
out += ["Raw rows (variant, rep, target, req/s, p50 µs, p99 µs, CPU µs/req):", "", "```"] + \
       ["\t".join(r[:7]) for r in rows] + ["```", ""]
open(sys.argv[2], "w").write("\n".join(out))
print("\n".join(out[:30]))
PY

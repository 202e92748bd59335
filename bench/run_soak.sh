#!/usr/bin/env bash
# Soak (issue: reliability): wrk against the demo municipality with a realistic mix
# (bench/soak_mix.lua: home, info cards, garbage dates, library search, authenticated plugin
# calls) for DURATION (default 10 min), while the manifest is rewritten every RELOAD seconds
# (default 30: the greeting of a mini-app alternates, so every reload really applies). Samples the
# server's resident memory and open descriptors every 10 s. Pass: zero non-2xx, memory growth
# after the first minute within MEM_BOUND_PCT (default 10 %), descriptors within FD_BOUND (8).
# Writes bench/results/soak-latest.md.  Usage: bench/run_soak.sh (DURATION, RELOAD, CONNECTIONS)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
DURATION=${DURATION:-600}
RELOAD=${RELOAD:-30}
CONNECTIONS=${CONNECTIONS:-32}
MEM_BOUND_PCT=${MEM_BOUND_PCT:-10}
FD_BOUND=${FD_BOUND:-8}
BUILD=${BUILD:-$root/build-release}
PORT=18093
command -v wrk >/dev/null || { echo "run bench/run.sh once first (installs wrk)"; exit 1; }
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" >/dev/null
work=$(mktemp -d)
# The demo manifest with absolute data paths, served on loopback from a scratch data directory.
write_manifest() {
  python3 - "$root/manifests/demo.json" "$work/demo.json" "$1" "$PORT" <<'PY'
import json, os, sys
src, dst, greeting, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
m = json.load(open(src))
base = os.path.dirname(os.path.abspath(src))
m["public_url"] = f"http://localhost:{port}"
for app in m["mini_apps"]:
    if "data_dir" in app: app["data_dir"] = os.path.join(base, app["data_dir"])
    if app["id"] == "welcome": app["config"]["greeting"] = greeting
open(dst + ".tmp", "w").write(json.dumps(m, ensure_ascii=False)); os.replace(dst + ".tmp", dst)
PY
}
write_manifest "soak 0"
"$BUILD/runtime/machi" serve --manifest "$work/demo.json" --plugin-dir "$BUILD/lib/plugins" \
  --data "$work/data" --listen "127.0.0.1:$PORT" >"$work/machi.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; kill "${reloader:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
url=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf -H 'Content-Type: application/json' -d '{"login":"soak@example.jp","password":"correct horse battery","display_name":"Soak"}' \
  "$url/api/v1/auth/register" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Every path of the mix answers 2xx before the load starts.
for path in $(grep -o '"/[^"]*"' bench/soak_mix.lua | tr -d '"'); do
  [ "$path" = "/apps/garbage/next?area=" ] && path="/apps/garbage/next?area=1%3A%E4%BB%8A%E5%AE%BF%E7%94%BA"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$path")
  [ "${code:0:1}" = 2 ] || { echo "$path answered $code before the soak"; exit 1; }
done
sample() { echo "$(($(date +%s) - start)) $(awk '/VmRSS/ {print $2}' /proc/$pid/status) $(ls /proc/$pid/fd | wc -l)"; }
start=$(date +%s)
( i=0; while sleep "$RELOAD"; do i=$((i + 1)); write_manifest "soak $i"; done ) &
reloader=$!
( while kill -0 "$pid" 2>/dev/null; do sample; sleep 10; done ) >"$work/samples.txt" &
TOKEN=$token taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/soak_mix.lua "$url" \
  >"$work/wrk.txt"
kill "$reloader"
sample >>"$work/samples.txt"
reloads=$(grep -c '"msg":"reloaded"' "$work/machi.log" || true)
cat "$work/wrk.txt"
python3 - "$work/wrk.txt" "$work/samples.txt" "$reloads" "$DURATION" "$RELOAD" "$CONNECTIONS" "$MEM_BOUND_PCT" "$FD_BOUND" <<'PY'
import datetime, re, sys
wrk, samples, reloads, duration, reload_s, conns, mem_bound, fd_bound = sys.argv[1:]
text = open(wrk).read()
def grab(pattern, default="0"):
    m = re.search(pattern, text); return m.group(1) if m else default
requests = int(grab(r"(\d+) requests in"))
non2xx = int(grab(r"Non-2xx or 3xx responses: (\d+)"))
errors = grab(r"Socket errors: (.*)", "none")
rps = grab(r"Requests/sec:\s+([\d.]+)")
p50, p99 = grab(r"(?m)^\s+50%\s+(\S+)"), grab(r"(?m)^\s+99%\s+(\S+)")
rows = [tuple(map(int, l.split())) for l in open(samples) if l.strip()]
# Under load: from the first minute on, without the last sample (taken after wrk closed its
# connections).
warm = [r for r in rows[:-1] if r[0] >= 60] or rows
rss0, rss1, rss_max = warm[0][1], warm[-1][1], max(r[1] for r in warm)
fd0, fd1 = warm[0][2], warm[-1][2]
fd_min, fd_max = min(r[2] for r in warm), max(r[2] for r in warm)
growth = (rss_max - rss0) * 100.0 / rss0
expected_reloads = int(duration) // int(reload_s) - 1
ok = (non2xx == 0 and errors == "none" and growth <= float(mem_bound) and fd_max - fd_min <= int(fd_bound)
      and int(reloads) >= expected_reloads)
out = f"""# Soak (bench/run_soak.sh, {datetime.date.today()})

{duration} s of wrk -t1 -c{conns} (bench/soak_mix.lua: home, visitor home, info cards, garbage dates,
library search, authenticated plugin calls) against the demo municipality, release build, the
manifest rewritten every {reload_s} s ({reloads} reloads applied, at least {expected_reloads} required).

| figure | value |
| --- | ---: |
| requests | {requests:,} |
| requests/s | {rps} |
| non-2xx | {non2xx} |
| socket errors | {errors} |
| latency p50 / p99 | {p50} / {p99} |
| RSS after 1 min → end (max) | {rss0:,} KiB → {rss1:,} KiB ({rss_max:,} KiB, +{growth:.1f} %, bound {mem_bound} %) |
| open descriptors under load, after 1 min → end (min–max) | {fd0} → {fd1} ({fd_min}–{fd_max}, bound ±{fd_bound}); {rows[-1][2]} after wrk closed its {conns} connections |

Verdict: **{"pass" if ok else "FAIL"}**. Samples (s, RSS KiB, fds): {rows}
"""
open("bench/results/soak-latest.md", "w").write(out); print(out)
sys.exit(0 if ok else 1)
PY

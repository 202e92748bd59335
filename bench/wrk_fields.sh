# Sourced by the bench scripts. wrk_fields OUT: from wrk's output (run with --latency) sets
# rps, requests, non2xx (0 when wrk printed none), p50 and p99 (as wrk prints them).
# cpu_per_request BEFORE AFTER REQUESTS: µs of CPU per request from two readings of a process's
# utime+stime in clock ticks.
wrk_fields() {
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$1")
  requests=$(awk '/requests in/ {print $1}' <<<"$1")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$1")
  non2xx=${non2xx:-0}
  p50=$(awk '$1=="50%" {print $2}' <<<"$1")
  p99=$(awk '$1=="99%" {print $2}' <<<"$1")
}
cpu_per_request() {
  awk -v a="$1" -v b="$2" -v t="$(getconf CLK_TCK)" -v n="$3" 'BEGIN{printf "%.2f", (b-a)*1e6/t/n}'
}

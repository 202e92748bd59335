#!/usr/bin/env bash
# Bounded libFuzzer runs of every harness in tests/fuzz (docs/testing.md).
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     default: 30 s each, every harness
# Builds the clang fuzz tree in build-fuzz/ (MACHI_FUZZ=ON: ASan+UBSan+libFuzzer), then runs each
# harness from its committed seeds (tests/fuzz/corpus/<name>) with a scratch corpus, so the repo
# is not touched. A crash or oracle failure stops with the input saved in
# build-fuzz/artifacts/<name>/: commit it to tests/fuzz/regressions/<name>/ with the fix, and
# ctest replays it from then on. Prints executions and coverage per harness.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-30}
shift || true
BUILD_DIR=${MACHI_FUZZ_BUILD_DIR:-$root/build-fuzz}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true  # as scripts/dev.sh
all=(http manifest token garbage_import library_holdings childcare_files disaster_files)
[ $# -gt 0 ] && harnesses=("$@") || harnesses=("${all[@]}")

CC=clang CXX=clang++ cmake -S "$root" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMACHI_FUZZ=ON >/dev/null
targets=()
for h in "${harnesses[@]}"; do targets+=("${h}_fuzzer"); done
cmake --build "$BUILD_DIR" --target "${targets[@]}" -- -j"$(nproc)"

# Set here, not inherited: no per-input leak checks. A harness keeps its world (router, plugins,
# worker threads, caches) alive across inputs, and LeakSanitizer's stop-the-world crashed on it
# (a fatal LSan error, not a leak); leaks are checked by the asan stage at every test's exit.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for h in "${harnesses[@]}"; do
  work=$(mktemp -d)
  artifacts="$BUILD_DIR/artifacts/$h"
  mkdir -p "$artifacts"
  log="$BUILD_DIR/artifacts/$h.log"
  echo "==> fuzz $h for ${seconds}s"
  if "$BUILD_DIR/tests/fuzz/${h}_fuzzer" "$work" "$root/tests/fuzz/corpus/$h" \
       "$root/tests/fuzz/regressions/$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
       -max_len=65536 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "    $h: $execs executions, $cov, no crash"
  else
    failed=1
    echo "    $h: FAILED — last lines of $log:"
    tail -30 "$log" | sed 's/^/      /'
    ls "$artifacts" | sed 's/^/      artifact: /'
  fi
  rm -rf "$work"
done
exit $failed

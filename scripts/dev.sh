#!/usr/bin/env bash
# The two set-up commands of the README, for a fresh Debian 12 machine (root or sudo):
#   scripts/dev.sh start   install missing packages, build, run the demo municipality
#   scripts/dev.sh test    install missing packages, build, run every test (ctest)
# Both are idempotent: packages already present are not touched, builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

BUILD_DIR=${MACHI_BUILD_DIR:-$root/build}
# ccache keys on paths relative to the checkout, so a fresh clone (CI) reuses earlier objects.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G}
DATA_DIR=${MACHI_DATA_DIR:-$root/data}

stage_start=0
stage() { stage_name=$1; stage_start=$(date +%s.%N); echo "==> $1"; }
stage_done() {
  local secs; secs=$(awk -v a="$stage_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  echo "==> $stage_name took ${secs}s"
  timings+=("$stage_name ${secs}s")
}
timings=()

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  stage "install packages"
  mapfile -t wanted < <(grep -v '^\s*#' scripts/debian-packages.txt | grep -v '^\s*$')
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"
  else
    echo "all ${#wanted[@]} packages present"
  fi
  stage_done
}

install_node_tools() {
  stage "install npm tools"
  command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "node and npm are required (preinstalled on the project machines)"; exit 1; }
  local dir=tests/js
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  else
    echo "npm tools present"
  fi
  stage_done
}

build() {
  stage "configure"
  cmake -S "$root" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  stage_done
  stage "build"
  cmake --build "$BUILD_DIR" -- -j"$(nproc)"
  stage_done
}

# sanitized NAME DIR CMAKE_OPTION LABEL: builds a clang tree in DIR with that option and runs its
# tests (only those labelled LABEL when given).
sanitized() {
  local name=$1 dir=$2 option=$3 label=$4 rc=0
  stage "$name build"
  CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "$option" >/dev/null
  if [ -n "$label" ]; then
    # Only what the labelled tests need: their binaries, machi, and the plugins they load.
    mapfile -t targets < <(cd "$dir" && ctest -N -L "$label" | awk '/Test +#/ {print $3}')
    cmake --build "$dir" --target machi "${targets[@]}" -- -j"$(nproc)"
  else
    cmake --build "$dir" -- -j"$(nproc)"
  fi
  stage_done
  stage "$name tests"
  # intercept_tls_get_addr=0: clang 14's runtime tracks the dynamic TLS of dlopen'ed plugins wrongly
  # on glibc 2.36 (it records garbage ranges, and LeakSanitizer then crashes scanning them: "Tracer
  # caught signal 11" after "DTLS … at 0x3c3-…"); plugins' thread_local blocks are not scanned as
  # roots instead (static TLS and every stack and heap still are).
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:intercept_tls_get_addr=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  (cd "$dir" && ctest --output-on-failure -j"$(nproc)" ${label:+-L "$label"} -E docs_check \
     --timeout 1500) || rc=$?
  stage_done
  return $rc
}

summary() {
  echo "==> stage times:"
  for t in "${timings[@]}"; do echo "    $t"; done
}

case "${1:-}" in
  start)
    install_packages
    build
    summary
    echo "==> starting machi with manifests/demo.json (data in $DATA_DIR); Ctrl-C stops it"
    exec "$BUILD_DIR/runtime/machi" serve --manifest "$root/manifests/demo.json" \
      --plugin-dir "$BUILD_DIR/lib/plugins" --data "$DATA_DIR"
    ;;
  test)
    # Stages (MACHI_TEST_STAGES, default all): tests — the suite on the normal build; asan — the
    # suite again under AddressSanitizer+UBSan, in the clang fuzz tree (build-fuzz, which the fuzz
    # stage then reuses: one sanitizer build, not two); tsan — the concurrency-labelled tests under
    # ThreadSanitizer (clang); fuzz — every libFuzzer harness for MACHI_FUZZ_SECONDS (30) each.
    # A failing stage does not stop the next ones; the exit status is non-zero if any failed.
    stages=" ${MACHI_TEST_STAGES:-tests asan tsan fuzz} "
    suite_start=$(date +%s)
    install_packages
    install_node_tools
    build
    status=0
    jobs=$(nproc)
    if [[ $stages == *" tests "* ]]; then
      stage "test"
      (cd "$BUILD_DIR" && ctest --output-on-failure -j"$jobs") || status=$?
      stage_done
    fi
    if [[ $stages == *" asan "* ]]; then
      sanitized asan "$root/build-fuzz" "-DMACHI_FUZZ=ON" "" || status=$?
    fi
    if [[ $stages == *" tsan "* ]]; then
      sanitized tsan "$root/build-tsan" "-DMACHI_SANITIZE=thread" concurrency || status=$?
    fi
    if [[ $stages == *" fuzz "* ]]; then
      stage "fuzz smoke"
      MACHI_FUZZ_BUILD_DIR="$root/build-fuzz" scripts/fuzz.sh "${MACHI_FUZZ_SECONDS:-30}" || status=$?
      stage_done
    fi
    summary
    total=$(($(date +%s) - suite_start))
    echo "==> total $((total / 60)) min $((total % 60)) s (budget: 60 min)"
    [ "$total" -le 3600 ] || echo "==> over the CI time budget"
    exit $status
    ;;
  *)
    echo "usage: scripts/dev.sh start|test" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The two set-up commands of the README, for a fresh Debian 12 machine (root or sudo):
#   scripts/dev.sh start   install missing packages, build, run the demo municipality
#   scripts/dev.sh test    install missing packages, build, run every test (ctest)
# Both are idempotent: packages already present are not touched, builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

BUILD_DIR=${MACHI_BUILD_DIR:-$root/build}
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
    install_packages
    install_node_tools
    build
    stage "test"
    status=0
    (cd "$BUILD_DIR" && ctest --output-on-failure -j"$(nproc)") || status=$?
    stage_done
    summary
    exit $status
    ;;
  *)
    echo "usage: scripts/dev.sh start|test" >&2
    exit 2
    ;;
esac
